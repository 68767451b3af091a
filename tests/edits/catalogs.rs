//! createCatalog and updateCatalog: directories on disk, sanitised names, parameter rules,
//! renames, moves inside and across roots, cycles and root moves, invisible ids.

use super::{
    catalog_info, catalog_named, download, enc, entries, file_names, logged_in, root_named, shared_library,
    terry_with_tree,
};
use crate::{family_library, file_id};

/// The single entry of `after` that is not in `before`.
fn new_entry(before: &[String], after: &[String]) -> String {
    let added: Vec<&String> = after.iter().filter(|e| !before.contains(e)).collect();
    assert_eq!(added.len(), 1, "expected exactly one new entry: {added:?}");
    added[0].clone()
}

#[test]
fn create_catalog_makes_a_sanitised_dated_directory_inside_the_parents_directory() {
    let server = family_library();
    let mut client = logged_in(&server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let terry_dir = server.app_dir().join("terry");
    let before = entries(&terry_dir);
    let form = format!("parentId={root}&name=My%20Photos&createTime=1499000000&lastModifyTime=1499000100.7&memo=m&helpInt=7&helpText=t");
    let data = client.post_form("/createCatalog.icc", &form).data();
    assert_eq!(data["name"], "My Photos", "the display name is kept as given");
    assert_eq!((data["parentId"].as_i64(), data["rootId"].as_i64()), (Some(root), Some(root)));
    assert_eq!((data["createTime"].as_i64(), data["lastModifyTime"].as_i64()), (Some(1499000000), Some(1499000100)));
    assert_eq!(
        (data["memo"].as_str(), data["helpInt"].as_i64(), data["helpText"].as_str()),
        (Some("m"), Some(7), Some("t"))
    );
    assert_eq!((data["subCatalogCount"].as_i64(), data["fileCount"].as_i64()), (Some(0), Some(0)));
    assert!(data.get("path").is_none());
    let dir = new_entry(&before, &entries(&terry_dir));
    let parts: Vec<&str> = dir.rsplitn(3, '_').collect();
    assert_eq!(parts.len(), 3, "{dir}");
    assert_eq!(parts[2], "My_Photos", "{dir}");
    assert!(parts[1].len() == 10 && parts[1].chars().filter(|&c| c == '-').count() == 2, "a YYYY-MM-DD date: {dir}");
    assert!(parts[0].parse::<u64>().is_ok_and(|n| n < 10_000_000_000), "{dir}");
    assert!(terry_dir.join(&dir).is_dir());
    let listed = catalog_named(&mut client, root, "My Photos");
    assert_eq!(listed["id"], data["id"]);
    assert_eq!(catalog_named(&mut client, -1, "terry")["subCatalogCount"], 2);
    let json = client
        .post_json("/createCatalog.icc", &format!(r#"{{"parentId": {root}, "name": "Json", "helpInt": "x"}}"#))
        .data();
    assert_eq!(json["name"], "Json");
    assert!(json.get("helpInt").is_none(), "an invalid helpInt is silently absent");
    assert!(json["createTime"].as_i64().unwrap() > 1_600_000_000, "createTime defaults to now");
}

#[test]
fn create_catalog_names_cannot_escape_the_parent_directory() {
    let server = family_library();
    let mut client = logged_in(&server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    let sub_dir = server.app_dir().join("terry/sub");
    let app_before = entries(server.app_dir());
    let cases = [
        ("../../x", "x_"),
        ("/etc/evil", "etc_evil_"),
        ("..", "_"),
        ("%2e%2e", "2e2e_"),
        ("a/../../b", "a_.._.._b_"),
        ("..\\..\\y", "y_"),
        ("照片", "_"),
        ("x\0y", "xy_"),
        ("$(touch pwned)", "touch_pwned_"),
    ];
    let mut dates = std::collections::BTreeSet::new();
    for (name, prefix) in cases {
        let before = entries(&sub_dir);
        let data = client.post_form("/createCatalog.icc", &format!("parentId={sub}&name={}", enc(name))).data();
        assert_eq!(data["name"], name);
        let dir = new_entry(&before, &entries(&sub_dir));
        assert!(dir.starts_with(prefix) && sub_dir.join(&dir).is_dir(), "{name:?} made {dir:?}");
        dates.insert(dir.rsplit('_').nth(1).unwrap().to_string());
    }
    assert_eq!(entries(server.app_dir()), app_before, "nothing new next to the media folders");
    assert_eq!(entries(&server.app_dir().join("terry")), ["a.jpg", "b.png", "notes.txt", "sub"]);
    for outside in server.app_dir().ancestors().skip(1) {
        for date in &dates {
            let stamped = entries(outside).into_iter().find(|e| e.contains(&format!("_{date}_")));
            assert_eq!(stamped, None, "nothing generated in {}", outside.display());
        }
    }
    assert!(!std::path::Path::new("/etc/evil").exists());
}

#[test]
fn create_catalog_checks_login_then_parameters_then_the_parent() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let anna_root = root_named(&mut anna, "anna");
    let mut client = server.client();
    assert_eq!(client.post_form("/createCatalog.icc", "parentId=x").code(), -10001);
    client.login("terry", "123");
    let root = root_named(&mut client, "terry");
    let long = "n".repeat(100);
    for form in [
        String::from("name=x"),
        String::from("parentId=abc&name=x"),
        format!("parentId={root}"),
        format!("parentId={root}&name="),
        format!("parentId={root}&name={long}"),
        format!("parentId={anna_root}&name={long}"),
    ] {
        assert_eq!(client.post_form("/createCatalog.icc", &form).code(), -10003, "{form}");
    }
    assert_eq!(client.post_form("/createCatalog.icc", &format!("parentId={anna_root}&name=x")).code(), -10007);
    assert_eq!(client.post_form("/createCatalog.icc", "parentId=999999&name=x").code(), -10007);
    assert_eq!(entries(&server.app_dir().join("anna")), ["x.jpg"], "nothing was created in anna's folder");
    let name = "é".repeat(99);
    assert_eq!(
        client.post_form("/createCatalog.icc", &format!("parentId={root}&name={}", enc(&name))).data()["name"],
        name.as_str()
    );
    assert_eq!(client.get(&format!("/createCatalog.icc?parentId={root}&name=x")).status, 405);
}

#[test]
fn create_catalog_answers_minus_102_when_the_parent_directory_is_gone() {
    let server = family_library();
    let mut client = logged_in(&server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    std::fs::remove_dir_all(server.app_dir().join("terry/sub")).unwrap();
    let response = client.post_form("/createCatalog.icc", &format!("parentId={sub}&name=x"));
    assert_eq!((response.status, response.code()), (500, -102), "an internal failure (§1.8)");
    assert_eq!(catalog_named(&mut client, root, "sub")["subCatalogCount"], 1, "no row without a directory");
}

#[test]
fn update_catalog_renames_and_sets_memo_and_help_but_leaves_the_directory_alone() {
    let server = family_library();
    let mut client = logged_in(&server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    let data = client
        .post_form("/updateCatalog.icc", &format!("id={sub}&name=Holiday&memo=beach&helpInt=3&helpText=t"))
        .data();
    assert_eq!(
        (data["id"].as_i64(), data["name"].as_str(), data["memo"].as_str()),
        (Some(sub), Some("Holiday"), Some("beach"))
    );
    assert_eq!((data["helpInt"].as_i64(), data["helpText"].as_str()), (Some(3), Some("t")));
    assert_eq!((data["subCatalogCount"].as_i64(), data["fileCount"].as_i64()), (Some(1), Some(1)));
    assert!(data["lastModifyTime"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(catalog_info(&mut client, root, sub).unwrap()["name"], "Holiday");
    assert!(server.app_dir().join("terry/sub").is_dir() && !server.app_dir().join("terry/Holiday").exists());
    let long = "n".repeat(100);
    let data = client.post_form("/updateCatalog.icc", &format!("id={sub}&name={long}&memo=x")).data();
    assert_eq!(
        (data["name"].as_str(), data["memo"].as_str()),
        (Some("Holiday"), Some("x")),
        "a too long name is ignored"
    );
    let data =
        client.post_json("/updateCatalog.icc", &format!(r#"{{"id": {sub}, "helpInt": "abc", "memo": ""}}"#)).data();
    assert_eq!((data["memo"].as_str(), data["helpInt"].as_i64()), (Some(""), Some(3)), "an empty memo is a value");
}

#[test]
fn update_catalog_answers_not_modified_for_empty_updates_and_invisible_catalogs() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let anna_root = root_named(&mut anna, "anna");
    let mut client = server.client();
    assert_eq!(client.post_form("/updateCatalog.icc", "id=x").code(), -10001);
    client.login("terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    for form in [
        format!("id={sub}"),
        format!("id={sub}&name="),
        format!("id={sub}&parentId=0"),
        format!("id={sub}&parentId=-1"),
        format!("id={sub}&parentId=x"),
        format!("id={sub}&parentId={root}"),
        format!("id={anna_root}&name=mine"),
        String::from("id=999999&name=mine"),
        format!("id={sub}&parentId={anna_root}"),
        format!("id={sub}&parentId={anna_root}&name=both"),
        format!("id={sub}&parentId=999999"),
    ] {
        assert_eq!(client.post_form("/updateCatalog.icc", &form).code(), -10010, "{form}");
    }
    for form in ["name=x", "id=abc&name=x"] {
        assert_eq!(client.post_form("/updateCatalog.icc", form).code(), -10003, "{form}");
    }
    assert_eq!(catalog_named(&mut anna, -1, "anna")["id"], anna_root, "anna's root keeps its name");
    assert_eq!(catalog_info(&mut client, root, sub).unwrap()["name"], "sub", "nothing was applied");
}

#[test]
fn update_catalog_refuses_cycles_and_root_moves_with_minus_10003() {
    let server = shared_library();
    let mut client = logged_in(&server, "terry", "123");
    let (root, shared) = (root_named(&mut client, "terry"), root_named(&mut client, "shared"));
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    let deeper = catalog_named(&mut client, sub, "deeper")["id"].as_i64().unwrap();
    for (id, target) in [(sub, sub), (sub, deeper), (root, deeper), (root, shared), (shared, sub)] {
        let response = client.post_form("/updateCatalog.icc", &format!("id={id}&parentId={target}&memo=m"));
        assert_eq!(response.code(), -10003, "{id} → {target}");
    }
    assert_eq!(catalog_info(&mut client, root, sub).unwrap()["parentId"], root);
    assert!(catalog_info(&mut client, root, sub).unwrap().get("memo").is_none(), "a refused move changes nothing");
    assert_eq!(catalog_info(&mut client, sub, deeper).unwrap()["parentId"], sub);
    assert_eq!(client.get("/catalogs.icc?pids=-1").data().as_array().unwrap().len(), 2, "both roots stay roots");
}

#[test]
fn moving_a_catalog_within_its_root_changes_only_its_parent() {
    let server = family_library();
    let (mut client, [root, sub, deeper]) = terry_with_tree(&server);
    let trip =
        client.post_form("/createCatalog.icc", &format!("parentId={root}&name=Trip")).data()["id"].as_i64().unwrap();
    let moved = client.post_form("/updateCatalog.icc", &format!("id={deeper}&parentId={trip}")).data();
    assert_eq!((moved["parentId"].as_i64(), moved["rootId"].as_i64()), (Some(trip), Some(root)));
    assert_eq!(catalog_info(&mut client, trip, deeper).unwrap()["fileCount"], 1);
    assert_eq!(catalog_info(&mut client, root, sub).unwrap()["subCatalogCount"], 0);
    assert_eq!(file_names(&mut client, &format!("&pids={deeper}")), ["d.jpg"]);
    assert!(server.app_dir().join("terry/sub/deeper/d.jpg").is_file(), "the directory stays where it is");
    let d = file_id(&mut client, "d.jpg");
    assert_eq!(download(&mut client, d), std::fs::read(server.app_dir().join("terry/sub/deeper/d.jpg")).unwrap());
}

#[test]
fn moving_a_subtree_to_another_root_moves_every_catalog_and_file_with_it() {
    let server = shared_library();
    let mut terry = logged_in(&server, "terry", "123");
    let mut anna = logged_in(&server, "anna", "456");
    let (root, shared) = (root_named(&mut terry, "terry"), root_named(&mut terry, "shared"));
    let sub = catalog_named(&mut terry, root, "sub")["id"].as_i64().unwrap();
    let deeper = catalog_named(&mut terry, sub, "deeper")["id"].as_i64().unwrap();
    assert_eq!(file_names(&mut anna, ""), ["s.jpg", "x.jpg"]);
    let moved = terry.post_form("/updateCatalog.icc", &format!("id={sub}&parentId={shared}")).data();
    assert_eq!((moved["parentId"].as_i64(), moved["rootId"].as_i64()), (Some(shared), Some(shared)));
    assert_eq!(catalog_info(&mut terry, sub, deeper).unwrap()["rootId"], shared, "descendants follow");
    assert_eq!(file_names(&mut terry, &format!("&rootIds={shared}")), ["c.gif", "d.jpg", "s.jpg"]);
    assert_eq!(file_names(&mut terry, &format!("&rootIds={root}")), ["a.jpg"]);
    assert_eq!(
        file_names(&mut anna, ""),
        ["c.gif", "d.jpg", "s.jpg", "x.jpg"],
        "anna sees the shared root's new files"
    );
    assert_eq!(catalog_info(&mut anna, shared, sub).unwrap()["subCatalogCount"], 1);
    let d = file_id(&mut anna, "d.jpg");
    assert_eq!(download(&mut anna, d), std::fs::read(server.app_dir().join("terry/sub/deeper/d.jpg")).unwrap());
    terry.post_form("/updateCatalog.icc", &format!("id={sub}&parentId={root}")).data();
    assert_eq!(file_names(&mut anna, ""), ["s.jpg", "x.jpg"], "moving back takes them away again");
    assert_eq!(catalog_info(&mut terry, sub, deeper).unwrap()["rootId"], root);
}
