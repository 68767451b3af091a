//! Connection handling around tiny_http: bursts of keep-alive connections are all served, idle
//! connections are closed after the read timeout, and the server keeps accepting after a quiet
//! spell longer than that timeout (which also applies to accept).

use crate::common::TestServer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Sends `GET /` on a keep-alive connection and reads exactly one response.
fn keep_alive_hello(stream: &mut TcpStream) -> Vec<u8> {
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"hello world") {
        match stream.read(&mut byte) {
            Ok(1) => response.push(byte[0]),
            other => panic!("connection ended or stalled after {} bytes: {other:?}", response.len()),
        }
    }
    response
}

#[test]
fn bursts_of_keep_alive_connections_are_served_while_all_stay_open() {
    let server = TestServer::start();
    for _round in 0..20 {
        burst(&server, 16);
    }
}

/// `clients` connections opened at once; each keeps its connection open until every one has
/// been answered (or 25 s passed), then sends a second request on it.
fn burst(server: &TestServer, clients: usize) {
    let answered = AtomicUsize::new(0);
    let start = Barrier::new(clients);
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                start.wait();
                let mut stream = TcpStream::connect(&server.addr).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                assert!(keep_alive_hello(&mut stream).starts_with(b"HTTP/1.1 200"));
                answered.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(25);
                while answered.load(Ordering::SeqCst) < clients && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                assert!(keep_alive_hello(&mut stream).starts_with(b"HTTP/1.1 200"), "the connection is reused");
            });
        }
    });
}

#[test]
fn idle_connections_are_closed_and_the_server_keeps_accepting_after_a_quiet_spell() {
    let mut server = TestServer::start();
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    keep_alive_hello(&mut idle);
    std::thread::sleep(Duration::from_secs(34)); // longer than the 30 s read timeout
                                                 // tiny_http_fork answers a connection whose read timed out with a bare 400, then closes it.
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).expect("the idle connection was closed by the server, not reset");
    assert!(rest.is_empty() || rest.starts_with(b"HTTP/1.1 400 "), "{}", String::from_utf8_lossy(&rest));
    assert!(server.is_running());
    assert_eq!(server.client().get("/").body, b"hello world", "still accepting");
}
