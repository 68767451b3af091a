//! deleteCatalog (protocol §4.8): subtrees, rescued catalogs and files, moved-in files, roots and
//! associations, symlinks, hostile display names, foreign ids.

use super::{
    catalog_info, catalog_named, download, enc, entries, file_names, logged_in, put_thumb, root_named, shared_library,
    terry_with_tree, thumb_root,
};
use crate::common::{fixtures, media_dir, scan_config, TestServer};
use crate::{family_library, file_id};
use std::os::unix::fs::symlink;

#[test]
fn deleting_a_catalog_removes_its_subtree_rows_thumbnails_and_directories() {
    let server = family_library();
    let (mut client, [_, sub, deeper]) = terry_with_tree(&server);
    let (c, d) = (file_id(&mut client, "c.gif"), file_id(&mut client, "d.jpg"));
    let thumbs = [
        put_thumb(&server, sub, c, false, b"t"),
        put_thumb(&server, sub, c, true, b"s"),
        put_thumb(&server, deeper, d, false, b"t"),
    ];
    assert_eq!(client.post_form("/deleteCatalog.icc", &format!("ids={sub}")).data(), "OK");
    assert!(!server.app_dir().join("terry/sub").exists());
    assert!(thumbs.iter().all(|t| !t.exists()));
    assert!(
        !thumb_root(&server).join(sub.to_string()).exists() && !thumb_root(&server).join(deeper.to_string()).exists()
    );
    assert_eq!(file_names(&mut client, ""), ["a.jpg", "b.png", "notes.txt"]);
    assert_eq!(client.get(&format!("/catalogs.icc?pids={sub},{deeper}")).data(), serde_json::json!([]));
    assert_eq!(catalog_named(&mut client, -1, "terry")["subCatalogCount"], 0);
    assert_eq!(client.get(&format!("/downFile.icc?id={d}")).status, 404);
    assert!(server.app_dir().join("terry/a.jpg").is_file());
}

#[test]
fn deleting_nested_catalogs_rescues_what_was_moved_out_and_deletes_what_was_moved_in() {
    let server = family_library();
    let terry_dir = server.app_dir().join("terry");
    let (mut client, [root, sub, deeper]) = terry_with_tree(&server);
    let (a, c, d) = (file_id(&mut client, "a.jpg"), file_id(&mut client, "c.gif"), file_id(&mut client, "d.jpg"));
    let (gif, jpeg) = (
        std::fs::read(terry_dir.join("sub/c.gif")).unwrap(),
        std::fs::read(terry_dir.join("sub/deeper/d.jpg")).unwrap(),
    );
    client.post_form("/updateFile.icc", &format!("id={a}&catalogId={sub}")).data(); // moved in
    client.post_form("/updateFile.icc", &format!("id={c}&catalogId={root}")).data(); // moved out
    client.post_form("/updateCatalog.icc", &format!("id={deeper}&parentId={root}")).data(); // moved out
    let a_thumb = put_thumb(&server, root, a, false, b"a-thumb");
    let c_thumbs = [put_thumb(&server, sub, c, false, b"c-thumb"), put_thumb(&server, sub, c, true, b"c-screen")];
    std::fs::write(terry_dir.join("c.gif"), b"occupied").unwrap(); // name clashes on disk
    std::fs::create_dir(terry_dir.join("deeper")).unwrap();
    assert_eq!(client.post_form("/deleteCatalog.icc", &format!("ids={sub}")).data(), "OK");
    assert!(!terry_dir.join("sub").exists());
    assert!(!terry_dir.join("a.jpg").exists() && !a_thumb.exists(), "the moved-in file is deleted where it is stored");
    assert_eq!(file_names(&mut client, ""), ["b.png", "c.gif", "d.jpg", "notes.txt"]);
    assert_eq!(std::fs::read(terry_dir.join("c_1.gif")).unwrap(), gif, "the moved-out file got a clash suffix");
    assert_eq!(std::fs::read(terry_dir.join("c.gif")).unwrap(), b"occupied");
    assert_eq!(download(&mut client, c), gif);
    assert_eq!(file_names(&mut client, &format!("&pids={root}")), ["b.png", "c.gif", "notes.txt"]);
    assert!(c_thumbs.iter().all(|t| !t.exists()) && !thumb_root(&server).join(sub.to_string()).exists());
    let moved_thumbs = thumb_root(&server).join(root.to_string());
    assert_eq!(std::fs::read(moved_thumbs.join(format!("thumb_{c}"))).unwrap(), b"c-thumb");
    assert_eq!(std::fs::read(moved_thumbs.join(format!("thumbScreen_{c}"))).unwrap(), b"c-screen");
    let rescued = catalog_info(&mut client, root, deeper).expect("the moved-out catalog is still listed");
    assert_eq!((rescued["name"].as_str(), rescued["fileCount"].as_i64()), (Some("deeper"), Some(1)));
    assert_eq!(entries(&terry_dir.join("deeper_0")), ["d.jpg"], "rescued next to the clashing directory");
    assert!(entries(&terry_dir.join("deeper")).is_empty());
    assert_eq!(download(&mut client, d), jpeg);
    assert_eq!(file_names(&mut client, &format!("&pids={deeper}")), ["d.jpg"]);
}

#[test]
fn rescued_catalogs_and_relocated_files_with_hostile_names_stay_inside_their_new_parent() {
    let server = family_library();
    let terry_dir = server.app_dir().join("terry");
    let (mut client, [root, sub, deeper]) = terry_with_tree(&server);
    let trip =
        client.post_form("/createCatalog.icc", &format!("parentId={sub}&name=Trip")).data()["id"].as_i64().unwrap();
    let hostile = "../../../escape";
    client.post_form("/updateCatalog.icc", &format!("id={deeper}&parentId={root}&name={}", enc(hostile))).data();
    client.post_form("/updateCatalog.icc", &format!("id={trip}&parentId={root}&name={}", enc("照片"))).data();
    let c = file_id(&mut client, "c.gif");
    client.post_form("/updateFile.icc", &format!("id={c}&catalogId={root}&name={}", enc("../../../evil.gif"))).data();
    let app_before = entries(server.app_dir());
    assert_eq!(client.post_form("/deleteCatalog.icc", &format!("ids={sub}")).data(), "OK");
    assert_eq!(entries(&terry_dir.join("escape")), ["d.jpg"]);
    assert!(terry_dir.join("catalog").is_dir(), "an empty sanitised name falls back to `catalog`");
    assert_eq!(entries(server.app_dir()), app_before);
    for outside in terry_dir.ancestors().skip(1) {
        assert!(std::fs::symlink_metadata(outside.join("escape")).is_err(), "escaped into {}", outside.display());
    }
    assert_eq!(catalog_info(&mut client, root, deeper).unwrap()["name"], hostile, "the display name is unchanged");
    assert_eq!(catalog_info(&mut client, root, trip).unwrap()["name"], "照片");
    assert!(terry_dir.join("c.gif").is_file(), "a relocated file keeps its physical name, not its display name");
    assert_eq!(download(&mut client, c), std::fs::read(terry_dir.join("c.gif")).unwrap());
    let d = file_id(&mut client, "d.jpg");
    assert_eq!(download(&mut client, d).len() as u64, std::fs::metadata(terry_dir.join("escape/d.jpg")).unwrap().len());
}

#[test]
fn deleting_a_shared_root_removes_every_users_access_to_it() {
    let server = shared_library();
    let mut terry = logged_in(&server, "terry", "123");
    let mut anna = logged_in(&server, "anna", "456");
    let shared = root_named(&mut terry, "shared");
    assert_eq!(terry.post_form("/deleteCatalog.icc", &format!("ids={shared}")).data(), "OK");
    assert!(!server.app_dir().join("shared").exists());
    for (client, own) in [(&mut terry, "terry"), (&mut anna, "anna")] {
        let roots = client.get("/catalogs.icc?pids=-1").data();
        assert_eq!(roots.as_array().unwrap().len(), 1, "{own}: {roots}");
        assert_eq!(roots[0]["name"], own);
    }
    assert_eq!(file_names(&mut anna, ""), ["x.jpg"]);
}

#[test]
fn a_user_whose_only_root_is_deleted_gets_a_fresh_default_folder() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let root = root_named(&mut anna, "anna");
    assert_eq!(anna.post_json("/deleteCatalog.icc", &format!(r#"{{"ids": "{root}"}}"#)).data(), "OK");
    assert!(!server.app_dir().join("anna").exists());
    let roots = anna.get("/catalogs.icc?pids=-1").data();
    assert_eq!(roots.as_array().unwrap().len(), 1);
    assert_eq!(roots[0]["name"], "iSyncRoot");
    assert_ne!(roots[0]["id"], root);
    let mut terry = logged_in(&server, "terry", "123");
    assert_eq!(file_names(&mut terry, "").len(), 5, "terry is unaffected");
}

#[test]
fn a_symlink_inside_a_deleted_tree_is_removed_without_touching_its_outside_target() {
    let server = family_library();
    let outside = server.app_dir().join("outside");
    std::fs::create_dir_all(outside.join("inner")).unwrap();
    std::fs::write(outside.join("keep.txt"), b"precious").unwrap();
    std::fs::write(outside.join("inner/keep2.txt"), b"precious too").unwrap();
    let sub_dir = server.app_dir().join("terry/sub");
    symlink(&outside, sub_dir.join("link_to_dir")).unwrap();
    symlink(outside.join("keep.txt"), sub_dir.join("deeper/link_to_file")).unwrap();
    let mut client = logged_in(&server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    assert_eq!(client.post_form("/deleteCatalog.icc", &format!("ids={sub}")).data(), "OK");
    assert!(std::fs::symlink_metadata(&sub_dir).is_err());
    assert_eq!(std::fs::read(outside.join("keep.txt")).unwrap(), b"precious");
    assert_eq!(std::fs::read(outside.join("inner/keep2.txt")).unwrap(), b"precious too");
}

#[test]
fn delete_catalog_ignores_foreign_and_unknown_ids_and_validates_its_list() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let anna_root = root_named(&mut anna, "anna");
    let mut client = server.client();
    assert_eq!(client.post_form("/deleteCatalog.icc", "ids=").code(), -10001);
    client.login("terry", "123");
    assert_eq!(client.post_form("/deleteCatalog.icc", &format!("ids={anna_root},999999,-1")).data(), "OK");
    assert_eq!(client.post_json("/deleteCatalog.icc", &format!(r#"{{"ids": [{anna_root}]}}"#)).data(), "OK");
    assert_eq!(entries(&server.app_dir().join("anna")), ["x.jpg"]);
    assert_eq!(file_names(&mut anna, ""), ["x.jpg"]);
    for form in ["", "ids=", "ids=1,,2", "ids=1,2,", "ids=x"] {
        assert_eq!(client.post_form("/deleteCatalog.icc", form).code(), -10003, "{form}");
    }
    assert_eq!(client.get("/deleteCatalog.icc?ids=1").status, 405);
}

#[test]
fn a_root_of_another_tree_stored_inside_a_deleted_directory_makes_the_delete_fail_untouched() {
    let server = TestServer::start_with(|dir| {
        let terry = media_dir(dir, "terry");
        fixtures::jpeg(&terry.join("a.jpg"), 16, 16, None);
        let kids = media_dir(dir, "terry/kids");
        fixtures::jpeg(&kids.join("k.jpg"), 16, 16, None);
        scan_config(dir, &[("anna", "456", &[kids.as_path()]), ("terry", "123", &[terry.as_path()])]);
    });
    let mut terry = logged_in(&server, "terry", "123");
    let mut anna = logged_in(&server, "anna", "456");
    assert_eq!(file_names(&mut anna, ""), ["k.jpg"], "anna's root is a separate tree inside terry's folder");
    let root = root_named(&mut terry, "terry");
    assert_eq!(terry.post_form("/deleteCatalog.icc", &format!("ids={root}")).code(), -103);
    assert!(server.app_dir().join("terry/a.jpg").is_file() && server.app_dir().join("terry/kids/k.jpg").is_file());
    assert_eq!(file_names(&mut terry, ""), ["a.jpg"]);
    assert_eq!(file_names(&mut anna, ""), ["k.jpg"]);
    let k = file_id(&mut anna, "k.jpg");
    assert_eq!(download(&mut anna, k), std::fs::read(server.app_dir().join("terry/kids/k.jpg")).unwrap());
}

#[test]
fn a_failure_half_way_through_a_delete_puts_every_moved_file_back_and_changes_nothing() {
    let server = family_library();
    let terry_dir = server.app_dir().join("terry");
    let (mut client, [root, sub, deeper]) = terry_with_tree(&server);
    let c = file_id(&mut client, "c.gif");
    let gone =
        client.post_form("/createCatalog.icc", &format!("parentId={root}&name=Gone")).data()["id"].as_i64().unwrap();
    client.post_form("/updateCatalog.icc", &format!("id={deeper}&parentId={root}")).data(); // rescued first
    client.post_form("/updateFile.icc", &format!("id={c}&catalogId={gone}")).data(); // then cannot be relocated
    let gone_dir = entries(&terry_dir).into_iter().find(|e| e.starts_with("Gone_")).unwrap();
    std::fs::remove_dir(terry_dir.join(gone_dir)).unwrap();
    let before = entries(&terry_dir);
    assert_eq!(client.post_form("/deleteCatalog.icc", &format!("ids={sub}")).code(), -103);
    assert_eq!(entries(&terry_dir), before, "the rescue directory was removed again");
    assert_eq!(entries(&terry_dir.join("sub")), ["c.gif", "deeper"]);
    assert_eq!(entries(&terry_dir.join("sub/deeper")), ["d.jpg"], "the rescued file was put back");
    assert_eq!(catalog_info(&mut client, root, sub).unwrap()["fileCount"], 0);
    assert_eq!(catalog_info(&mut client, root, deeper).unwrap()["fileCount"], 1);
    let d = file_id(&mut client, "d.jpg");
    assert_eq!(
        download(&mut client, d),
        std::fs::read(terry_dir.join("sub/deeper/d.jpg")).unwrap(),
        "the row still points there"
    );
}
