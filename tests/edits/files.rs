//! deleteFiles and updateFile: physical files and thumbnails, every field rule, logical moves,
//! thumbnail statuses and the uploading list, foreign ids.

use super::{catalog_info, catalog_named, database, download, enc, file_names, logged_in, put_thumb, root_named};
use crate::{family_library, file_id};
use serde_json::Value;

fn update(client: &mut crate::common::Client, form: &str) -> Value {
    client.post_form("/updateFile.icc", form).data()
}

#[test]
fn delete_files_removes_the_file_and_its_thumbnails_and_ignores_other_users_ids() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let x = file_id(&mut anna, "x.jpg");
    let mut client = server.client();
    assert_eq!(client.post_form("/deleteFiles.icc", &format!("ids={x}")).code(), -10001);
    client.login("terry", "123");
    let root = root_named(&mut client, "terry");
    let (a, b) = (file_id(&mut client, "a.jpg"), file_id(&mut client, "b.png"));
    let thumbs = [put_thumb(&server, root, a, false, b"t"), put_thumb(&server, root, a, true, b"s")];
    let other = put_thumb(&server, root, b, false, b"b");
    assert_eq!(client.post_form("/deleteFiles.icc", &format!("ids={a},{x},999999,{a}")).data(), "OK");
    assert!(!server.app_dir().join("terry/a.jpg").exists() && thumbs.iter().all(|t| !t.exists()));
    assert!(other.exists() && server.app_dir().join("terry/b.png").is_file());
    assert_eq!(file_names(&mut client, ""), ["b.png", "c.gif", "d.jpg", "notes.txt"]);
    assert!(server.app_dir().join("anna/x.jpg").is_file(), "another user's file stays on disk");
    assert_eq!(file_names(&mut anna, ""), ["x.jpg"]);
    assert_eq!(client.post_json("/deleteFiles.icc", &format!(r#"{{"ids": [{b}]}}"#)).data(), "OK");
    assert!(!server.app_dir().join("terry/b.png").exists(), "a file missing its thumbnails is deleted too");
    for form in ["", "ids=", "ids=1,,2", "ids=x"] {
        assert_eq!(client.post_form("/deleteFiles.icc", form).code(), -10003, "{form}");
    }
}

#[test]
fn update_file_sets_every_field_and_ignores_invalid_values() {
    let server = family_library();
    let mut client = logged_in(&server, "terry", "123");
    let a = file_id(&mut client, "a.jpg");
    let form = format!(
        "id={a}&name=Renamed.jpg&ext=JPG&size=12&type=4&createTime=1400000000&importTime=1400000001.9\
         &lastModifyTime=1400000002&duration=2.5&width=10&height=20&orientation=6&memo=m&helpInt=5&helpText=t\
         &longitude=1.5&latitude=-2.25"
    );
    let data = update(&mut client, &form);
    let expected = serde_json::json!({
        "id": a, "name": "Renamed.jpg", "ext": "JPG", "size": 12, "type": 4, "createTime": 1400000000,
        "importTime": 1400000001, "lastModifyTime": 1400000002, "duration": 2.5, "width": 10, "height": 20,
        "orientation": 6, "memo": "m", "helpInt": 5, "helpText": "t",
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&data[key], value, "{key} in {data}");
    }
    assert!(data.get("longitude").is_none() && data.get("latitude").is_none(), "never sent to clients");
    let stored: (f64, f64) = database(&server)
        .query_row("SELECT longitude, latitude FROM Files WHERE id = ?1", [a], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(stored, (1.5, -2.25));
    assert!(server.app_dir().join("terry/a.jpg").is_file(), "the physical file is not renamed");
    let invalid = format!(
        "id={a}&name={}&type=3&memo={}&ext=ABCDEFGHIJK&width=abc&duration=nan&createTime=inf&helpInt=1",
        "n".repeat(101),
        "m".repeat(1025)
    );
    let data = update(&mut client, &invalid);
    assert_eq!(
        (data["name"].as_str(), data["type"].as_i64(), data["memo"].as_str()),
        (Some("Renamed.jpg"), Some(4), Some("m"))
    );
    assert_eq!(
        (data["ext"].as_str(), data["width"].as_i64(), data["duration"].as_f64()),
        (Some("JPG"), Some(10), Some(2.5))
    );
    assert_eq!((data["createTime"].as_i64(), data["helpInt"].as_i64()), (Some(1400000000), Some(1)));
    assert!(data["lastModifyTime"].as_i64().unwrap() > 1_600_000_000, "an absent lastModifyTime becomes now");
    let data = client
        .post_json("/updateFile.icc", &format!(r#"{{"id": {a}, "ext": "", "name": "{}"}}"#, "é".repeat(100)))
        .data();
    assert_eq!((data["ext"].as_str(), data["name"].as_str()), (Some(""), Some("é".repeat(100).as_str())));
}

#[test]
fn update_file_moves_only_logically_and_the_download_still_works() {
    let server = family_library();
    let mut client = logged_in(&server, "terry", "123");
    let root = root_named(&mut client, "terry");
    let sub = catalog_named(&mut client, root, "sub")["id"].as_i64().unwrap();
    let a = file_id(&mut client, "a.jpg");
    let data = update(&mut client, &format!("id={a}&catalogId={sub}"));
    assert_eq!(data["catalogId"], sub);
    assert_eq!(file_names(&mut client, &format!("&pids={sub}")), ["a.jpg", "c.gif"]);
    assert_eq!(catalog_info(&mut client, root, sub).unwrap()["fileCount"], 2);
    assert_eq!(catalog_named(&mut client, -1, "terry")["fileCount"], 2);
    let on_disk = server.app_dir().join("terry/a.jpg");
    assert!(on_disk.is_file() && !server.app_dir().join("terry/sub/a.jpg").exists());
    assert_eq!(download(&mut client, a), std::fs::read(&on_disk).unwrap());
}

#[test]
fn update_file_answers_not_modified_for_empty_updates_foreign_files_and_foreign_catalogs() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let (x, anna_root) = (file_id(&mut anna, "x.jpg"), root_named(&mut anna, "anna"));
    let mut client = server.client();
    assert_eq!(client.post_form("/updateFile.icc", "id=x").code(), -10001);
    client.login("terry", "123");
    let root = root_named(&mut client, "terry");
    let a = file_id(&mut client, "a.jpg");
    for form in [
        format!("id={a}"),
        format!("id={a}&name="),
        format!("id={a}&type=3&statusForThumb=x"),
        format!("id={a}&catalogId={root}"),
        format!("id={x}&name=mine"),
        String::from("id=999999&name=mine"),
        format!("id={a}&catalogId={anna_root}"),
        format!("id={a}&catalogId={anna_root}&name=both"),
        format!("id={a}&catalogId=999999"),
    ] {
        assert_eq!(client.post_form("/updateFile.icc", &form).code(), -10010, "{form}");
    }
    for form in ["name=x", "id=abc&name=x"] {
        assert_eq!(client.post_form("/updateFile.icc", form).code(), -10003, "{form}");
    }
    assert_eq!(file_names(&mut anna, ""), ["x.jpg"]);
    assert_eq!(file_names(&mut client, &format!("&pids={root}")), ["a.jpg", "b.png", "notes.txt"]);
    assert_eq!(client.get(&format!("/updateFile.icc?id={a}&name={}", enc("x"))).status, 405);
}

#[test]
fn a_thumbnail_status_of_2_hides_a_file_and_lists_it_as_uploading_for_its_uploader_only() {
    let server = family_library();
    let mut anna = logged_in(&server, "anna", "456");
    let mut client = server.client();
    let terry_id = client.login("terry", "123")["id"].as_i64().unwrap();
    let root = root_named(&mut client, "terry");
    let (a, b) = (file_id(&mut client, "a.jpg"), file_id(&mut client, "b.png"));
    database(&server).execute("UPDATE Files SET uploadUserId = ?1 WHERE id = ?2", [terry_id, a]).unwrap();
    let data = update(&mut client, &format!("id={a}&statusForThumb=2"));
    assert_eq!(data["uploadingThumbSize"], 0);
    assert!(data.get("uploadingOriginSize").is_none() && data.get("uploadingScreenSize").is_none());
    assert_eq!(file_names(&mut client, ""), ["b.png", "c.gif", "d.jpg", "notes.txt"]);
    put_thumb(&server, root, a, false, b"12345");
    let uploading = client.get("/uploadingInfo.icc").data();
    assert_eq!(uploading.as_array().unwrap().len(), 1, "{uploading}");
    assert_eq!((uploading[0]["id"].as_i64(), uploading[0]["uploadingThumbSize"].as_i64()), (Some(a), Some(5)));
    assert_eq!(anna.get("/uploadingInfo.icc").data(), serde_json::json!([]), "only for its uploader");
    update(&mut client, &format!("id={b}&statusForScreen=2"));
    assert!(!file_names(&mut client, "").contains(&"b.png".to_string()));
    assert_eq!(client.get("/uploadingInfo.icc").data().as_array().unwrap().len(), 1, "scanned files have no uploader");
    let data = update(&mut client, &format!("id={a}&statusForThumb=3"));
    assert!(data.get("uploadingThumbSize").is_none(), "any status but 2 becomes 0: {data}");
    update(&mut client, &format!("id={b}&statusForScreen=1"));
    assert_eq!(file_names(&mut client, ""), ["a.jpg", "b.png", "c.gif", "d.jpg", "notes.txt"]);
    assert_eq!(client.get("/uploadingInfo.icc").data(), serde_json::json!([]));
    let status: (i64, i64) = database(&server)
        .query_row("SELECT statusForThumb, statusForScreen FROM Files WHERE id = ?1", [b], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(status, (0, 0));
}
