//! WebDAV under `/dav/`: authentication, the tree each user sees, writes that cannot lose or
//! half-write a file and that keep the catalog in step, and hostile requests. `clients` runs
//! litmus and rclone against the real binary.

mod clients;

use crate::common::{fixtures, Client, TestServer};
use crate::{family_library, file_id};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// `Authorization` for terry/123 and anna/456 (base64 of `terry:123`, `anna:456`).
const TERRY: (&str, &str) = ("Authorization", "Basic dGVycnk6MTIz");
const ANNA: (&str, &str) = ("Authorization", "Basic YW5uYTo0NTY=");

fn dav(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> crate::common::http::Response {
    let mut all = vec![TERRY];
    all.extend_from_slice(headers);
    server.client().request(method, path, &all, body)
}

fn text(response: &crate::common::http::Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// terry's files.icc names (all pages of the first 100).
fn listed_names(server: &TestServer) -> Vec<String> {
    let mut client = server.client();
    client.login("terry", "123");
    let list = client.get("/files.icc?pageIndex=0&pageSize=100").data()["list"].clone();
    list.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

fn logged_in(server: &TestServer) -> Client {
    let mut client = server.client();
    client.login("terry", "123");
    client
}

#[test]
fn requests_without_the_right_credentials_get_401_with_a_basic_challenge() {
    let server = family_library();
    let anonymous = server.client().request("PROPFIND", "/dav/", &[("Depth", "0")], b"");
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("WWW-Authenticate").is_some_and(|h| h.starts_with("Basic realm=")));
    let wrong =
        server.client().request("PROPFIND", "/dav/", &[("Depth", "0"), ("Authorization", "Basic dGVycnk6MTI0")], b"");
    assert_eq!(wrong.status, 401, "terry:124");
    let options = server.client().request("OPTIONS", "/dav/terry/", &[], b"");
    assert_eq!(options.status, 200, "OPTIONS needs no credentials");
    assert_eq!(options.header("DAV"), Some("1, 2"));
    for _ in 0..3 {
        assert_eq!(
            dav(&server, "PROPFIND", "/dav/", &[("Depth", "0")], b"").status,
            207,
            "remembered pairs keep working"
        );
    }
    let mut browser = logged_in(&server);
    assert_eq!(browser.request("PROPFIND", "/dav/", &[("Depth", "0")], b"").status, 207, "the session cookie works");
}

#[test]
fn each_user_sees_only_their_own_roots_and_what_files_icc_shows() {
    let server = family_library();
    let top = dav(&server, "PROPFIND", "/dav/", &[("Depth", "1")], b"");
    assert_eq!(top.status, 207);
    assert!(text(&top).contains("<D:href>/dav/terry/</D:href>") && !text(&top).contains("anna"), "{}", text(&top));
    let anna = server.client().request("PROPFIND", "/dav/", &[ANNA, ("Depth", "1")], b"");
    assert!(text(&anna).contains("/dav/anna/") && !text(&anna).contains("terry"));
    assert_eq!(dav(&server, "GET", "/dav/anna/x.jpg", &[], b"").status, 404, "terry cannot reach anna's root");
    let listing = text(&dav(&server, "PROPFIND", "/dav/terry/", &[("Depth", "1")], b""));
    for href in ["/dav/terry/a.jpg", "/dav/terry/b.png", "/dav/terry/notes.txt", "/dav/terry/sub/"] {
        assert!(listing.contains(&format!("<D:href>{href}</D:href>")), "{href} in {listing}");
    }
    let got = dav(&server, "GET", "/dav/terry/notes.txt", &[("Range", "bytes=6-")], b"");
    assert_eq!((got.status, got.body.as_slice()), (206, &b"notes"[..]));
}

#[test]
fn a_put_file_is_in_files_icc_at_once_with_its_thumbnail() {
    let server = family_library();
    let photo = fixtures::green_jpeg(320, 240);
    assert_eq!(dav(&server, "PUT", "/dav/terry/sub/IMG_0001.JPG", &[], &photo).status, 201);
    let mut client = logged_in(&server);
    let id = file_id(&mut client, "IMG_0001.JPG");
    let thumbnail = client.get(&format!("/thumbnail.icc?id={id}&level=0"));
    assert_eq!(thumbnail.status, 200);
    assert_eq!(thumbnail.header("Content-Type"), Some("image/jpeg"));
    let again = fixtures::green_jpeg(64, 48);
    assert_eq!(dav(&server, "PUT", "/dav/terry/sub/IMG_0001.JPG", &[], &again).status, 204, "replaced");
    assert_eq!(file_id(&mut client, "IMG_0001.JPG"), id, "a replaced file keeps its row");
    let info = client.get("/files.icc?pageIndex=0&pageSize=100").data()["list"].clone();
    let row = info.as_array().unwrap().iter().find(|f| f["id"] == id).unwrap().clone();
    assert_eq!((row["width"].as_i64(), row["height"].as_i64()), (Some(64), Some(48)), "probed again: {row}");
    assert_eq!(dav(&server, "GET", "/dav/terry/sub/IMG_0001.JPG", &[], b"").body, again);
}

#[test]
fn a_chunked_put_without_content_length_is_stored_whole() {
    let server = family_library();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut request = format!(
        "PUT /dav/terry/chunked.bin HTTP/1.1\r\nHost: {}\r\n{}: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr, TERRY.0, TERRY.1
    )
    .into_bytes();
    for chunk in body.chunks(70_000) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let response = server.client().raw(&request);
    assert_eq!(response.status, 201);
    let got = dav(&server, "GET", "/dav/terry/chunked.bin", &[], b"");
    assert_eq!(got.body.len(), body.len());
    assert!(got.body == body);
}

/// Sends the head and part of a PUT's body, then hangs up.
fn interrupted_put(server: &TestServer, path: &str, declared: usize, sent: usize) {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\n{}: {}\r\nContent-Length: {declared}\r\n\r\n",
        server.addr, TERRY.0, TERRY.1
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&vec![b'x'; sent]).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply); // the server answers 400 or just closes
}

/// True when no temporary upload file is left in `dir`, waiting up to 10 s for the server.
fn no_temporary_files(dir: &std::path::Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".isync-put-"));
        if !left || Instant::now() > deadline {
            return !left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_interrupted_put_leaves_the_old_file_intact_and_no_row_for_a_new_one() {
    let server = family_library();
    let terry = server.app_dir().join("terry");
    interrupted_put(&server, "/dav/terry/notes.txt", 100_000, 5_000);
    interrupted_put(&server, "/dav/terry/new.bin", 100_000, 5_000);
    assert!(no_temporary_files(&terry), "the temporary files are removed");
    assert_eq!(std::fs::read(terry.join("notes.txt")).unwrap(), b"hello notes");
    assert!(!terry.join("new.bin").exists());
    assert!(!listed_names(&server).contains(&"new.bin".to_string()));
    assert_eq!(dav(&server, "GET", "/dav/terry/new.bin", &[], b"").status, 404);
}

#[test]
fn a_temporary_name_renamed_into_place_is_cataloged_once_under_its_final_name() {
    let server = family_library();
    let photo = fixtures::green_jpeg(80, 60);
    assert_eq!(dav(&server, "PUT", "/dav/terry/IMG_0002.JPG.part", &[], &photo).status, 201);
    let listing = text(&dav(&server, "PROPFIND", "/dav/terry/", &[("Depth", "1")], b""));
    assert!(listing.contains("/dav/terry/IMG_0002.JPG.part"), "the partial file is listed for the client: {listing}");
    assert!(!listed_names(&server).iter().any(|n| n.contains("IMG_0002")), "but not cataloged");
    let destination = format!("http://{}/dav/terry/IMG_0002.JPG", server.addr);
    assert_eq!(dav(&server, "MOVE", "/dav/terry/IMG_0002.JPG.part", &[("Destination", &destination)], b"").status, 201);
    let names = listed_names(&server);
    assert_eq!(names.iter().filter(|n| n.contains("IMG_0002")).collect::<Vec<_>>(), vec!["IMG_0002.JPG"]);
}

#[test]
fn a_zero_byte_placeholder_waits_for_the_write_that_fills_it() {
    let server = family_library();
    assert_eq!(dav(&server, "PUT", "/dav/terry/Finder.jpg", &[], b"").status, 201);
    assert!(!listed_names(&server).contains(&"Finder.jpg".to_string()), "a 0-byte placeholder is not cataloged");
    assert_eq!(dav(&server, "PUT", "/dav/terry/Finder.jpg", &[], &fixtures::green_jpeg(32, 32)).status, 204);
    assert!(listed_names(&server).contains(&"Finder.jpg".to_string()));
}

#[test]
fn a_move_keeps_the_file_id_and_a_folder_move_keeps_its_files() {
    let server = family_library();
    let mut client = logged_in(&server);
    let id = file_id(&mut client, "a.jpg");
    let deep = file_id(&mut client, "d.jpg");
    let destination = format!("http://{}/dav/terry/sub/renamed.jpg", server.addr);
    assert_eq!(dav(&server, "MOVE", "/dav/terry/a.jpg", &[("Destination", &destination)], b"").status, 201);
    assert_eq!(file_id(&mut client, "renamed.jpg"), id);
    assert!(server.app_dir().join("terry/sub/renamed.jpg").is_file() && !server.app_dir().join("terry/a.jpg").exists());
    assert_eq!(client.get(&format!("/thumbnail.icc?id={id}&level=0")).status, 200, "thumbnails follow");
    let destination = format!("http://{}/dav/terry/Moved", server.addr);
    assert_eq!(dav(&server, "MOVE", "/dav/terry/sub", &[("Destination", &destination)], b"").status, 201);
    assert_eq!(file_id(&mut client, "d.jpg"), deep);
    assert_eq!(dav(&server, "GET", "/dav/terry/Moved/deeper/d.jpg", &[], b"").status, 200);
    let into_itself = format!("http://{}/dav/terry/Moved/deeper/again", server.addr);
    assert_eq!(dav(&server, "MOVE", "/dav/terry/Moved", &[("Destination", &into_itself)], b"").status, 403);
    let taken = format!("http://{}/dav/terry/b.png", server.addr);
    let refused = dav(&server, "MOVE", "/dav/terry/notes.txt", &[("Destination", &taken), ("Overwrite", "F")], b"");
    assert_eq!(refused.status, 412);
}

#[test]
fn hostile_hrefs_destinations_and_bodies_are_refused_and_touch_nothing() {
    let server = family_library();
    for path in ["/dav/terry/%2e%2e/anna/x.jpg", "/dav/terry//notes.txt", "/dav/terry/a%00b", "/dav/terry/a%5cb"] {
        assert_eq!(dav(&server, "GET", path, &[], b"").status, 400, "{path}");
        assert_eq!(dav(&server, "PUT", path, &[], b"x").status, 400, "{path}");
    }
    let elsewhere =
        dav(&server, "COPY", "/dav/terry/notes.txt", &[("Destination", "http://evil.example/dav/terry/n.txt")], b"");
    assert_eq!(elsewhere.status, 502);
    let other_user = format!("http://{}/dav/anna/stolen.txt", server.addr);
    assert_eq!(dav(&server, "COPY", "/dav/terry/notes.txt", &[("Destination", &other_user)], b"").status, 409);
    assert!(!server.app_dir().join("anna/stolen.txt").exists());
    assert_eq!(
        dav(&server, "PUT", "/dav/terry/%E2%98%83", &[], b"snow").status,
        403,
        "a name that sanitises to nothing"
    );
    let infinite = dav(&server, "PROPFIND", "/dav/terry/", &[("Depth", "infinity")], b"");
    assert_eq!(infinite.status, 403);
    assert!(text(&infinite).contains("propfind-finite-depth"));
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><D:propfind xmlns:D="DAV:"><D:prop><D:x>&b;</D:x></D:prop></D:propfind>"#;
    assert_eq!(dav(&server, "PROPFIND", "/dav/terry/", &[("Depth", "0")], bomb).status, 400);
    let huge = vec![b' '; 300 * 1024];
    assert_eq!(dav(&server, "PROPFIND", "/dav/terry/", &[("Depth", "0")], &huge).status, 413);
    let cross = dav(&server, "PUT", "/dav/terry/x.txt", &[("Origin", "http://evil.example")], b"x");
    assert_eq!(cross.status, 403, "a page on another site cannot write");
    assert_eq!(dav(&server, "DELETE", "/dav/terry/", &[], b"").status, 403, "a root is never deleted");
    assert!(server.app_dir().join("terry/notes.txt").exists());
}

#[test]
fn a_symbolic_link_on_the_disk_is_neither_served_nor_written_through() {
    let server = family_library();
    let anna_file = server.app_dir().join("anna/x.jpg");
    let before = std::fs::read(&anna_file).unwrap();
    std::os::unix::fs::symlink(&anna_file, server.app_dir().join("terry/link.jpg")).unwrap();
    assert_eq!(dav(&server, "GET", "/dav/terry/link.jpg", &[], b"").status, 404);
    assert_eq!(dav(&server, "PUT", "/dav/terry/link.jpg", &[], b"overwritten").status, 423);
    assert_eq!(dav(&server, "DELETE", "/dav/terry/link.jpg", &[], b"").status, 404);
    assert_eq!(std::fs::read(&anna_file).unwrap(), before);
    assert!(!text(&dav(&server, "PROPFIND", "/dav/terry/", &[("Depth", "1")], b"")).contains("link.jpg"));
}

#[test]
fn a_lock_on_a_new_name_makes_it_and_its_token_is_needed_to_write() {
    let server = family_library();
    let body = br#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>phone</D:owner></D:lockinfo>"#;
    let locked = dav(&server, "LOCK", "/dav/terry/locked.jpg", &[("Timeout", "Second-60")], body);
    assert_eq!(locked.status, 201);
    let token = locked.header("Lock-Token").unwrap().trim_matches(['<', '>']).to_string();
    assert_eq!(dav(&server, "PUT", "/dav/terry/locked.jpg", &[], b"data").status, 423);
    let condition = format!("(<{token}>)");
    assert_eq!(dav(&server, "PUT", "/dav/terry/locked.jpg", &[("If", &condition)], b"data").status, 204);
    let lock_token = format!("<{token}>");
    assert_eq!(dav(&server, "UNLOCK", "/dav/terry/locked.jpg", &[("Lock-Token", &lock_token)], b"").status, 204);
    assert_eq!(dav(&server, "PUT", "/dav/terry/locked.jpg", &[], b"again").status, 204);
}

#[test]
fn the_modification_time_set_by_a_client_is_kept() {
    let server = family_library();
    assert_eq!(dav(&server, "PUT", "/dav/terry/old.txt", &[("X-OC-Mtime", "1500000000")], b"old").status, 201);
    let body = br#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getlastmodified>Sun, 06 Nov 1994 08:49:37 GMT</D:getlastmodified></D:prop></D:set></D:propertyupdate>"#;
    let before = dav(&server, "PROPFIND", "/dav/terry/old.txt", &[("Depth", "0")], b"");
    assert!(text(&before).contains("Fri, 14 Jul 2017 02:40:00 GMT"), "{}", text(&before));
    let patched = dav(&server, "PROPPATCH", "/dav/terry/old.txt", &[], body);
    assert_eq!(patched.status, 207);
    assert!(text(&patched).contains("200 OK"));
    let after = dav(&server, "PROPFIND", "/dav/terry/old.txt", &[("Depth", "0")], b"");
    assert!(text(&after).contains("Sun, 06 Nov 1994 08:49:37 GMT"), "{}", text(&after));
}
