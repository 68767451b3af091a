//! No symbolic link swapped in after a scan is followed: a scanned file replaced by a link to a
//! file outside the root, or a folder on its way replaced by a link to an outside folder, is
//! refused by downFile, shareFileUrl, share links and thumbnail.icc (never a byte of the outside
//! file), and an upload resume into a target swapped that way leaves the outside file unchanged.

use super::{contains, upload_whole};
use crate::common::http::Response;
use crate::common::upload::{self, file, Data};
use crate::common::{fixtures, media_dir, scan_config, Client, TestServer};
use crate::file_id;
use crate::uploads::{root_catalog, stored, thumb_path};
use std::os::unix::fs::symlink;
use std::path::PathBuf;

/// terry's root `m/` holds a.jpg and sub/b.jpg (400×300 JPEGs, so thumbnails are built);
/// `outside/` (in no root) holds secret.jpg and b.jpg: PNGs with transparency, so a thumbnail of
/// one would be a PNG, with a marker at their end.
fn library() -> (TestServer, Client) {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "m");
        fixtures::jpeg(&media.join("a.jpg"), 400, 300, None);
        std::fs::create_dir_all(media.join("sub")).unwrap();
        fixtures::jpeg(&media.join("sub/b.jpg"), 400, 300, None);
        let outside = media_dir(dir, "outside");
        for name in ["secret.jpg", "b.jpg"] {
            fixtures::png_with_alpha(&outside.join("image.png"), 400, 300);
            let mut bytes = std::fs::read(outside.join("image.png")).unwrap();
            std::fs::remove_file(outside.join("image.png")).unwrap();
            bytes.extend_from_slice(SECRET_MARK);
            std::fs::write(outside.join(name), bytes).unwrap();
        }
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    (server, client)
}

/// The tail of every outside file: no answer may contain it.
const SECRET_MARK: &[u8] = b"OUTSIDE-SECRET-3f9a";

/// A refusal: the expected status and code in a JSON envelope, and nothing of the outside file.
fn refused(response: &Response, status: u16, code: i64, what: &str) {
    assert!(!contains(&response.body, SECRET_MARK), "{what} sent the outside file");
    assert_eq!((response.status, response.code()), (status, code), "{what}");
}

/// Every way of reading file `id` refuses: downFile (-10006, 500), shareFileUrl (-10006), a share
/// link made before the swap (-10004) and thumbnail.icc at both levels (-10006).
fn every_read_refuses(client: &mut Client, id: i64, share_key: &str) {
    refused(&client.get(&format!("/downFile.icc?id={id}")), 500, -10006, "downFile");
    refused(&client.get_with(&format!("/downFile.icc?id={id}"), &[("Range", "bytes=0-")]), 500, -10006, "a range");
    refused(&client.get(&format!("/shareFileUrl.icc?id={id}")), 200, -10006, "shareFileUrl");
    let mut stranger = Client::new(&client.addr);
    refused(&stranger.get(&format!("/shareFile.icc?shareKey={share_key}")), 200, -10004, "the share link");
    for level in [0, 1] {
        refused(&client.get(&format!("/thumbnail.icc?id={id}&level={level}")), 200, -10006, "thumbnail");
    }
}

fn share_key(client: &mut Client, id: i64) -> String {
    client.get(&format!("/shareFileUrl.icc?id={id}")).data().as_str().expect("a share key").to_string()
}

#[test]
fn a_scanned_file_swapped_for_a_link_to_an_outside_file_is_never_served() {
    let (server, mut client) = library();
    let id = file_id(&mut client, "a.jpg");
    let key = share_key(&mut client, id);
    let original = std::fs::read(server.app_dir().join("m/a.jpg")).unwrap();
    assert_eq!(client.get(&format!("/downFile.icc?id={id}")).body, original, "served before the swap");
    let (link, secret) = (server.app_dir().join("m/a.jpg"), server.app_dir().join("outside/secret.jpg"));
    std::fs::remove_file(&link).unwrap();
    symlink(&secret, &link).unwrap();
    every_read_refuses(&mut client, id, &key);
}

#[test]
fn a_folder_swapped_for_a_link_to_an_outside_folder_is_never_served() {
    let (server, mut client) = library();
    let id = file_id(&mut client, "b.jpg");
    let key = share_key(&mut client, id);
    let sub = server.app_dir().join("m/sub");
    std::fs::rename(&sub, server.app_dir().join("moved-away")).unwrap();
    symlink(server.app_dir().join("outside"), &sub).unwrap();
    assert!(std::fs::read(sub.join("b.jpg")).unwrap().ends_with(SECRET_MARK), "the path now leads outside");
    every_read_refuses(&mut client, id, &key);
}

/// Registers an upload in a new catalog of terry's root, stores 10 bytes of its origin and a
/// thumbnail part, and returns (id, the origin's path, the thumbnail's path).
fn half_uploaded(server: &TestServer, client: &mut Client) -> (i64, PathBuf, PathBuf) {
    let root = root_catalog(client);
    let cid =
        client.post_form("/createCatalog.icc", &format!("parentId={root}&name=inbox")).data()["id"].as_i64().unwrap();
    let id = upload_whole(client, cid, "clip.mov", "mov", 4, b"0123456789");
    let form = format!("id={id}&tbp=0");
    upload::upload(client, &form, &[file("thumb", Data::Bytes(b"thumb".to_vec()))]).data();
    let real_catalog: i64 = rusqlite::Connection::open(server.app_dir().join("dataManager.db"))
        .unwrap()
        .query_row("SELECT realCatalogId FROM Files WHERE id = ?1", [id], |r| r.get(0))
        .unwrap();
    (id, stored(server, id).0, thumb_path(server, real_catalog, &format!("thumb_{id}")))
}

/// A victim outside every root with the content `bytes`.
fn victim(server: &TestServer, name: &str, bytes: &[u8]) -> PathBuf {
    let path = server.app_dir().join("outside").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn resume(client: &Client, query: &str, part: &str) -> Response {
    upload::upload(client, query, &[file(part, Data::Bytes(b"EVIL".to_vec()))])
}

#[test]
fn an_upload_resume_never_writes_through_a_swapped_target() {
    let (server, mut client) = library();
    let (id, origin, thumb) = half_uploaded(&server, &mut client);
    let kept = b"do not touch this file".to_vec();

    // The origin itself, then the thumbnail, replaced by a link to an outside file.
    let outside = victim(&server, "victim.bin", &kept);
    std::fs::remove_file(&origin).unwrap();
    symlink(&outside, &origin).unwrap();
    assert_eq!(resume(&client, &format!("id={id}&obp=10"), "origin").code(), -10003, "origin through a link");
    let outside_thumb = victim(&server, "victim-thumb", &kept);
    std::fs::remove_file(&thumb).unwrap();
    symlink(&outside_thumb, &thumb).unwrap();
    assert_eq!(resume(&client, &format!("id={id}&tbp=5"), "thumb").code(), -10003, "thumb through a link");
    assert_eq!(std::fs::read(&outside).unwrap(), kept, "the outside origin is unchanged");
    assert_eq!(std::fs::read(&outside_thumb).unwrap(), kept, "the outside thumbnail is unchanged");

    // Their folders replaced by links to outside folders holding files of the same names.
    for (target, part, begin) in [(&origin, "origin", "obp=10"), (&thumb, "thumb", "tbp=5")] {
        let dir = target.parent().unwrap();
        let outside_dir = server.app_dir().join(format!("outside/{part}-dir"));
        victim(&server, &format!("{part}-dir/{}", target.file_name().unwrap().to_str().unwrap()), &kept);
        std::fs::rename(dir, server.app_dir().join(format!("moved-{part}"))).unwrap();
        symlink(&outside_dir, dir).unwrap();
        assert_eq!(resume(&client, &format!("id={id}&{begin}"), part).code(), -10003, "{part} in a swapped folder");
        let written = std::fs::read(outside_dir.join(target.file_name().unwrap())).unwrap();
        assert_eq!(written, kept, "the outside {part} is unchanged");
        assert_eq!(std::fs::read_dir(&outside_dir).unwrap().count(), 1, "nothing was created outside");
    }
}
