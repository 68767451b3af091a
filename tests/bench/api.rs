//! API throughput and latency: files.icc (100 per page, pages 0–19 in turn, logged in) and
//! catalogs.icc (the 10 top folders of the library, with their counts) at 1, 8 and 64 keep-alive
//! clients, plus nginx serving a static file with the same body as a files.icc page at 8 clients,
//! and the server's peak RSS over all of it. The client shares the two cores with the server,
//! as it would with nginx: the figures are comparable with each other, not absolute capacity.

use crate::http::{get_data, Conn};
use crate::load::{self, Outcome, Spec};
use crate::nginx::Nginx;
use crate::report::{Budget, Row};
use crate::setup::Setup;
use crate::{progress, Bench, MIB};
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub const CONCURRENCY: [usize; 3] = [1, 8, 64];
/// A run stops at its request count or after this long, whichever comes first.
pub const RUN_LIMIT: Duration = Duration::from_secs(8);
const PAGES: usize = 20;
const STATIC_NAME: &str = "files.json";

/// Requests per run at a given concurrency (the run also stops at RUN_LIMIT).
fn requests_for(concurrency: usize) -> u64 {
    match concurrency {
        1 => 600,
        c => (c as u64 * 100).max(2400),
    }
}

/// The files.icc paths the load cycles through.
pub fn files_paths() -> Vec<String> {
    (0..PAGES).map(|i| format!("/files.icc?pageIndex={i}&maxPerPage=100")).collect()
}

/// API figures and the memory row ("peak during the load").
pub fn bench(b: &Bench, setup: &Setup, nginx: &Nginx) -> Result<(Vec<Row>, Row), String> {
    let (server, cookie) = setup.serve(b)?;
    let files = files_paths();
    let catalogs = vec![format!("/catalogs.icc?pids={}", setup.photos_root)];
    let page = get_data(server.addr, &files[0], &cookie)?;
    let count = page["list"].as_array().map_or(0, Vec::len);
    if count != 100 {
        return Err(format!("files.icc returned {count} files instead of 100"));
    }
    let folders = get_data(server.addr, &catalogs[0], &cookie)?;
    if folders.as_array().map_or(0, Vec::len) != crate::fixtures::TOP_DIRS {
        return Err(format!("catalogs.icc returned {folders} instead of the top folders"));
    }
    let static_size = write_static_page(b, server.addr, &files[0], &cookie)?;
    check_static(nginx.addr, static_size)?;
    let mut rows = Vec::new();
    for (name, paths) in [("files.icc (100 per page)", &files), ("catalogs.icc (10 folders)", &catalogs)] {
        warm_up(server.addr, &cookie, paths)?;
        for concurrency in CONCURRENCY {
            let spec = Spec {
                addr: server.addr,
                extra: &cookie,
                paths,
                concurrency,
                requests: requests_for(concurrency),
                max_time: RUN_LIMIT,
            };
            let runs = repeat(b, &format!("{name} c={concurrency}"), &spec)?;
            let nginx_runs = if name.starts_with("files") && concurrency == 8 {
                // nginx answers 2,400 requests in a few tens of ms: give it ten times as many.
                let paths = vec![format!("/{STATIC_NAME}")];
                let spec = Spec {
                    addr: nginx.addr,
                    extra: "",
                    paths: &paths,
                    concurrency: 8,
                    requests: requests_for(8) * 10,
                    max_time: RUN_LIMIT,
                };
                Some(repeat(b, &format!("nginx static {static_size} B c=8"), &spec)?)
            } else {
                None
            };
            rows.extend(rows_for(&format!("{name}, c={concurrency}"), &runs, nginx_runs.as_deref(), static_size));
        }
    }
    let peak = server.hwm_kib()? as f64 / MIB;
    let memory = Row::new("peak RSS during the API load (1/8/64 clients, VmHWM)", "MiB", &[peak]);
    Ok((rows, memory))
}

fn rows_for(name: &str, runs: &[Outcome], reference: Option<&[Outcome]>, static_size: usize) -> Vec<Row> {
    let rps: Vec<f64> = runs.iter().map(Outcome::rps).collect();
    let p50: Vec<f64> = runs.iter().map(|o| o.percentile_ms(50.0)).collect();
    let p99: Vec<f64> = runs.iter().map(|o| o.percentile_ms(99.0)).collect();
    let mut throughput = Row::new(format!("{name}: throughput"), "req/s", &rps);
    if let Some(reference) = reference {
        let nginx: Vec<f64> = reference.iter().map(Outcome::rps).collect();
        throughput = Row::new(
            format!("{name}: throughput vs nginx static file of the same size ({static_size} B)"),
            "req/s",
            &rps,
        )
        .against("nginx", &nginx)
        .budget(Budget::RatioAtLeast(0.5));
    }
    let max: Vec<f64> = runs.iter().map(|o| o.percentile_ms(100.0)).collect();
    vec![
        throughput,
        Row::new(format!("{name}: p50 latency"), "ms", &p50),
        Row::new(format!("{name}: p99 latency"), "ms", &p99),
        Row::new(format!("{name}: max latency"), "ms", &max),
    ]
}

/// `b.runs` load runs; fails when any request failed (the figures would be meaningless).
fn repeat(b: &Bench, label: &str, spec: &Spec) -> Result<Vec<Outcome>, String> {
    let mut runs = Vec::new();
    for run in 0..b.runs {
        let outcome = load::run(spec, &AtomicBool::new(false));
        if outcome.failed > 0 || outcome.ok == 0 {
            return Err(format!(
                "{label}: {} of {} requests failed, first: {}",
                outcome.failed,
                outcome.ok + outcome.failed,
                outcome.first_error.unwrap_or_default()
            ));
        }
        progress(&format!(
            "{label} {}/{}: {} req in {:.2} s, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
            run + 1,
            b.runs,
            outcome.ok,
            outcome.elapsed.as_secs_f64(),
            outcome.rps(),
            outcome.percentile_ms(50.0),
            outcome.percentile_ms(99.0),
            outcome.percentile_ms(100.0)
        ));
        runs.push(outcome);
    }
    Ok(runs)
}

fn warm_up(addr: SocketAddr, extra: &str, paths: &[String]) -> Result<(), String> {
    let spec = Spec { addr, extra, paths, concurrency: 8, requests: 200, max_time: RUN_LIMIT };
    let outcome = load::run(&spec, &AtomicBool::new(false));
    match outcome.first_error {
        Some(e) => Err(format!("warm-up failed: {e}")),
        None => Ok(()),
    }
}

/// Saves the exact body of one files.icc page as nginx's static file; returns its size.
fn write_static_page(b: &Bench, addr: SocketAddr, path: &str, cookie: &str) -> Result<usize, String> {
    let (head, body) = Conn::new(addr).get(path, cookie).map_err(|e| format!("GET {path}: {e}"))?;
    if head.status != 200 {
        return Err(format!("GET {path}: HTTP {}", head.status));
    }
    let file = b.lib.www.join(STATIC_NAME);
    std::fs::write(&file, &body).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(body.len())
}

fn check_static(addr: SocketAddr, size: usize) -> Result<(), String> {
    let path = format!("/{STATIC_NAME}");
    let (head, body) = Conn::new(addr).get(&path, "").map_err(|e| format!("nginx GET {path}: {e}"))?;
    if head.status != 200 || body.len() != size {
        return Err(format!("nginx GET {path}: HTTP {} with {} bytes, expected {size}", head.status, body.len()));
    }
    Ok(())
}

/// After this long without connections tiny_http's thread pool is back to its 4 standing threads.
const POOL_IDLE: Duration = Duration::from_secs(6);

/// New connections in a burst after a quiet spell, like a phone opening its connections to show
/// a grid of thumbnails: `clients` connections opened at once, each timed from its connect to
/// the end of its first catalogs.icc answer; the row is the slowest of them.
pub fn connection_bursts(b: &Bench, setup: &Setup) -> Result<Vec<Row>, String> {
    let (server, cookie) = setup.serve(b)?;
    let path = format!("/catalogs.icc?pids={}", setup.photos_root);
    let mut rows = Vec::new();
    for clients in [8, 64] {
        let mut slowest = Vec::new();
        for run in 0..b.runs {
            std::thread::sleep(POOL_IDLE);
            let ms = slowest_first_answer(server.addr, &cookie, &path, clients)?;
            progress(&format!(
                "burst of {clients} new connections {}/{}: slowest first answer {ms:.1} ms",
                run + 1,
                b.runs
            ));
            slowest.push(ms);
        }
        rows.push(Row::new(
            format!("{clients} new connections at once after {} s idle: slowest first answer", POOL_IDLE.as_secs()),
            "ms",
            &slowest,
        ));
    }
    Ok(rows)
}

fn slowest_first_answer(addr: SocketAddr, cookie: &str, path: &str, clients: usize) -> Result<f64, String> {
    let barrier = std::sync::Barrier::new(clients);
    let times: Vec<Result<f64, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let started = std::time::Instant::now();
                    match Conn::new(addr).get(path, cookie) {
                        Ok((head, _)) if head.status == 200 => Ok(started.elapsed().as_secs_f64() * 1000.0),
                        Ok((head, _)) => Err(format!("GET {path}: HTTP {}", head.status)),
                        Err(e) => Err(format!("GET {path}: {e}")),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("client thread panicked".into()))).collect()
    });
    times.into_iter().try_fold(0.0, |slowest: f64, t| t.map(|ms| slowest.max(ms)))
}
