//! `files.icc`: FileInfo shape, filters, sorts, paging and visibility; `uploadingInfo.icc`.

use crate::family_library;
use serde_json::Value;

fn names(data: &Value) -> Vec<String> {
    data["list"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn file_info_has_the_protocol_members_and_nothing_private() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let data = client.get("/files.icc?pageIndex=0").data();
    assert_eq!(data["page"], serde_json::json!({"pageIndex": 0, "maxPerPage": 100, "pageCount": 1}));
    let list = data["list"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let ids: Vec<i64> = list.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sort 0 is id ascending");
    let a = list.iter().find(|f| f["name"] == "a.jpg").unwrap();
    assert_eq!(a["ext"], "jpg");
    assert_eq!(a["type"], 1);
    assert!(a["size"].as_i64().unwrap() > 0);
    for private in [
        "rootCatalogId",
        "realCatalogId",
        "fileName",
        "statusForThumb",
        "uploadUserId",
        "longitude",
        "uploadingOriginSize",
    ] {
        assert!(a.get(private).is_none(), "{private} must not be sent");
    }
    for null_member in a.as_object().unwrap().values() {
        assert!(!null_member.is_null(), "null members are omitted: {a}");
    }
    let notes = list.iter().find(|f| f["name"] == "notes.txt").unwrap();
    assert_eq!(notes["type"], 16);
}

#[test]
fn filters_select_by_catalog_type_and_root_and_foreign_roots_fall_back_to_all() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let mut in_root = names(&client.get(&format!("/files.icc?pageIndex=0&pids={root}")).data());
    in_root.sort();
    assert_eq!(in_root, ["a.jpg", "b.png", "notes.txt"]);
    assert_eq!(names(&client.get("/files.icc?pageIndex=0&types=2").data()), ["c.gif"]);
    assert_eq!(names(&client.get("/files.icc?pageIndex=0&types=2,16").data()).len(), 2);
    assert_eq!(
        client.get("/files.icc?pageIndex=0&types=x").data()["list"].as_array().unwrap().len(),
        5,
        "invalid filter = none"
    );
    assert_eq!(
        client.get(&format!("/files.icc?pageIndex=0&rootIds={root},99999")).data()["list"].as_array().unwrap().len(),
        5
    );
    assert_eq!(client.get("/files.icc?pageIndex=0&onlySelfUpload=1").data()["list"], serde_json::json!([]));
}

#[test]
fn sorts_order_by_their_column_both_ways_and_invalid_sorts_are_rejected() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let sizes = |client: &mut crate::common::Client, sort: i64| -> Vec<i64> {
        let data = client.get(&format!("/files.icc?pageIndex=0&sort={sort}")).data();
        data["list"].as_array().unwrap().iter().map(|f| f["size"].as_i64().unwrap()).collect()
    };
    let up = sizes(&mut client, 3);
    assert!(up.windows(2).all(|w| w[0] <= w[1]), "{up:?}");
    let down = sizes(&mut client, -3);
    assert!(down.windows(2).all(|w| w[0] >= w[1]), "{down:?}");
    let widths: Vec<Option<i64>> = client.get("/files.icc?pageIndex=0&sort=-5").data()["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["width"].as_i64())
        .collect();
    assert_eq!(widths.last(), Some(&None), "NULL sorts last when descending: {widths:?}");
    for sort in [1, -1, 2, -2, 4, -4, 5] {
        assert_eq!(client.get(&format!("/files.icc?pageIndex=0&sort={sort}")).code(), 0);
    }
    assert_eq!(client.get("/files.icc?pageIndex=0&sort=6").code(), -10003);
    assert_eq!(client.get("/files.icc?pageIndex=0&sort=-6").code(), -10003);
    assert_eq!(client.get("/files.icc?pageIndex=0&sort=x").code(), 0, "a non-integer sort is 0");
}

#[test]
fn paging_counts_pages_and_clamps_max_per_page() {
    let server = crate::common::TestServer::start_with(|dir| {
        let media = crate::common::media_dir(dir, "many");
        for i in 0..25 {
            std::fs::write(media.join(format!("f{i:02}.txt")), vec![b'x'; i + 1]).unwrap();
        }
        crate::common::scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let page = client.get("/files.icc?pageIndex=2&maxPerPage=10&sort=3").data();
    assert_eq!(page["page"], serde_json::json!({"pageIndex": 2, "maxPerPage": 10, "pageCount": 3}));
    assert_eq!(names(&page), ["f20.txt", "f21.txt", "f22.txt", "f23.txt", "f24.txt"]);
    let beyond = client.get("/files.icc?pageIndex=7&maxPerPage=10").data();
    assert_eq!(beyond["list"], serde_json::json!([]));
    for bad in ["9", "10001", "x", "-10"] {
        let data = client.get(&format!("/files.icc?pageIndex=0&maxPerPage={bad}")).data();
        assert_eq!(data["page"]["maxPerPage"], 100, "{bad}");
    }
    assert_eq!(client.get("/files.icc?pageIndex=-1").code(), -10003);
    assert_eq!(client.get("/files.icc").code(), -10003);
}

#[test]
fn page_counts_follow_deletions_and_a_scan_run_beside_the_server() {
    let server = crate::common::TestServer::start_with(|dir| {
        let media = crate::common::media_dir(dir, "many");
        for i in 0..25 {
            std::fs::write(media.join(format!("f{i:02}.txt")), b"x").unwrap();
        }
        crate::common::scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let page_count = |client: &mut crate::common::Client| {
        client.get("/files.icc?pageIndex=0&maxPerPage=10").data()["page"]["pageCount"].as_i64()
    };
    assert_eq!(page_count(&mut client), Some(3));
    let ids: Vec<String> = client.get("/files.icc?pageIndex=0&maxPerPage=10").data()["list"]
        .as_array()
        .unwrap()
        .iter()
        .take(6)
        .map(|f| f["id"].to_string())
        .collect();
    assert_eq!(client.post_form("/deleteFiles.icc", &format!("ids={}", ids.join(","))).data(), "OK");
    assert_eq!(page_count(&mut client), Some(2), "19 files left");
    let media = server.app_dir().join("many");
    for i in 0..12 {
        std::fs::write(media.join(format!("g{i:02}.txt")), b"y").unwrap();
    }
    let (code, _, stderr) = crate::common::run_isync(server.app_dir(), &["scan"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(page_count(&mut client), Some(4), "31 files after the scan");
}

#[test]
fn another_users_files_never_show_up() {
    let server = family_library();
    let mut anna = server.client();
    anna.login("anna", "456");
    assert_eq!(names(&anna.get("/files.icc?pageIndex=0").data()), ["x.jpg"]);
    let mut terry = server.client();
    terry.login("terry", "123");
    let terry_root = terry.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let data = anna.get(&format!("/files.icc?pageIndex=0&rootIds={terry_root}&pids={terry_root}")).data();
    assert_eq!(data["list"], serde_json::json!([]));
    assert_eq!(anna.get("/uploadingInfo.icc").data(), serde_json::json!([]));
}
