//! A server under a slow-connection attack: SLOW connections (from 50 loopback addresses, ten
//! each, under the per-client cap) that trickle request heads one byte a second and reconnect
//! when the server cuts them off, while a family member logs in LOGINS times in a row. Reports
//! the login latency (p50, p99) and the server's RSS during the attack (VmRSS at the end, VmHWM).

use crate::http::login;
use crate::report::{Budget, Row};
use crate::setup::{Setup, PASSWORD, USER};
use crate::{progress, Bench};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SLOW: usize = 500;
const ADDRESSES: u8 = 50;
const LOGINS: usize = 100;

pub fn slow_connections(b: &Bench, setup: &Setup) -> Result<Vec<Row>, String> {
    let (mut p50, mut p99, mut rss, mut hwm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..b.runs {
        let (server, _) = setup.serve(b)?;
        let stop = AtomicBool::new(false);
        let latencies = std::thread::scope(|scope| {
            for source in 0..ADDRESSES {
                let (stop, addr) = (&stop, server.addr);
                scope.spawn(move || {
                    trickle(addr, Ipv4Addr::new(127, 0, 1, source + 1), SLOW / ADDRESSES as usize, stop)
                });
            }
            std::thread::sleep(Duration::from_secs(2)); // all slow connections open
            let mut latencies = Vec::with_capacity(LOGINS);
            for _ in 0..LOGINS {
                let started = Instant::now();
                let result = login(server.addr, USER, PASSWORD);
                latencies.push((result, started.elapsed().as_secs_f64() * 1000.0));
            }
            stop.store(true, Ordering::Relaxed);
            latencies
        });
        rss.push(server.rss_kib()? as f64 / 1024.0);
        hwm.push(server.hwm_kib()? as f64 / 1024.0);
        let mut ms: Vec<f64> = Vec::new();
        for (result, elapsed) in latencies {
            result?;
            ms.push(elapsed);
        }
        ms.sort_by(f64::total_cmp);
        p50.push(ms[ms.len() / 2]);
        p99.push(ms[(ms.len() * 99 / 100).min(ms.len() - 1)]);
        progress(&format!("slow connections {}/{}: login p99 {:.1} ms", run + 1, b.runs, p99[run]));
    }
    let during = |what: &str| format!("{what} while {SLOW} slow connections are open");
    Ok(vec![
        Row::new(during("login p50"), "ms", &p50),
        Row::new(during("login p99"), "ms", &p99).budget(Budget::AtMost(1000.0)),
        Row::new(during("VmRSS"), "MiB", &rss).budget(Budget::AtMost(32.0)),
        Row::new(during("VmHWM"), "MiB", &hwm).budget(Budget::AtMost(32.0)),
    ])
}

/// Keeps `count` connections from `source` trickling a head until `stop`.
fn trickle(server: SocketAddr, source: Ipv4Addr, count: usize, stop: &AtomicBool) {
    let mut open: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        open.retain_mut(|stream| stream.write_all(b"X").is_ok());
        while open.len() < count {
            let Some(mut stream) = connect_from(source, server) else { break };
            if stream.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").is_err() {
                break;
            }
            open.push(stream);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// A TCP connection to `server` from the loopback address `source`.
fn connect_from(source: Ipv4Addr, server: SocketAddr) -> Option<TcpStream> {
    let SocketAddr::V4(server) = server else { return None };
    let sockaddr = |addr: SocketAddrV4| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: addr.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(*addr.ip()).to_be() },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a new socket owned by the TcpStream made of it; the addresses live for each call.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return None;
        }
        let stream = TcpStream::from_raw_fd(fd);
        let local = sockaddr(SocketAddrV4::new(source, 0));
        let remote = sockaddr(server);
        if libc::bind(fd, (&raw const local).cast(), len) != 0
            || libc::connect(fd, (&raw const remote).cast(), len) != 0
        {
            return None;
        }
        Some(stream)
    }
}
