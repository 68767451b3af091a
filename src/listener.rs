//! The listening socket and the options every accepted connection inherits from it (Linux
//! copies them on accept; tiny_http accepts internally, so this is the one place to set them):
//! TCP_NODELAY (a JSON reply leaves in several writes and must not wait for the client's delayed
//! ACK), keep-alive probes (a phone that vanished mid-upload is noticed), a send timeout (a
//! paused player that stops reading frees its worker) and a read timeout (idle keep-alive
//! connections and stalled uploads end, so their tiny_http threads and upload locks are freed).
//!
//! The read timeout also applies to `accept`, and tiny_http's accept loop stops at its first
//! error. The keeper thread therefore connects to the listener every KEEPER_PERIOD, so accept
//! never waits that long. Each of those connections also starts a tiny_http connection task,
//! which unsticks tiny_http 0.12's thread pool: when connections arrive in a burst its
//! idle-thread count can be stale, and a new connection is queued behind busy keep-alive
//! connections instead of getting a thread; the keeper's task makes a thread pick it up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// A connection silent for this long while a request or its body is expected is closed.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A client that stops reading a response for this long is disconnected.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Keep-alive probes: a vanished peer is noticed after about IDLE + INTERVAL × COUNT seconds.
const KEEPALIVE: [(libc::c_int, libc::c_int); 3] =
    [(libc::TCP_KEEPIDLE, 30), (libc::TCP_KEEPINTVL, 10), (libc::TCP_KEEPCNT, 3)];
/// How often the keeper connects; far below READ_TIMEOUT.
const KEEPER_PERIOD: Duration = Duration::from_secs(1);

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

/// Starts the thread that keeps tiny_http's accept loop from timing out (see the module doc).
pub fn start_keeper(local: SocketAddr) -> Result<(), String> {
    let target = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), local.port()),
        _ => local,
    };
    let keeper = move || loop {
        std::thread::sleep(KEEPER_PERIOD);
        if let Err(e) = TcpStream::connect_timeout(&target, KEEPER_PERIOD) {
            log::warn!("listener keeper cannot reach {target}: {e}");
        }
    };
    std::thread::Builder::new()
        .name("listener-keeper".into())
        .stack_size(64 * 1024)
        .spawn(keeper)
        .map(|_| ())
        .map_err(|e| format!("cannot start the listener keeper: {e}"))
}

fn timeval(duration: Duration) -> libc::timeval {
    libc::timeval { tv_sec: duration.as_secs() as _, tv_usec: 0 }
}

fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: &T) -> bool {
    let len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` points to a live T of `len` bytes for the duration of the call.
    unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), len) == 0 }
}
