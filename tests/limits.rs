//! Requests whose size or pace is hostile: absurd declared lengths, bodies and heads that
//! trickle, bodies nobody reads. The server answers or hangs up, and stays up for everybody.

use crate::common::TestServer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `head` (and nothing more), then hangs up.
fn send_and_hang_up(server: &TestServer, head: &str) {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let _ = stream.read(&mut [0u8; 256]);
}

#[test]
fn absurd_content_lengths_with_no_body_never_take_the_server_down() {
    let mut server = TestServer::start();
    for length in [
        "100000000000",
        "1000000000000000",
        "140737488355328",
        "3000000000",
        "9223372036854775808",
        "18446744073709551615",
    ] {
        send_and_hang_up(&server, &format!("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"));
        send_and_hang_up(
            &server,
            &format!("POST /login.icc HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nuserName=a"),
        );
        assert!(server.is_running(), "the server died after Content-Length {length}");
    }
    assert_eq!(server.client().get("/").body, b"hello world");
}
