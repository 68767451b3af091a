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

/// Reads what the server sends until it closes the connection (or `within` passes, which fails).
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => answer,
        // A reset after the answer (the server closed with unread bytes): what came is the answer.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => answer,
        Err(e) => panic!("the server neither answered nor closed within {within:?} ({e}); got {answer:?}"),
    }
}

#[test]
fn a_large_body_for_an_endpoint_that_takes_parameters_is_refused_with_413_and_the_connection_closed() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .write_all(b"POST /login.icc HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n\r\nuserName=a")
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(20));
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    assert_eq!(text.matches("HTTP/1.1").count(), 1, "nothing after the answer: {text}");
}

#[test]
fn an_unasked_for_100_continue_body_closes_the_connection_after_the_answer() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 26\r\n\r\n").unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(20));
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200 ") && text.ends_with("hello world"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");
    // The body the client sends later can no longer be taken for the next request: the
    // connection is gone, and a new one works.
    assert_eq!(server.client().get("/").body, b"hello world");
}

#[test]
fn a_head_that_trickles_is_answered_408_while_others_are_served() {
    if crate::common::emulated() {
        crate::common::skipped("qemu-user does not pass TCP_INFO, which shows a head in progress");
        return;
    }
    let server = TestServer::start();
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let trickle = std::thread::spawn(move || trickle_until_answered(&mut slow, b"X", 60));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(server.client().get("/").body, b"hello world", "served while a head trickles");
    let answer = trickle.join().unwrap().expect("the server ended the trickling head");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408 "), "{text}");
}

/// Sends `byte` every 500 ms until the server answers or closes (Some(what it sent)), or
/// `rounds` have passed (None).
fn trickle_until_answered(stream: &mut TcpStream, byte: &[u8], rounds: usize) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    for _ in 0..rounds {
        let mut answer = [0u8; 512];
        match stream.read(&mut answer) {
            Ok(n) => return Some(answer[..n].to_vec()),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return Some(Vec::new()), // reset: closed
        }
        if stream.write_all(byte).is_err() {
            return Some(Vec::new());
        }
    }
    None
}

#[test]
fn bodies_that_trickle_do_not_hold_the_workers() {
    let server = TestServer::start();
    // More tricklers than the server has workers, each sending a byte every 500 ms.
    let tricklers: Vec<_> = (0..6)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.addr).unwrap();
            let head = "POST /login.icc HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                        Content-Length: 100000\r\n\r\nu";
            stream.write_all(head.as_bytes()).unwrap();
            std::thread::spawn(move || trickle_until_answered(&mut stream, b"x", 120))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let login = server.client().post_form("/login.icc", "userName=nobody&password=x");
    assert_eq!(login.status, 200, "a login is answered while bodies trickle");
    for trickler in tricklers {
        assert!(trickler.join().unwrap().is_some(), "a trickling body was ended by the server");
    }
}

/// A head of `len` bytes: a request line and one header line made long enough.
fn send_huge_head(addr: &str, long_line_first: bool, len: usize) -> std::thread::JoinHandle<()> {
    let mut stream = TcpStream::connect(addr).unwrap();
    std::thread::spawn(move || {
        let start: &[u8] = if long_line_first { b"GET /" } else { b"GET / HTTP/1.1\r\nX-Big: " };
        if stream.write_all(start).is_err() {
            return;
        }
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..len / chunk.len() {
            if stream.write_all(&chunk).is_err() {
                return; // cut off by the server, as it should be
            }
        }
        let _ = stream.write_all(b" HTTP/1.1\r\n\r\n");
        let _ = read_until_closed(&mut stream, Duration::from_secs(60));
    })
}

#[test]
fn a_64_mib_request_line_or_header_is_cut_off_without_the_memory_it_would_take() {
    if crate::common::emulated() {
        crate::common::skipped("qemu-user does not pass TCP_INFO, which shows a head in progress");
        return;
    }
    let server = TestServer::start();
    let before = server.peak_rss_kib();
    for long_line_first in [true, false] {
        send_huge_head(&server.addr, long_line_first, 64 << 20).join().unwrap();
    }
    let grown = server.peak_rss_kib().saturating_sub(before);
    assert!(grown < 24 * 1024, "peak RSS grew by {grown} KiB for two 64 MiB heads");
    assert_eq!(server.client().get("/").body, b"hello world");
}

#[test]
fn a_long_request_target_is_refused_with_414() {
    let server = TestServer::start();
    let long = format!("/files.icc?pageIndex=0&x={}", "a".repeat(20_000));
    assert_eq!(server.client().get(&long).status, 414);
    assert_eq!(server.client().get("/").body, b"hello world");
}
