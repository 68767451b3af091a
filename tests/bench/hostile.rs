//! A server under attack. Slow connections: SLOW connections (from 50 loopback addresses, ten
//! each, as many clients would) that trickle request heads one byte a second and reconnect
//! when the server cuts them off, while a family member logs in LOGINS times in a row: the login
//! latency (p50, p99) and the server's RSS during the attack (VmRSS at the end, VmHWM).
//! Decompression bombs: six thumbnails asked for at once, of a 0.5 MB PNG that inflates to
//! 512 MB and a JPEG of a few hundred bytes declaring 65535×65535: the time until all six are
//! refused and the server's peak RSS (a fresh copy of the scanned app dir per run, since a
//! refusal is remembered).

use crate::http::{login, Conn};
use crate::procs::Server;
use crate::report::{Budget, Row};
use crate::scan::{run_scan, write_config};
use crate::setup::{Setup, PASSWORD, START_LIMIT, USER};
use crate::{progress, Bench};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::FromRawFd;
use std::path::Path;
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

/// Bombs of each kind in the library.
const BOMBS: usize = 3;

pub fn bombs(b: &Bench) -> Result<Vec<Row>, String> {
    let media = b.work.join("bombs");
    std::fs::create_dir_all(&media).map_err(|e| format!("{}: {e}", media.display()))?;
    progress("writing decompression bombs");
    let png = png_bomb()?;
    let jpeg = jpeg_bomb();
    for i in 0..BOMBS {
        let write =
            |name: String, bytes: &[u8]| std::fs::write(media.join(&name), bytes).map_err(|e| format!("{name}: {e}"));
        write(format!("bomb{i}.png"), &png)?;
        write(format!("bomb{i}.jpg"), &jpeg)?;
    }
    let scanned = b.work.join("apps/bombs");
    write_config(&scanned, &[&media], Some((USER, PASSWORD)))?;
    run_scan(&b.bin, &scanned)?;
    let (mut refused_ms, mut hwm) = (Vec::new(), Vec::new());
    for run in 0..b.runs {
        let app = b.work.join(format!("apps/bombs-{run}"));
        copy_dir(&scanned, &app)?;
        let (server, _) = Server::start(&b.bin, &app, &[], START_LIMIT)?;
        let cookie = login(server.addr, USER, PASSWORD)?;
        let ids = bomb_ids(&app)?;
        let started = Instant::now();
        let answers: Vec<Result<Vec<u8>, String>> = std::thread::scope(|scope| {
            let asked: Vec<_> = ids
                .iter()
                .map(|id| {
                    let (addr, cookie) = (server.addr, &cookie);
                    scope.spawn(move || {
                        let path = format!("/thumbnail.icc?id={id}&level=1");
                        Conn::new(addr).get(&path, cookie).map(|(_, body)| body).map_err(|e| format!("{path}: {e}"))
                    })
                })
                .collect();
            asked.into_iter().map(|a| a.join().unwrap_or_else(|_| Err("panicked".into()))).collect()
        });
        refused_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        for answer in answers {
            let body = answer?;
            if !String::from_utf8_lossy(&body).contains("-10008") {
                return Err(format!("a bomb was not refused with -10008: {} bytes", body.len()));
            }
        }
        hwm.push(server.hwm_kib()? as f64 / 1024.0);
        progress(&format!("bombs {}/{}: refused in {:.1} ms", run + 1, b.runs, refused_ms[run]));
    }
    Ok(vec![
        Row::new("6 bomb thumbnails at once: all refused after", "ms", &refused_ms).budget(Budget::AtMost(1000.0)),
        Row::new("6 bomb thumbnails at once: VmHWM", "MiB", &hwm).budget(Budget::AtMost(32.0)),
    ])
}

/// An 8000×8000 RGBA PNG of 16-bit zero samples: 512 MB of pixels in about 0.5 MB.
fn png_bomb() -> Result<Vec<u8>, String> {
    let pixels = vec![0u8; 8000 * 8000 * 8];
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::NoFilter,
    );
    image::ImageEncoder::write_image(encoder, &pixels, 8000, 8000, image::ExtendedColorType::Rgba16)
        .map_err(|e| format!("PNG bomb: {e}"))?;
    Ok(png)
}

/// A baseline JPEG header declaring 65535×65535 grey pixels, then the end of the image.
fn jpeg_bomb() -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    jpeg.extend_from_slice(&[1; 64]); // a quantisation table of ones
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01, 0x11, 0x00]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

fn bomb_ids(app: &Path) -> Result<Vec<i64>, String> {
    let db = app.join("dataManager.db");
    let conn = rusqlite::Connection::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    let mut query = conn.prepare("SELECT id FROM Files WHERE fileName LIKE 'bomb%'").map_err(|e| e.to_string())?;
    let ids = query.query_map([], |r| r.get(0)).map_err(|e| e.to_string())?.collect::<Result<Vec<i64>, _>>();
    let ids = ids.map_err(|e| e.to_string())?;
    if ids.len() != 2 * BOMBS {
        return Err(format!("{} bombs in the database, expected {}", ids.len(), 2 * BOMBS));
    }
    Ok(ids)
}

/// Copies the files of `from` (one level, as a scanned app dir has) to a new directory `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?.flatten() {
        let path = entry.path();
        if path.is_file() {
            std::fs::copy(&path, to.join(entry.file_name())).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}
