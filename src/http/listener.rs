//! The listening socket and the options every accepted connection inherits from it (Linux
//! copies them on accept; tiny_http accepts internally, so this is the one place to set them):
//! TCP_NODELAY (a JSON reply leaves in several writes and must not wait for the client's delayed
//! ACK), keep-alive probes (a phone that vanished mid-upload is noticed), a send timeout (a
//! paused player that stops reading frees its worker) and a read timeout (idle keep-alive
//! connections and stalled uploads end, so their tiny_http threads and upload locks are freed).
//!
//! The read timeout also applies to `accept`, which the accept loop (`http::server`) simply
//! retries.
//!
//! A keeper thread connects to the listener every IDLE_PERIOD, to unstick tiny_http's thread
//! pool. When connections arrive in a burst, its idle-thread count is stale until the notified
//! threads wake, so some new connections are queued instead of getting a thread, and stay
//! queued while every thread serves a keep-alive connection. Only a later connection (which
//! then finds no idle thread and starts one that drains one queued task after its own) gets a
//! queued one going. So while requests are arriving the keeper connects BUSY_CONNECTS times
//! every BUSY_PERIOD, so a burst of new connections (a phone opens several at once) is not left
//! waiting for the idle pace.

use super::sys::setsockopt;
use crate::sync::lock;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::Duration;

/// A connection silent for this long while a request or its body is expected is closed.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A client that stops reading a response for this long is disconnected.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Keep-alive probes: a vanished peer is noticed after about IDLE + INTERVAL × COUNT seconds.
const KEEPALIVE: [(libc::c_int, libc::c_int); 3] =
    [(libc::TCP_KEEPIDLE, 30), (libc::TCP_KEEPINTVL, 10), (libc::TCP_KEEPCNT, 3)];
/// How often the keeper connects when no request arrived since its last round.
const IDLE_PERIOD: Duration = Duration::from_secs(1);
/// The keeper's pace while requests are arriving (see the module doc).
const BUSY_PERIOD: Duration = Duration::from_millis(20);
const BUSY_CONNECTS: usize = 4;

/// Set for every request, cleared by the keeper at each round.
static REQUESTS_SEEN: AtomicBool = AtomicBool::new(false);
static KEEPER: OnceLock<Thread> = OnceLock::new();

/// Tells the keeper that requests are arriving (called for every request). The first request
/// after a round wakes the keeper at once, so a burst that arrives after a quiet spell is not
/// left waiting for the end of an idle period.
pub fn note_request() {
    if !REQUESTS_SEEN.swap(true, Ordering::Relaxed) {
        if let Some(keeper) = KEEPER.get() {
            keeper.unpark();
        }
    }
}

/// The keeper's latest connections, by their own address (the server sees it as the peer).
static KEEPER_PEERS: Mutex<[Option<SocketAddr>; 16]> = Mutex::new([None; 16]);

fn note_keeper(local: Option<SocketAddr>) {
    let mut peers = lock(&KEEPER_PEERS);
    peers.rotate_right(1);
    peers[0] = local;
}

/// True for a connection the keeper made (which the warden does not count against anyone).
pub fn is_keeper(peer: SocketAddr) -> bool {
    lock(&KEEPER_PEERS).contains(&Some(peer))
}

/// Binds `listen` with the connection options set.
pub fn bind(listen: SocketAddr) -> Result<TcpListener, String> {
    let listener = TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let fd = listener.as_raw_fd();
    let mut ok = setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeval(READ_TIMEOUT));
    ok &= setsockopt(fd, libc::SOL_SOCKET, libc::SO_SNDTIMEO, &timeval(SEND_TIMEOUT));
    ok &= setsockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, &(1 as libc::c_int));
    ok &= setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, &(1 as libc::c_int));
    for (option, value) in KEEPALIVE {
        ok &= setsockopt(fd, libc::IPPROTO_TCP, option, &value);
    }
    if !ok {
        return Err(format!("cannot set the socket options of {listen}"));
    }
    Ok(listener)
}

/// Starts the thread that unsticks connections queued in tiny_http's pool (see the module doc).
pub fn start_keeper(local: SocketAddr) -> Result<(), String> {
    let target = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), local.port()),
        _ => local,
    };
    let keeper = move || loop {
        let connects = if REQUESTS_SEEN.swap(false, Ordering::Relaxed) {
            std::thread::sleep(BUSY_PERIOD);
            BUSY_CONNECTS
        } else {
            std::thread::park_timeout(IDLE_PERIOD); // note_request cuts it short
            1
        };
        for _ in 0..connects {
            match TcpStream::connect_timeout(&target, IDLE_PERIOD) {
                Ok(stream) => note_keeper(stream.local_addr().ok()),
                Err(e) => {
                    log::warn!("listener keeper cannot reach {target}: {e}");
                    break;
                }
            }
        }
    };
    let handle = std::thread::Builder::new()
        .name("listener-keeper".into())
        .stack_size(64 * 1024)
        .spawn(keeper)
        .map_err(|e| format!("cannot start the listener keeper: {e}"))?;
    let _ = KEEPER.set(handle.thread().clone());
    Ok(())
}

fn timeval(duration: Duration) -> libc::timeval {
    libc::timeval { tv_sec: duration.as_secs() as _, tv_usec: 0 }
}
