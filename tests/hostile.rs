//! Hostile and malformed requests: every one gets the protocol's answer, never a panic, a hang
//! or a crash of the server.

use crate::common::TestServer;
use crate::family_library;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
    let server = family_library();
    let mut client = server.client();
    assert_eq!(client.get("/nope.icc").status, 404);
    assert_eq!(client.get("/login.icc/").status, 404);
    let wrong = client.request("DELETE", "/files.icc", &[], b"");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("Allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(client.get("/logout.icc").status, 405);
    let options = client.request("OPTIONS", "/login.icc", &[], b"");
    assert_eq!((options.status, options.header("Allow")), (200, Some("GET, HEAD, POST, OPTIONS")));
}

#[test]
fn broken_json_bodies_are_invalid_parameters_after_the_login_check() {
    let server = family_library();
    let mut client = server.client();
    assert_eq!(client.post_json("/login.icc", "{nope").code(), -10003);
    assert_eq!(client.post_json("/login.icc", "[1, 2]").code(), -10003);
    assert_eq!(client.request("GET", "/files.icc", &[("Content-Type", "application/json")], b"{").code(), -10001);
    client.login("terry", "123");
    let response = client.request("GET", "/files.icc?pageIndex=0", &[("Content-Type", "application/json")], b"{");
    assert_eq!(response.code(), -10003, "JSON bodies ignore the query string");
    let logout = client.request("POST", "/logout.icc", &[("Content-Type", "application/json")], b"{");
    assert_eq!(logout.code(), 0, "endpoints without parameters are unaffected");
}

#[test]
fn query_parameters_win_over_form_fields_and_multipart_fields_are_read() {
    let server = family_library();
    let mut client = server.client();
    let response = client.post_form("/login.icc?userName=terry&password=123", "userName=anna&password=456");
    assert_eq!(response.data()["name"], "terry");
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"userName\"\r\n\r\nanna\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n456\r\n--XyZ--\r\n";
    let multipart =
        client.request("POST", "/login.icc", &[("Content-Type", "multipart/form-data; boundary=XyZ")], body.as_bytes());
    assert_eq!(multipart.data()["name"], "anna");
}

/// Optional filters that are not integer lists are no filter at all (§4.10): exactly the user's
/// own files, never another user's; a required one that is not an integer is -10003.
#[test]
fn sql_looking_and_non_ascii_parameters_are_just_invalid() {
    let server = family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let names = |response: crate::common::http::Response| -> Vec<String> {
        let list = response.data()["list"].clone();
        list.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
    };
    let own = names(client.get("/files.icc?pageIndex=0"));
    assert_eq!(own.len(), 5, "{own:?}");
    for query in [
        "pageIndex=0&pids=1)%20OR%201=1--",
        "pageIndex=0&types=1%20UNION%20SELECT%20*%20FROM%20User",
        "pageIndex=0&rootIds=%D9%A3",
        "pageIndex=0&pids=%EF%BC%91",
    ] {
        assert_eq!(names(client.get(&format!("/files.icc?{query}"))), own, "{query}");
    }
    assert_eq!(client.get("/files.icc?pageIndex=%EF%BC%91").code(), -10003, "full-width digits are not digits");
    assert_eq!(client.get("/files.icc?pageIndex=0%20OR%201=1").code(), -10003);
    let injected = client.post_form("/login.icc", "userName=terry'%20--&password=x");
    assert_eq!(injected.code(), -10000);
}

#[test]
fn a_huge_declared_body_that_never_arrives_does_not_hurt_the_server() {
    let mut server = family_library();
    let before = server.rss_kib();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let head = "POST /login.icc HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 107374182400\r\n\r\nuserName=terry&password=123";
    stream.write_all(head.as_bytes()).unwrap();
    drop(stream); // hang up: 100 GB declared, 27 bytes sent
    for _ in 0..3 {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        s.write_all(b"POST /files.icc HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let _ = s.read(&mut [0u8; 64]);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.is_running(), "the server survived");
    let mut client = server.client();
    assert_eq!(client.get("/").body, b"hello world");
    client.login("terry", "123");
    let after = server.rss_kib();
    if crate::common::emulated() {
        crate::common::skipped(&format!(
            "RSS growth not checked: under an emulator it is the emulator's ({before} -> {after} KiB)"
        ));
    } else {
        assert!(after < before + 20 * 1024, "RSS grew from {before} KiB to {after} KiB");
    }
}

#[test]
fn garbage_on_the_wire_does_not_take_the_server_down() {
    let mut server = TestServer::start();
    for bytes in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /?a=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        if let Ok(mut stream) = TcpStream::connect(&server.addr) {
            let _ = stream.write_all(bytes);
            stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let _ = stream.read(&mut [0u8; 256]);
        }
    }
    assert!(server.is_running());
    assert_eq!(server.client().get("/").body, b"hello world");
}
