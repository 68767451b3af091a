//! Downloads: the 1 GiB file in full and a 256 MiB Range from its middle, through downFile.icc
//! and through nginx (sendfile on) from the same inode, over one keep-alive connection each, the
//! body counted and discarded. Runs alternate between the two servers so background noise hits
//! both alike; one untimed download each warms the path first. The file is in the page cache:
//! this measures the servers, not the disk. Loopback throughput on two shared cores swings by a
//! factor of three from run to run for nginx too, so the servers' CPU time per GiB sent (every
//! thread and process, summed over all rounds) is shown beside it: a steadier figure of what a
//! download costs the server.

use crate::fixtures::{BLOB_NAME, BLOB_SIZE};
use crate::http::Conn;
use crate::nginx::Nginx;
use crate::procs::cpu_seconds;
use crate::report::{Budget, Row};
use crate::setup::Setup;
use crate::{progress, Bench};
use std::net::SocketAddr;
use std::time::Instant;

const RANGE_START: u64 = 384 << 20;
const RANGE_LEN: u64 = 256 << 20;

struct Target {
    addr: SocketAddr,
    path: String,
    cookie: String,
}

pub fn bench(b: &Bench, setup: &Setup, nginx: &Nginx) -> Result<Vec<Row>, String> {
    let (server, cookie) = setup.serve(b)?;
    let ours = Target { addr: server.addr, path: format!("/downFile.icc?id={}", setup.blob), cookie };
    let theirs = Target { addr: nginx.addr, path: format!("/{BLOB_NAME}"), cookie: String::new() };
    let range = format!("Range: bytes={RANGE_START}-{}\r\n", RANGE_START + RANGE_LEN - 1);
    let cases = [
        ("full 1 GiB download", "", 200, BLOB_SIZE),
        ("256 MiB Range from the middle", range.as_str(), 206, RANGE_LEN),
    ];
    // Loopback transfers of this size are short and noisy; three times the runs cost seconds.
    let rounds = b.runs * 3;
    let mut rows = Vec::new();
    for (label, header, status, length) in cases {
        let (mut isync, mut reference) = (Vec::new(), Vec::new());
        let (mut isync_cpu, mut nginx_cpu) = (0.0, 0.0);
        let (isync_pids, nginx_pids) = ([server.pid()], nginx.pids());
        for round in 0..=rounds {
            let before = cpu_seconds(&isync_pids)?;
            let a = fetch(&ours, header, status, length)?;
            let between = cpu_seconds(&isync_pids)?;
            let nginx_before = cpu_seconds(&nginx_pids)?;
            let n = fetch(&theirs, header, status, length)?;
            let nginx_after = cpu_seconds(&nginx_pids)?;
            if round > 0 {
                progress(&format!("{label} {round}/{rounds}: isync {a:.0} MB/s, nginx {n:.0} MB/s"));
                isync.push(a);
                reference.push(n);
                isync_cpu += between - before;
                nginx_cpu += nginx_after - nginx_before;
            }
        }
        let per_gib = |seconds: f64| seconds * 1000.0 / (rounds as f64 * length as f64 / f64::from(1 << 30));
        rows.push(Row::new(label, "MB/s", &isync).against("nginx", &reference).budget(Budget::RatioAtLeast(0.9)));
        rows.push(
            Row::new(format!("{label}: server CPU per GiB sent ({rounds} rounds summed)"), "ms", &[per_gib(isync_cpu)])
                .against("nginx", &[per_gib(nginx_cpu)]),
        );
    }
    Ok(rows)
}

/// One download on a new connection, checked for status and length; MB/s (10^6 bytes).
fn fetch(target: &Target, range: &str, status: u16, length: u64) -> Result<f64, String> {
    let extra = format!("{}{range}", target.cookie);
    let mut conn = Conn::new(target.addr);
    conn.connect().map_err(|e| format!("connect {}: {e}", target.addr))?;
    let mut received = 0u64;
    let started = Instant::now();
    let head = conn
        .send("GET", &target.path, &extra, b"", &mut |chunk| received += chunk.len() as u64)
        .map_err(|e| format!("GET {}: {e}", target.path))?;
    let seconds = started.elapsed().as_secs_f64();
    if head.status != status || received != length {
        return Err(format!(
            "GET {} ({range:?}): HTTP {} with {received} bytes, expected {status} with {length}",
            target.path, head.status
        ));
    }
    Ok(length as f64 / seconds / 1e6)
}
