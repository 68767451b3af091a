//! Thumbnails: cold builds through thumbnail.icc (the cache is emptied before every request) for
//! a 12 MP and a 24 MP photo at level 0 (160 px box) and level 1 (800 px box), next to
//! `vipsthumbnail` making the same box from the same file (process start to exit, as a user of
//! vips would pay it). Then the memory of a burst of 16 cold 24 MP builds (8 photos × 2 levels,
//! all requested at once), alone and while 64 clients load files.icc. Each burst runs on a fresh
//! server so VmHWM is the peak of that scenario only.

use crate::api::files_paths;
use crate::http::Conn;
use crate::load::{self, Spec};
use crate::procs::{find_program, run_timed};
use crate::report::{Budget, Row};
use crate::setup::Setup;
use crate::{progress, Bench, MIB};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const LEVELS: [(u32, u32); 2] = [(0, 160), (1, 800)];
const VIPS_LIMIT: Duration = Duration::from_secs(60);

/// Cold thumbnail times next to vipsthumbnail; the first round is a discarded warm-up.
pub fn cold_builds(b: &Bench, setup: &Setup) -> Result<Vec<Row>, String> {
    let vips = find_program("vipsthumbnail").ok_or("vipsthumbnail is not installed (make bench installs it)")?;
    let out_dir = b.work.join("vips");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let (server, cookie) = setup.serve(b)?;
    let cases =
        [("12 MP (4000×3000)", setup.p12, b.lib.photo12()), ("24 MP (6000×4000)", setup.p24[0], b.lib.photo24(0))];
    let mut rows = Vec::new();
    let mut startup = Vec::new();
    for (label, id, file) in &cases {
        for (level, size) in LEVELS {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for round in 0..=b.runs {
                setup.clear_thumbnails()?;
                let ms = thumbnail_ms(server.addr, &cookie, *id, level)?;
                let out = out_dir.join(format!("out_{level}.jpg"));
                let vips_ms = vips_ms(&vips, file, size, &out)?;
                let (_, bare) = run_timed(Command::new(&vips).arg("--vips-version").stdout(Stdio::null()), VIPS_LIMIT)?;
                if round > 0 {
                    startup.push(bare.as_secs_f64() * 1000.0);
                    progress(&format!(
                        "thumbnail {label} level {level} {round}/{}: {ms:.0} ms, vipsthumbnail {vips_ms:.0} ms",
                        b.runs
                    ));
                    ours.push(ms);
                    theirs.push(vips_ms);
                }
            }
            rows.push(
                Row::new(format!("cold thumbnail level {level} ({size} px box), {label}"), "ms", &ours)
                    .against("vipsthumbnail", &theirs)
                    .budget(Budget::RatioAtMost(1.0)),
            );
        }
    }
    rows.push(Row::new(
        "vipsthumbnail start-up alone (`--vips-version`), included in its figures above",
        "ms",
        &startup,
    ));
    Ok(rows)
}

/// One thumbnail.icc request, checked to be an image; milliseconds.
fn thumbnail_ms(addr: SocketAddr, cookie: &str, id: i64, level: u32) -> Result<f64, String> {
    let path = format!("/thumbnail.icc?id={id}&level={level}");
    let started = Instant::now();
    let (head, body) = Conn::new(addr).get(&path, cookie).map_err(|e| format!("GET {path}: {e}"))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if head.status != 200 || !head.content_type.starts_with("image/") || body.is_empty() {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(format!("GET {path}: HTTP {} {} {text}", head.status, head.content_type));
    }
    Ok(ms)
}

fn vips_ms(vips: &Path, input: &Path, size: u32, out: &Path) -> Result<f64, String> {
    let _ = std::fs::remove_file(out);
    let mut command = Command::new(vips);
    command.arg(input).arg("-s").arg(format!("{size}x{size}")).arg("-o").arg(out);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let (status, elapsed) = run_timed(&mut command, VIPS_LIMIT)?;
    if !status.success() || !out.is_file() {
        return Err(format!("vipsthumbnail {} -s {size}x{size} failed ({status})", input.display()));
    }
    Ok(elapsed.as_secs_f64() * 1000.0)
}

/// Memory rows: peak for one cold 24 MP build per level, during a burst of builds, and during
/// the burst under 64 clients. Also a row with the burst's wall time.
pub fn bursts(b: &Bench, setup: &Setup) -> Result<(Vec<Row>, Vec<Row>), String> {
    let (mut alone, mut loaded, mut wall, mut after) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut single = [Vec::new(), Vec::new()];
    for run in 0..b.runs {
        for (i, (level, _)) in LEVELS.into_iter().enumerate() {
            single[i].push(single_build(b, setup, level)?);
        }
        let (peak, seconds, settled) = burst(b, setup, false)?;
        alone.push(peak);
        wall.push(seconds);
        after.push(settled);
        let (peak_loaded, _, _) = burst(b, setup, true)?;
        loaded.push(peak_loaded);
        progress(&format!(
            "thumbnail burst {}/{}: {seconds:.2} s, peak {peak:.1} MiB; with 64 clients peak {peak_loaded:.1} MiB",
            run + 1,
            b.runs
        ));
    }
    let n = setup.p24.len() * LEVELS.len();
    let memory = vec![
        Row::new("peak RSS for one cold 24 MP build, level 0", "MiB", &single[0]),
        Row::new("peak RSS for one cold 24 MP build, level 1", "MiB", &single[1]),
        Row::new(format!("peak RSS during a burst of {n} cold 24 MP thumbnail builds"), "MiB", &alone),
        Row::new("RSS 0.5 s after that burst (kept by the process)", "MiB", &after),
        Row::new(format!("peak RSS with 64 clients on files.icc + the burst of {n} builds"), "MiB", &loaded)
            .budget(Budget::AtMost(24.0)),
    ];
    let speed = vec![Row::new(format!("burst of {n} cold 24 MP thumbnails requested at once (wall)"), "s", &wall)];
    Ok((memory, speed))
}

/// VmHWM (MiB) of a fresh server after one cold 24 MP build.
fn single_build(b: &Bench, setup: &Setup, level: u32) -> Result<f64, String> {
    let (server, cookie) = setup.serve(b)?;
    setup.clear_thumbnails()?;
    thumbnail_ms(server.addr, &cookie, setup.p24[0], level)?;
    Ok(server.hwm_kib()? as f64 / MIB)
}

/// One burst on a fresh server; returns VmHWM (MiB), the burst's wall time (s) and VmRSS 0.5 s
/// after it (MiB).
fn burst(b: &Bench, setup: &Setup, with_load: bool) -> Result<(f64, f64, f64), String> {
    let (server, cookie) = setup.serve(b)?;
    setup.clear_thumbnails()?;
    let paths: Vec<String> = setup
        .p24
        .iter()
        .flat_map(|id| LEVELS.map(|(level, _)| format!("/thumbnail.icc?id={id}&level={level}")))
        .collect();
    let files = files_paths();
    let stop = AtomicBool::new(false);
    let spec = Spec {
        addr: server.addr,
        extra: &cookie,
        paths: &files,
        concurrency: 64,
        requests: u64::MAX,
        max_time: Duration::from_secs(120),
    };
    let (wall, failures, load_error) = std::thread::scope(|scope| {
        let load = with_load.then(|| scope.spawn(|| load::run(&spec, &stop)));
        if with_load {
            std::thread::sleep(Duration::from_millis(300));
        }
        let (wall, failures) = run_burst(server.addr, &cookie, &paths);
        stop.store(true, Ordering::Relaxed);
        let load_error = load.and_then(|h| h.join().map_or(Some("load thread panicked".into()), |o| o.first_error));
        (wall, failures, load_error)
    });
    if let Some(e) = failures.into_iter().next().or(load_error) {
        return Err(format!("thumbnail burst: {e}"));
    }
    let peak = server.hwm_kib()? as f64 / MIB;
    std::thread::sleep(Duration::from_millis(500));
    Ok((peak, wall.as_secs_f64(), server.rss_kib()? as f64 / MIB))
}

/// Requests every path at once (one connection each); returns the wall time and the failures.
fn run_burst(addr: SocketAddr, cookie: &str, paths: &[String]) -> (Duration, Vec<String>) {
    let barrier = Barrier::new(paths.len());
    let started = Instant::now();
    let failures = std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .iter()
            .map(|path| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    match Conn::new(addr).get(path, cookie) {
                        Ok((head, body)) if head.status == 200 && !body.is_empty() => None,
                        Ok((head, _)) => Some(format!("GET {path}: HTTP {}", head.status)),
                        Err(e) => Some(format!("GET {path}: {e}")),
                    }
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().unwrap_or(Some("burst thread panicked".into()))).collect()
    });
    (started.elapsed(), failures)
}
