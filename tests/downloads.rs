//! `downFile.ic*` and share links: whole files, every Range case, statuses, HEAD, visibility.

use crate::common::upload::generated;
use crate::{family_library, file_id, media_dir, scan_config, TestServer};

#[test]
fn a_whole_download_has_length_type_caching_and_etag() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "notes.txt");
    let response = client.get(&format!("/downFile.icc?id={id}"));
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello notes");
    assert_eq!(response.header("Content-Length"), Some("11"));
    assert_eq!(response.header("Content-Type"), Some("text/plain"));
    assert_eq!(response.header("Accept-Ranges"), Some("bytes"));
    assert_eq!(response.header("Cache-Control"), Some("public, max-age=43200"));
    assert_eq!(response.header("X-Content-Type-Options"), Some("nosniff"));
    assert!(response.header("ETag").unwrap().starts_with("\"11-"));
    assert!(response.header("Last-Modified").unwrap().ends_with(" GMT"));
    assert!(response.header("Expires").is_some());
    let jpeg_id = file_id(&mut client, "a.jpg");
    let jpeg = client.get(&format!("/downFile.icc.mov?id={jpeg_id}"));
    assert_eq!(jpeg.header("Content-Type"), Some("image/jpeg"), "type from the physical name, not the URL suffix");
}

#[test]
fn any_suffix_routes_to_download_but_an_empty_suffix_is_404() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "notes.txt");
    for suffix in ["c", "c.mp4", "c.MOV", "X"] {
        assert_eq!(client.get(&format!("/downFile.ic{suffix}?id={id}")).body, b"hello notes");
    }
    assert_eq!(client.get(&format!("/downFile.ic?id={id}")).status, 404);
    assert_eq!(client.get(&format!("/downFile.icc/x?id={id}")).status, 404);
    assert_eq!(client.get(&format!("/DownFile.icc?id={id}")).status, 404);
    assert_eq!(client.post_form(&format!("/downFile.icc?id={id}"), "").status, 405);
}

#[test]
fn single_ranges_give_206_with_content_range() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let path = format!("/downFile.icc?id={}", file_id(&mut client, "notes.txt"));
    for (range, body, content_range) in [
        ("bytes=0-1", &b"he"[..], "bytes 0-1/11"),
        ("bytes=6-", b"notes", "bytes 6-10/11"),
        ("bytes=-5", b"notes", "bytes 6-10/11"),
        ("bytes=-100", b"hello notes", "bytes 0-10/11"),
        ("bytes=9-1000", b"es", "bytes 9-10/11"),
    ] {
        let response = client.get_with(&path, &[("Range", range)]);
        assert_eq!(response.status, 206, "{range}");
        assert_eq!(response.body, body, "{range}");
        assert_eq!(response.header("Content-Range"), Some(content_range), "{range}");
        assert_eq!(response.header("Content-Length"), Some(body.len().to_string().as_str()));
    }
}

#[test]
fn unsatisfiable_ranges_give_416_and_malformed_ones_the_whole_file() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let path = format!("/downFile.icc?id={}", file_id(&mut client, "notes.txt"));
    for range in ["bytes=11-", "bytes=20-30", "bytes=-0"] {
        let response = client.get_with(&path, &[("Range", range)]);
        assert_eq!(response.status, 416, "{range}");
        assert_eq!(response.header("Content-Range"), Some("bytes */11"), "{range}");
    }
    for range in ["bytes=5-1", "items=0-1", "bytes=0-1,3-4", "bytes=x-y", "garbage"] {
        let response = client.get_with(&path, &[("Range", range)]);
        assert_eq!((response.status, response.body.as_slice()), (200, &b"hello notes"[..]), "{range}");
    }
}

#[test]
fn head_answers_the_headers_of_get_without_a_body() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let path = format!("/downFile.icc?id={}", file_id(&mut client, "notes.txt"));
    let head = client.request("HEAD", &path, &[("Range", "bytes=0-3")], b"");
    assert_eq!(head.status, 206);
    assert_eq!(head.header("Content-Length"), Some("4"));
    assert!(head.body.is_empty());
}

#[test]
fn download_errors_use_the_protocol_statuses() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let missing_id = client.get("/downFile.icc");
    assert_eq!((missing_id.status, missing_id.code()), (416, -10003));
    let unknown = client.get("/downFile.icc?id=99999");
    assert_eq!((unknown.status, unknown.code()), (404, -10004));
    let id = file_id(&mut client, "notes.txt");
    std::fs::remove_file(server.app_dir().join("terry/notes.txt")).unwrap();
    let gone = client.get(&format!("/downFile.icc?id={id}"));
    assert_eq!((gone.status, gone.code()), (500, -10006));
    let mut anna = server.client();
    anna.login("anna", "456");
    let foreign = anna.get(&format!("/downFile.icc?id={}", file_id(&mut client, "a.jpg")));
    assert_eq!((foreign.status, foreign.code()), (404, -10004), "another user's file is not found");
}

#[test]
fn share_links_work_without_login_follow_ranges_and_reject_guesses() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "notes.txt");
    let key = client.get(&format!("/shareFileUrl.icc?id={id}")).data();
    let key = key.as_str().expect("the key is a plain string");
    assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let other = client.get(&format!("/shareFileUrl.icc?id={id}")).data();
    assert_ne!(other.as_str(), Some(key), "keys are random");
    let mut stranger = server.client();
    let shared = stranger.get(&format!("/shareFile.icc.txt?shareKey={key}"));
    assert_eq!((shared.status, shared.body.as_slice()), (200, &b"hello notes"[..]));
    assert!(shared.header("Set-Cookie").is_none());
    let part = stranger.get_with(&format!("/shareFile.icc?shareKey={key}"), &[("Range", "bytes=-5")]);
    assert_eq!((part.status, part.body.as_slice()), (206, &b"notes"[..]));
    let guess = stranger.get(&format!("/shareFile.icc?shareKey={}", "0".repeat(32)));
    assert_eq!((guess.status, guess.code()), (200, -10003));
    assert_eq!(stranger.get("/shareFile.icc").code(), -10003);
    assert_eq!(client.get("/shareFileUrl.icc?id=99999").code(), -10004);
    assert_eq!(client.get("/shareFileUrl.icc?id=abc").code(), -10003);
    std::fs::remove_file(server.app_dir().join("terry/notes.txt")).unwrap();
    let gone = stranger.get(&format!("/shareFile.icc?shareKey={key}"));
    assert_eq!((gone.status, gone.code()), (200, -10004));
}

#[test]
fn share_links_expire_after_share_url_timeout_without_use() {
    let server = crate::common::TestServer::start_with(|dir| {
        std::fs::write(dir.join("appConfigs.json"), r#"{"shareUrlTimeout": 2}"#).unwrap();
        let media = crate::common::media_dir(dir, "m");
        std::fs::write(media.join("a.txt"), b"abc").unwrap();
        crate::common::scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "a.txt");
    let key = client.get(&format!("/shareFileUrl.icc?id={id}")).data().as_str().unwrap().to_string();
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(client.get(&format!("/shareFile.icc?shareKey={key}")).body, b"abc", "use slides the expiry");
    }
    std::thread::sleep(std::time::Duration::from_millis(3200));
    assert_eq!(client.get(&format!("/shareFile.icc?shareKey={key}")).code(), -10003);
}

/// Windows of a mebibyte or more leave with sendfile(2) on the connection's socket, past
/// tiny_http's writer: the head must still come first, every byte must arrive, and the
/// connection must go on to its next request (`keep_alive` has the mixed sequences).
#[test]
fn large_windows_arrive_whole_after_their_head_and_the_connection_carries_on() {
    const SIZE: usize = 3 << 20;
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        std::fs::write(media.join("movie.mp4"), generated(7, 0, SIZE)).unwrap();
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let path = format!("/downFile.icc?id={}", file_id(&mut client, "movie.mp4"));
    let whole = client.get(&path);
    assert_eq!((whole.status, whole.header("Content-Length")), (200, Some(SIZE.to_string().as_str())));
    assert!(whole.body == generated(7, 0, SIZE), "the whole file, byte for byte");

    let mut connection = client.keep_alive();
    for (first, last) in [(1_000_000, 2_999_999), (0, SIZE - 1)] {
        let response = connection.get_with(&path, &[("Range", &format!("bytes={first}-{last}"))]);
        assert_eq!(response.status, 206);
        assert_eq!(response.header("Content-Range"), Some(format!("bytes {first}-{last}/{SIZE}").as_str()));
        assert!(response.body == generated(7, first as u64, last - first + 1), "bytes {first}-{last}");
    }
    assert_eq!(connection.get("/").body, b"hello world");
    connection.assert_open_and_quiet();
}
