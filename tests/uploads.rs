//! `uploadFileInfo.icc` (§4.15) and the request-level rules of `uploadFile.icc` (§4.17): the
//! placeholder and its row, every parameter rule, part dispatch, statuses and visibility in
//! files.icc, begin-position checks, check digests, Expect: 100-continue. Resuming, crashes,
//! concurrency, memory and disk errors are in `upload_resume`.

use crate::common::upload::{self, field, file, generated, sha1_hex, upload, Data};
use crate::common::{Client, TestServer};
use crate::{family_library, file_id};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

pub fn root_catalog(client: &mut Client) -> i64 {
    client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap()
}

/// Registers an upload in the user's first root and returns its id.
pub fn new_upload(client: &mut Client, extra: &str) -> i64 {
    let cid = root_catalog(client);
    register(client, cid, extra)["id"].as_i64().unwrap()
}

/// Registers an upload in catalog `cid` and returns its FileInfo.
pub fn register(client: &mut Client, cid: i64, extra: &str) -> Value {
    client.post_form("/uploadFileInfo.icc", &format!("cid={cid}&name=clip.mov&size=100&type=4&ext=MOV{extra}")).data()
}

pub fn uploading(client: &mut Client) -> Vec<Value> {
    client.get("/uploadingInfo.icc").data().as_array().unwrap().clone()
}

pub fn listed(client: &mut Client, id: i64) -> bool {
    let list = client.get("/files.icc?pageIndex=0&maxPerPage=10000").data()["list"].clone();
    list.as_array().unwrap().iter().any(|f| f["id"] == id)
}

/// The physical path of a file and its (origin, thumb, screen) statuses, read from the database.
pub fn stored(server: &TestServer, id: i64) -> (PathBuf, [i64; 3]) {
    let db = rusqlite::Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    db.query_row(
        "SELECT c.path, f.fileName, f.statusForOrigin, f.statusForThumb, f.statusForScreen \
         FROM Files f JOIN Catalog c ON c.id = f.realCatalogId WHERE f.id = ?1",
        [id],
        |r| Ok((PathBuf::from(r.get::<_, String>(0)?).join(r.get::<_, String>(1)?), [r.get(2)?, r.get(3)?, r.get(4)?])),
    )
    .unwrap()
}

pub fn thumb_path(server: &TestServer, real_catalog_id: i64, name: &str) -> PathBuf {
    server.app_dir().join("building/thumbs").join(real_catalog_id.to_string()).join(name)
}

fn bytes(data: &[u8]) -> Data {
    Data::Bytes(data.to_vec())
}

#[test]
fn upload_file_info_registers_an_uploading_file_with_an_empty_placeholder() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let memo = "m".repeat(1024);
    let info = register(
        &mut client,
        cid,
        &format!(
            "&statusForThumb=2&statusForScreen=3&createTime=1499000000.9&width=640&height=480&duration=2.5\
         &orientation=6&longitude=8.54&latitude=47.37&memo={memo}&helpInt=4&helpText=t"
        ),
    );
    let id = info["id"].as_i64().unwrap();
    assert_eq!(info["name"], "clip.mov");
    assert_eq!((info["ext"].clone(), info["size"].clone(), info["type"].clone()), ("MOV".into(), 100.into(), 4.into()));
    assert_eq!((info["catalogId"].as_i64(), info["createTime"].as_i64()), (Some(cid), Some(1499000000)));
    assert_eq!((info["uploadingOriginSize"].as_i64(), info["uploadingThumbSize"].as_i64()), (Some(0), Some(0)));
    assert!(info.get("uploadingScreenSize").is_none(), "statusForScreen=3 becomes 0: {info}");
    assert_eq!(
        (info["width"].as_i64(), info["duration"].as_f64(), info["memo"].as_str()),
        (Some(640), Some(2.5), Some(&*memo))
    );
    assert!(info["uploadUserId"].as_i64().is_some() && info["uploadTime"].as_i64().is_some());
    for private in ["longitude", "latitude", "fileName", "statusForOrigin", "rootCatalogId"] {
        assert!(info.get(private).is_none(), "{private}");
    }
    let (path, statuses) = stored(&server, id);
    assert_eq!(statuses, [2, 2, 0]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "an empty placeholder");
    assert_eq!(path.parent(), Some(server.app_dir().join("terry").as_path()));
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    let (date, rest) = name.split_at(10);
    assert!(
        date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() }),
        "{name}"
    );
    let n = rest.strip_prefix('_').and_then(|r| r.strip_suffix(".MOV")).unwrap_or_else(|| panic!("{name}"));
    assert!(n.parse::<u64>().is_ok_and(|n| n < 10_000_000_000), "{name}");
    let db = rusqlite::Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let (lon, lat): (f64, f64) = db
        .query_row("SELECT longitude, latitude FROM Files WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((lon, lat), (8.54, 47.37), "D12");
    assert_eq!(uploading(&mut client).iter().map(|f| f["id"].as_i64().unwrap()).collect::<Vec<_>>(), [id]);
    assert!(!listed(&mut client, id), "files.icc hides it while uploading");
}

#[test]
fn upload_file_info_checks_every_parameter_in_order() {
    let server = family_library();
    let mut client = server.client();
    let mut stranger = server.client();
    assert_eq!(stranger.post_form("/uploadFileInfo.icc", "cid=x").code(), -10001, "login before parameters");
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let long_name = "n".repeat(101);
    let base = |cid: &str, name: &str, size: &str, kind: &str, ext: &str| {
        format!("cid={cid}&name={name}&size={size}&type={kind}&ext={ext}")
    };
    for (form, why) in [
        (base("x", "a", "1", "1", "jpg"), "cid"),
        ("name=a&size=1&type=1&ext=jpg".to_string(), "no cid"),
        (base(&cid.to_string(), "", "1", "1", "jpg"), "empty name"),
        (base(&cid.to_string(), &long_name, "1", "1", "jpg"), "101 code points"),
        (base(&cid.to_string(), "a", "1.5", "1", "jpg"), "size"),
        (base(&cid.to_string(), "a", "1", "3", "jpg"), "type 3"),
        (base(&cid.to_string(), "a", "1", "1", "abcdefghijk"), "ext of 11"),
        (format!("cid={cid}&name=a&size=1&type=1"), "no ext"),
        (base("99999", "a", "1", "1", "jpg"), "unknown catalog"),
    ] {
        assert_eq!(client.post_form("/uploadFileInfo.icc", &form).code(), -10003, "{why}");
    }
    let mut anna = server.client();
    anna.login("anna", "456");
    assert_eq!(
        anna.post_form("/uploadFileInfo.icc", &base(&cid.to_string(), "a", "1", "1", "jpg")).code(),
        -10003,
        "foreign catalog"
    );
    let name100 = "é".repeat(100);
    let info = client
        .post_form(
            "/uploadFileInfo.icc",
            &format!(
                "{}&statusForThumb=x&statusForScreen=2&width=abc&createTime=nan&memo={}",
                base(&cid.to_string(), &name100, "-5", "16", ""),
                "m".repeat(1025)
            ),
        )
        .data();
    assert_eq!(info["name"].as_str().unwrap().chars().count(), 100);
    assert_eq!((info["ext"].as_str(), info["size"].as_i64()), (Some(""), Some(-5)));
    assert!(info.get("uploadingThumbSize").is_none() && info["uploadingScreenSize"] == 0, "{info}");
    assert!(info.get("width").is_none() && info.get("memo").is_none(), "invalid optionals are absent: {info}");
    assert!(info["createTime"].as_i64().unwrap() > 1_600_000_000, "an invalid time becomes now");
    let json = client.post_json(
        "/uploadFileInfo.icc",
        &format!(r#"{{"cid": {cid}, "name": "j.jpg", "size": 3, "type": 1, "ext": "jpg"}}"#),
    );
    assert_eq!(json.data()["name"], "j.jpg");
}

#[test]
fn a_missing_catalog_directory_gives_minus_102_and_registers_nothing() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let dir = server.app_dir().join("terry");
    std::fs::rename(&dir, server.app_dir().join("terry-away")).unwrap();
    let response = client.post_form("/uploadFileInfo.icc", &format!("cid={cid}&name=a&size=1&type=1&ext=jpg"));
    assert_eq!((response.status, response.code()), (500, -102), "an internal failure (§1.8)");
    assert!(uploading(&mut client).is_empty());
    assert!(!dir.exists(), "nothing was created on the way");
}

/// Every path below `dir`, relative, sorted.
fn tree(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path.clone());
            }
            out.push(path.strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out.sort();
    out
}

#[test]
fn traversal_attempts_in_ext_and_name_never_create_anything_outside_the_catalog_directory() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let parent = server.app_dir().parent().unwrap().to_path_buf();
    let before = tree(server.app_dir());
    let attempts = [
        ("..%2F..%2Fx", "..%2F..%2Fx", "../../x"),
        ("%2Fetc%2Fpasswd", "%2Fetc%2Fpw", "/etc/pw"),
        ("a%00b", "a%00b", "a\0b"),
        ("..", "..", ".."),
        ("x", "..%5C..%5Cy", "..\\..\\y"),
    ];
    for (name, ext, given) in attempts {
        let info =
            client.post_form("/uploadFileInfo.icc", &format!("cid={cid}&name={name}&size=1&type=16&ext={ext}")).data();
        let (path, _) = stored(&server, info["id"].as_i64().unwrap());
        assert_eq!(path.parent(), Some(server.app_dir().join("terry").as_path()), "{name} {ext}");
        assert!(path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)));
        assert_eq!(info["ext"], given, "ext is stored as given");
    }
    let created: Vec<_> = tree(server.app_dir()).into_iter().filter(|p| !before.contains(p)).collect();
    for path in &created {
        let in_catalog = path.parent() == Some(std::path::Path::new("terry"));
        let bookkeeping = path.starts_with("building") || path.to_string_lossy().starts_with("dataManager.db");
        assert!(in_catalog || bookkeeping, "created outside the catalog: {}", path.display());
    }
    assert_eq!(created.iter().filter(|p| p.parent() == Some(std::path::Path::new("terry"))).count(), 5);
    assert!(!std::path::Path::new("/etc/pw").exists() && !parent.join("x").exists() && !parent.join("y").exists());
}

#[test]
fn origin_thumb_and_screen_land_in_their_targets_and_the_file_appears_once_none_is_uploading() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let id = register(&mut client, cid, "&statusForThumb=2&statusForScreen=2")["id"].as_i64().unwrap();
    let movie = generated(1, 0, 300_000);
    let origin = upload(
        &client,
        &format!("id={id}&cm=sha1"),
        &[field("note", "hi"), file("origin", Data::Bytes(movie.clone()))],
    );
    let data = origin.data();
    assert_eq!(data["check"], serde_json::json!({"origin": sha1_hex(&movie)}));
    assert_eq!(data["fileInfo"]["size"], 300_000, "size comes from the disk");
    assert_eq!(data["fileInfo"]["uploadingThumbSize"], 0);
    assert!(data["fileInfo"].get("uploadingOriginSize").is_none());
    assert_eq!(stored(&server, id).1, [3, 2, 2]);
    assert!(!listed(&mut client, id));
    let thumb = upload(&client, &format!("id={id}&cm=MD5"), &[file("thumb", bytes(b"small jpeg"))]).data();
    assert_eq!(thumb["check"]["thumb"], format!("{:x}", md5::compute(b"small jpeg")));
    assert!(!listed(&mut client, id), "the screen thumbnail is still uploading");
    assert_eq!(uploading(&mut client)[0]["uploadingScreenSize"], 0);
    let screen = upload(&client, &format!("id={id}"), &[file("screen", bytes(b"big jpeg"))]).data();
    assert!(screen.get("check").is_none(), "no cm, no check");
    assert_eq!(stored(&server, id).1, [3, 3, 3]);
    assert!(listed(&mut client, id));
    assert!(uploading(&mut client).is_empty());
    assert_eq!(std::fs::read(thumb_path(&server, cid, &format!("thumb_{id}"))).unwrap(), b"small jpeg");
    assert_eq!(std::fs::read(thumb_path(&server, cid, &format!("thumbScreen_{id}"))).unwrap(), b"big jpeg", "D10");
    assert_eq!(std::fs::read(stored(&server, id).0).unwrap(), movie);
}

#[test]
fn a_part_without_filename_is_accepted_by_its_field_name() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = new_upload(&mut client, "");
    let data = upload(&client, &format!("id={id}&cm=sha1"), &[field("origin", "by name")]).data();
    assert_eq!(data["check"]["origin"], sha1_hex(b"by name"));
    assert_eq!(std::fs::read(stored(&server, id).0).unwrap(), b"by name");
}

#[test]
fn upload_file_refuses_bad_queries_foreign_ids_and_multipart_without_boundary() {
    let server = family_library();
    let mut client = server.client();
    let anonymous = server.client();
    assert_eq!(upload(&anonymous, "id=x", &[file("origin", bytes(b"x"))]).code(), -10001);
    client.login("terry", "123");
    let id = new_upload(&mut client, "");
    let body = [file("origin", bytes(b"x"))];
    assert_eq!(upload(&client, "obp=0", &body).code(), -10003, "no id");
    assert_eq!(upload(&client, "id=abc", &body).code(), -10003);
    assert_eq!(upload(&client, "id=99999", &body).code(), -10003);
    let form = client.post_form("/uploadFile.icc", &format!("id={id}"));
    assert_eq!(form.code(), -10003, "parameters come only from the query string");
    let mut anna = server.client();
    anna.login("anna", "456");
    assert_eq!(upload(&anna, &format!("id={id}"), &body).code(), -10003, "another user's file");
    let headers = [("Content-Type", "multipart/form-data")];
    assert_eq!(client.request("POST", &format!("/uploadFile.icc?id={id}"), &headers, b"--x\r\n").code(), -10003);
    let malformed = client.request(
        "POST",
        &format!("/uploadFile.icc?id={id}"),
        &[("Content-Type", "multipart/form-data; boundary=b")],
        b"garbage",
    );
    assert_eq!(malformed.code(), -10003);
    assert_eq!(stored(&server, id).1, [2, 0, 0]);
    assert_eq!(std::fs::metadata(stored(&server, id).0).unwrap().len(), 0, "nothing was written");
}

#[test]
fn a_body_that_is_not_multipart_writes_nothing_and_succeeds() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let info = register(&mut client, cid, "&lastModifyTime=1000");
    let id = info["id"].as_i64().unwrap();
    let response = client.request(
        "POST",
        &format!("/uploadFile.icc?id={id}&cm=sha1"),
        &[("Content-Type", "text/plain")],
        b"origin bytes?",
    );
    let data = response.data();
    assert_eq!(data["check"], serde_json::json!({}));
    assert_eq!(data["fileInfo"], info, "nothing changed, not even lastModifyTime");
    let empty = upload(&client, &format!("id={id}"), &[]).data();
    assert_eq!(empty["fileInfo"], info, "a multipart body without parts changes nothing either");
}

#[test]
fn a_begin_position_beyond_the_stored_size_is_refused_and_changes_nothing() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = new_upload(&mut client, "&statusForThumb=2");
    upload(&client, &format!("id={id}"), &[file("origin", bytes(b"0123456789"))]).data();
    let before = client.get("/uploadingInfo.icc").data();
    for query in [format!("id={id}&obp=11"), format!("id={id}&obp=-1"), format!("id={id}&tbp=1")] {
        let part = if query.contains("tbp") { "thumb" } else { "origin" };
        assert_eq!(upload(&client, &query, &[file(part, bytes(b"more"))]).code(), -10003, "{query}");
    }
    assert_eq!(std::fs::read(stored(&server, id).0).unwrap(), b"0123456789");
    assert_eq!(stored(&server, id).1, [3, 2, 0], "a refused part is not touched");
    assert_eq!(client.get("/uploadingInfo.icc").data(), before, "lastModifyTime unchanged too");
    let resumed = upload(&client, &format!("id={id}&obp=10&cm=sha1"), &[file("origin", bytes(b"AB"))]).data();
    assert_eq!(resumed["check"]["origin"], sha1_hex(b"0123456789AB"), "obp = size is fine");
}

#[test]
fn an_unknown_part_fails_and_leaves_the_parts_before_it_uploading() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = new_upload(&mut client, "");
    upload(&client, &format!("id={id}"), &[file("origin", bytes(b"done"))]).data();
    assert_eq!(stored(&server, id).1[0], 3);
    let parts = [file("origin", bytes(b"redo")), file("IMG_1.JPG", bytes(b"?")), file("thumb", bytes(b"t"))];
    assert_eq!(upload(&client, &format!("id={id}"), &parts).code(), -10003);
    assert_eq!(stored(&server, id).1, [2, 0, 0], "the touched origin is uploading again");
    assert_eq!(uploading(&mut client)[0]["uploadingOriginSize"], 4);
    assert!(
        !thumb_path(&server, root_catalog(&mut client), &format!("thumb_{id}")).exists(),
        "parts after the failure are not read"
    );
}

#[test]
fn uploading_an_origin_for_a_scanned_file_overwrites_it_from_obp_and_drops_generated_thumbnails() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "notes.txt");
    let cid = root_catalog(&mut client);
    let generated_thumb = thumb_path(&server, cid, &format!("thumb_{id}"));
    std::fs::create_dir_all(generated_thumb.parent().unwrap()).unwrap();
    std::fs::write(&generated_thumb, b"built from the old content").unwrap();
    let data = upload(&client, &format!("id={id}&obp=6&cm=sha1"), &[file("origin", bytes(b"world!"))]).data();
    assert_eq!(std::fs::read(server.app_dir().join("terry/notes.txt")).unwrap(), b"hello world!");
    assert_eq!(data["fileInfo"]["size"], 12);
    assert_eq!(data["check"]["origin"], sha1_hex(b"hello world!"));
    assert!(!generated_thumb.exists(), "D21: a server-built thumbnail is rebuilt after a re-upload");
    assert_eq!(stored(&server, id).1, [3, 0, 0]);
    assert!(listed(&mut client, id));
    let uploaded_thumb = upload(&client, &format!("id={id}"), &[file("thumb", bytes(b"mine"))]);
    assert_eq!(uploaded_thumb.code(), 0);
    upload(&client, &format!("id={id}&obp=12"), &[file("origin", bytes(b"!"))]).data();
    assert_eq!(std::fs::read(&generated_thumb).unwrap(), b"mine", "an uploaded thumbnail (status 3) stays");
}

#[test]
fn an_origin_part_needs_the_physical_catalog_row_but_thumbnails_do_not() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let cid = root_catalog(&mut client);
    let id = register(&mut client, cid, "&statusForThumb=2")["id"].as_i64().unwrap();
    let db = rusqlite::Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    db.execute("DELETE FROM Catalog WHERE id = ?1", [cid]).unwrap();
    assert_eq!(upload(&client, &format!("id={id}"), &[file("origin", bytes(b"x"))]).code(), -10003);
    let thumb = upload(&client, &format!("id={id}"), &[file("thumb", bytes(b"t"))]).data();
    assert_eq!(thumb["fileInfo"]["uploadingOriginSize"], 0, "D28: a missing physical catalog reports 0");
}

#[test]
fn expect_100_continue_is_refused_before_the_body_and_granted_to_a_valid_upload() {
    let server = family_library();
    let mut client = server.client();
    let anonymous = server.client();
    let expect = [("Expect", "100-continue")];
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    stream.write_all(upload::head(&anonymous, "/uploadFile.icc?id=1", 10_000_000, &expect).as_bytes()).unwrap();
    let refused = upload::read_one(&mut stream);
    assert_eq!((refused.status, refused.code()), (200, -10001), "no 100 Continue for a refused upload");
    drop(stream);
    client.login("terry", "123");
    let id = new_upload(&mut client, "");
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    stream.write_all(upload::head(&client, "/uploadFile.icc?id=99999", 10_000_000, &expect).as_bytes()).unwrap();
    assert_eq!(upload::read_one(&mut stream).code(), -10003, "refused before the body was sent");
    drop(stream);
    let parts = [file("origin", bytes(b"after continue"))];
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let path = format!("/uploadFile.icc?id={id}&cm=sha1");
    stream.write_all(upload::head(&client, &path, upload::body_len(&parts), &expect).as_bytes()).unwrap();
    let head = upload::read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 100"), "a valid upload got {head:?} instead of 100 Continue");
    upload::write_body(&mut stream, &parts, None).unwrap();
    let response = upload::read_to_close(stream);
    assert_eq!(response.data()["check"]["origin"], sha1_hex(b"after continue"));
    assert_eq!(uploading(&mut client).len(), 0, "the refused requests left the server healthy");
}
