//! Thumbnails: cold builds through thumbnail.icc (the cache is emptied before every request) at
//! level 0 (160 px box) and level 1 (800 px box) of a 12 MP and a 24 MP photo, a 12 MP photo with
//! a camera's EXIF thumbnail (level 0), and a 12 MP iPhone HEIC, each next to the original
//! server's Pillow code (draft mode) and libvips, both run in one Python process over the same
//! files so that their start-up is not in their figures (`peers.py`). Then the memory of one cold
//! HEIC build and of a burst of 16 cold 24 MP builds (8 photos × 2 levels, all requested at
//! once), alone and while 64 clients load files.icc. Each burst runs on a fresh server so VmHWM
//! is the peak of that scenario only.

use crate::api::files_paths;
use crate::http::Conn;
use crate::load::{self, Spec};
use crate::report::{Budget, Row};
use crate::setup::Setup;
use crate::{progress, Bench, MIB};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const LEVELS: [(u32, u32); 2] = [(0, 160), (1, 800)];

/// One photo of the thumbnail rows: its label, id, file, and the ratio budgets (against
/// Pillow and libvips alike) of level 0 and level 1.
struct Case {
    label: &'static str,
    id: i64,
    file: PathBuf,
    budgets: [Option<f64>; 2],
}

/// Cold thumbnail times next to Pillow and libvips; each first round is a discarded warm-up.
pub fn cold_builds(b: &Bench, setup: &Setup) -> Result<Vec<Row>, String> {
    let cases = [
        Case { label: "12 MP (4000×3000)", id: setup.p12, file: b.lib.photo12(), budgets: [Some(0.5), Some(0.8)] },
        Case { label: "24 MP (6000×4000)", id: setup.p24[0], file: b.lib.photo24(0), budgets: [Some(0.5), Some(0.8)] },
        Case {
            label: "12 MP with a 160×120 EXIF thumbnail",
            id: setup.p12_exif,
            file: b.lib.photo12_exif(),
            budgets: [Some(0.1), None],
        },
        Case {
            label: "12 MP iPhone HEIC (4032×3024, 512 px tiles)",
            id: setup.heic12,
            file: b.lib.heic12(),
            budgets: [None, None],
        },
    ];
    let (server, cookie) = setup.serve(b)?;
    let mut rows = Vec::new();
    for (level, size) in LEVELS {
        let files: Vec<&Path> = cases.iter().map(|c| c.file.as_path()).collect();
        let pillow = peer_runs("pillow", size, b.runs, &files);
        let vips = peer_runs("vips", size, b.runs, &files);
        for case in &cases {
            if level == 1 && case.budgets == [Some(0.1), None] {
                continue; // the EXIF thumbnail only serves level 0
            }
            let mut ours = Vec::new();
            for round in 0..=b.runs {
                setup.clear_thumbnails()?;
                let ms = thumbnail_ms(server.addr, &cookie, case.id, level)?;
                if round > 0 {
                    progress(&format!("thumbnail {} level {level} {round}/{}: {ms:.0} ms", case.label, b.runs));
                    ours.push(ms);
                }
            }
            let measure = format!("cold thumbnail level {level} ({size} px box), {}", case.label);
            for (name, peer) in [("Pillow (draft), one process", &pillow), ("libvips, one process", &vips)] {
                let theirs = peer.get(&case.file).cloned().unwrap_or_default();
                let mut row = Row::new(&measure, "ms", &ours).against(name, &theirs);
                if let Some(limit) = case.budgets[level as usize] {
                    row = row.budget(Budget::RatioAtMost(limit));
                }
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// The Python that runs `peers.py`: $BENCH_PYTHON, else the one `make bench-deps` installs.
fn peer_python() -> PathBuf {
    std::env::var_os("BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bench-python/bin/python"))
}

/// Milliseconds of `runs` builds of each file by `tool` (pillow or vips) in one process; a file
/// the tool cannot read, or a tool that is not installed, has no figures (the row says n/a).
fn peer_runs(tool: &str, size: u32, runs: usize, files: &[&Path]) -> HashMap<PathBuf, Vec<f64>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bench/peers.py");
    let output = Command::new(peer_python())
        .arg(script)
        .args([tool, &size.to_string(), &runs.to_string()])
        .args(files)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output();
    let mut out = HashMap::new();
    let text = match output {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            progress(&format!("peers.py {tool} failed ({}); its figures are n/a", o.status));
            return out;
        }
        Err(e) => {
            progress(&format!("no Python for peers.py ({e}; make bench-deps installs it); {tool} figures are n/a"));
            return out;
        }
    };
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(file) = words.next() else { continue };
        let rest: Vec<&str> = words.collect();
        if rest.first() == Some(&"ERROR") {
            progress(&format!("{tool} cannot make a {size} px thumbnail of {file}: {}", rest[1..].join(" ")));
            continue;
        }
        out.insert(PathBuf::from(file), rest.iter().filter_map(|v| v.parse().ok()).collect());
    }
    out
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

/// Memory rows: peak for one cold 24 MP build per level, during a burst of builds, and during
/// the burst under 64 clients. Also a row with the burst's wall time.
pub fn bursts(b: &Bench, setup: &Setup) -> Result<(Vec<Row>, Vec<Row>), String> {
    let (mut alone, mut loaded, mut wall, mut after) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut single, mut heic) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for run in 0..b.runs {
        for (i, (level, _)) in LEVELS.into_iter().enumerate() {
            single[i].push(single_build(b, setup, setup.p24[0], level)?);
            heic[i].push(single_build(b, setup, setup.heic12, level)?);
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
        Row::new("peak RSS for one cold 12 MP HEIC build, level 0", "MiB", &heic[0]),
        Row::new("peak RSS for one cold 12 MP HEIC build, level 1", "MiB", &heic[1]),
        Row::new(format!("peak RSS during a burst of {n} cold 24 MP thumbnail builds"), "MiB", &alone),
        Row::new("RSS 0.5 s after that burst (kept by the process)", "MiB", &after),
        Row::new(format!("peak RSS with 64 clients on files.icc + the burst of {n} builds"), "MiB", &loaded)
            .budget(Budget::AtMost(24.0)),
    ];
    let speed = vec![Row::new(format!("burst of {n} cold 24 MP thumbnails requested at once (wall)"), "s", &wall)];
    Ok((memory, speed))
}

/// VmHWM (MiB) of a fresh server after one cold build of file `id`.
fn single_build(b: &Bench, setup: &Setup, id: i64, level: u32) -> Result<f64, String> {
    let (server, cookie) = setup.serve(b)?;
    setup.clear_thumbnails()?;
    thumbnail_ms(server.addr, &cookie, id, level)?;
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
