//! `catalogs.icc`: roots, children with counts, visibility, and the default user folder.

use crate::common::TestServer;
use crate::family_library;
use serde_json::Value;

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

#[test]
fn roots_and_children_carry_names_and_counts() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let roots = client.get("/catalogs.icc?pids=-1").data();
    assert_eq!(roots.as_array().unwrap().len(), 1);
    let root = &roots[0];
    assert_eq!(root["name"], "terry");
    assert_eq!(root["parentId"], -1);
    assert_eq!(root["rootId"], root["id"]);
    assert_eq!((root["subCatalogCount"].as_i64(), root["fileCount"].as_i64()), (Some(1), Some(3)));
    assert!(root.get("path").is_none(), "paths are never exposed");
    let sub = client.get(&format!("/catalogs.icc?pids={}", root["id"])).data();
    assert_eq!(sub[0]["name"], "sub");
    assert_eq!((sub[0]["subCatalogCount"].as_i64(), sub[0]["fileCount"].as_i64()), (Some(1), Some(1)));
    let both = client.get(&format!("/catalogs.icc?pids={},{}", root["id"], sub[0]["id"])).data();
    let both_ids = ids(&both);
    assert_eq!(both_ids.len(), 2);
    assert!(both_ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");
}

#[test]
fn another_users_catalogs_are_invisible() {
    let server = family_library();
    let mut terry = server.client();
    terry.login("terry", "123");
    let terry_root = terry.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let mut anna = server.client();
    anna.login("anna", "456");
    assert_eq!(anna.get(&format!("/catalogs.icc?pids={terry_root}")).data(), serde_json::json!([]));
    let anna_roots = anna.get("/catalogs.icc?pids=-1").data();
    assert_eq!(anna_roots[0]["name"], "anna");
    assert_eq!(anna_roots.as_array().unwrap().len(), 1);
}

#[test]
fn bad_pids_are_invalid_parameters() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    for pids in ["", "1,,2", "1,2,", "abc", "%D9%A3", "1;DROP%20TABLE%20Files"] {
        assert_eq!(client.get(&format!("/catalogs.icc?pids={pids}")).code(), -10003, "{pids}");
    }
    assert_eq!(client.get("/catalogs.icc").code(), -10003);
    assert_eq!(client.post_json("/catalogs.icc", "{broken").status, 405, "catalogs is GET only");
}

#[test]
fn a_user_without_roots_gets_a_default_folder_named_isyncroot() {
    let server = TestServer::start_with(|dir| crate::common::scan_config(dir, &[("solo", "pw", &[])]));
    let mut client = server.client();
    client.login("solo", "pw");
    let roots = client.get("/catalogs.icc?pids=-1").data();
    assert_eq!(roots.as_array().unwrap().len(), 1);
    assert_eq!(roots[0]["name"], "iSyncRoot");
    let user_id = client.post_form("/login.icc", "userName=solo&password=pw").data()["id"].as_i64().unwrap();
    assert!(server.app_dir().join(format!("building/users/{user_id}")).is_dir());
    assert_eq!(client.get("/catalogs.icc?pids=-1").data().as_array().unwrap().len(), 1, "created once");
}

#[test]
fn a_default_folder_that_cannot_be_created_gives_minus_100() {
    let server = TestServer::start_with(|dir| {
        std::fs::write(dir.join("blocker"), b"a file where a folder should be").unwrap();
        std::fs::write(dir.join("appConfigs.json"), r#"{"defaultUserPath": "blocker/users"}"#).unwrap();
        crate::common::scan_config(dir, &[("solo", "pw", &[])]);
    });
    let mut client = server.client();
    assert_eq!(client.post_form("/login.icc", "userName=solo&password=pw").code(), -100);
    assert!(client.cookie.is_none(), "no session without a root");
}
