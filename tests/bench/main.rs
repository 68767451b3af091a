//! `make bench`: builds nothing itself (make builds the release binary first), installs nginx and
//! vipsthumbnail when missing, generates its own library in a temporary directory, starts
//! `target/release/isync` (scan, serve on 127.0.0.1:0) and nginx (127.0.0.1, own config), and
//! prints one Markdown table of medians over BENCH_RUNS (default 5) runs with min–max, the
//! reference figures and the budgets (✓/✗). Progress goes to stderr, the table to stdout.
//!
//! It is a cargo `[[bench]]` with `harness = false`: its own `main`, never built or run by
//! `cargo test`. Every process it starts sits behind a guard that stops it on drop, every loop is
//! bounded in count and time, and the temporary directory is removed at the end, also on failure.
//! A section that fails prints a FAILED row and the exit status is non-zero; the rest still runs.
//!
//! The gallery section (gallery.rs) drives a headless Chromium; without Chromium or chromedriver
//! (`make bench-deps` installs them) its browser rows are SKIPPED. `BENCH_ONLY=gallery` or
//! `BENCH_ONLY=library` runs that section alone, without the shared library or nginx, for working
//! on it; `BENCH_ONLY=thumbnails` the thumbnail rows on the shared library.

mod api;
mod downloads;
mod fixtures;
mod gallery;
/// The tests' HEIC fixtures; the bench writes a photo-like one.
#[allow(dead_code)]
#[path = "../common/heic.rs"]
mod heic;
mod hostile;
mod http;
mod library;
mod load;
mod nginx;
mod procs;
mod report;
mod scan;
mod setup;
mod startup;
/// The tests' media fixtures (EXIF thumbnails); the bench uses a few of them.
#[allow(dead_code)]
#[path = "../common/fixtures.rs"]
mod test_fixtures;
mod thumbs;

use report::Row;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The title of the thumbnail rows.
const THUMBNAILS: &str = "Thumbnails (cold, via thumbnail.icc)";

/// KiB per MiB (/proc reports kB, which are KiB).
pub const MIB: f64 = 1024.0;

/// What every section needs.
pub struct Bench {
    pub bin: PathBuf,
    pub work: PathBuf,
    pub lib: fixtures::Library,
    pub runs: usize,
}

static STARTED: OnceLock<Instant> = OnceLock::new();

/// One progress line on stderr, with the time since the bench started.
pub fn progress(message: &str) {
    let started = STARTED.get_or_init(Instant::now);
    eprintln!("[{:>6.1} s] {message}", started.elapsed().as_secs_f64());
}

fn main() -> ExitCode {
    STARTED.get_or_init(Instant::now);
    // `cargo bench` passes --bench; nothing else is accepted.
    if let Some(arg) = std::env::args().skip(1).find(|a| a != "--bench") {
        eprintln!("bench: unexpected argument {arg:?}; set BENCH_RUNS=N to change the number of runs");
        return ExitCode::from(2);
    }
    match run() {
        Ok(0) => ExitCode::SUCCESS,
        Ok(failed) => {
            eprintln!("bench: {failed} section(s) failed; see the FAILED rows");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs everything; returns the number of failed sections.
fn run() -> Result<usize, String> {
    let runs = runs()?;
    if let Some(section) = only()? {
        return run_only(section, runs);
    }
    procs::ensure_programs(&[("nginx", "nginx"), ("vipsthumbnail", "libvips-tools"), ("ffmpeg", "ffmpeg")])?;
    let bin = procs::isync_binary()?;
    let load_before = load_average();
    let temp = tempfile::Builder::new()
        .prefix("isync-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    progress(&format!("generating the library in {}", temp.path().display()));
    let lib = fixtures::build(temp.path())?;
    let b = Bench { bin, work: temp.path().to_path_buf(), lib, runs };
    let mut failed = 0;
    let mut attempt = |name: &str, rows: Result<Vec<Row>, String>| match rows {
        Ok(rows) => rows,
        Err(e) => {
            failed += 1;
            failed_row(name, &e)
        }
    };

    let scanner = attempt("scan", scan::scan_rate(&b));
    let after_scan = attempt("memory after scan", scan::memory_after_scan(&b));
    let setup = setup::prepare(&b)?;
    let idle = attempt("idle RSS", startup::idle_rss(&b, &setup));
    let cold = attempt("cold start", startup::cold_start(&b, &setup));
    let nginx = nginx::Nginx::start(&b.work.join("nginx"), &b.lib.www);
    let (api_rows, api_memory) = match with_nginx(&nginx).and_then(|n| api::bench(&b, &setup, n)) {
        Ok((rows, memory)) => (rows, vec![memory]),
        Err(e) => (attempt("API", Err(e)), Vec::new()),
    };
    let bursts = attempt("connection bursts", api::connection_bursts(&b, &setup));
    let api_rows: Vec<Row> = api_rows.into_iter().chain(bursts).collect();
    let thumbnails = attempt("thumbnails", thumbs::cold_builds(&b, &setup));
    let (burst_memory, burst_speed) = match thumbs::bursts(&b, &setup) {
        Ok(pair) => pair,
        Err(e) => (attempt("thumbnail burst", Err(e)), Vec::new()),
    };
    let slow = attempt("slow connections", hostile::slow_connections(&b, &setup));
    let bombs = attempt("bombs", hostile::bombs(&b));
    let downloads = attempt("downloads", with_nginx(&nginx).and_then(|n| downloads::bench(&b, &setup, n)));
    drop(nginx);
    let library = attempt("library", library::bench(&b.bin, &b.work, b.runs));
    // Last: Chromium takes both cores while it runs.
    let gallery = attempt("gallery", gallery::bench(&b.bin, &b.work, b.runs));

    let memory: Vec<Row> = [idle, after_scan, api_memory, burst_memory].into_iter().flatten().collect();
    let thumbnails: Vec<Row> = thumbnails.into_iter().chain(burst_speed).collect();
    let sections = [
        ("Scanner", scanner),
        ("API (keep-alive clients on the same 2 cores; a run is 600 / 2400 / 6400 requests at c = 1 / 8 / 64 (nginx: 24000), or 8 s)", api_rows),
        ("Memory (VmRSS / VmHWM of isync serve, all threads)", memory),
        (THUMBNAILS, thumbnails),
        ("Downloads (page cache warm)", downloads),
        ("Under attack (500 connections trickling request heads from 50 loopback addresses; decompression bombs)", slow.into_iter().chain(bombs).collect()),
        ("Cold start", cold),
        (library::TITLE, library),
        (gallery::TITLE, gallery),
    ];
    println!("{}", header(&b, &load_before));
    println!("{}", report::table(&sections));
    progress("done; removing the temporary library");
    drop(temp);
    Ok(failed)
}

/// The row a failed section leaves in the table, after saying so on stderr.
fn failed_row(name: &str, e: &str) -> Vec<Row> {
    progress(&format!("{name} FAILED: {e}"));
    vec![Row::new(format!("{name}: FAILED — {}", e.replace('|', "/")), "", &[])]
}

/// A section that `BENCH_ONLY` can run alone.
#[derive(Clone, Copy)]
enum Only {
    Gallery,
    Library,
    Thumbnails,
}

/// `BENCH_ONLY=gallery|library|thumbnails`: only that section, in a temporary directory of its own, with a
/// shorter header; returns the number of failed sections (0 or 1).
fn run_only(section: Only, runs: usize) -> Result<usize, String> {
    let bin = procs::isync_binary()?;
    let load_before = load_average();
    let temp = tempfile::Builder::new()
        .prefix("isync-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let (name, title, result) = match section {
        Only::Gallery => ("gallery", gallery::TITLE, gallery::bench(&bin, temp.path(), runs)),
        Only::Library => ("library", library::TITLE, library::bench(&bin, temp.path(), runs)),
        Only::Thumbnails => ("thumbnails", THUMBNAILS, thumbnails_alone(bin.clone(), temp.path(), runs)),
    };
    let (rows, failed) = match result {
        Ok(rows) => (rows, 0),
        Err(e) => (failed_row(name, &e), 1),
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "## isync benchmark (BENCH_ONLY={name})\n\n{cores} cores; load average {load_before} before, {} after. \
         Medians of {runs} runs (min–max). isync: {}.\n",
        load_average(),
        bin.display()
    );
    println!("{}", report::table(&[(title, rows)]));
    progress("done; removing the temporary directory");
    drop(temp);
    Ok(failed)
}

/// The thumbnail rows and their memory rows, on the shared library and app dir.
fn thumbnails_alone(bin: PathBuf, work: &Path, runs: usize) -> Result<Vec<Row>, String> {
    procs::ensure_programs(&[("ffmpeg", "ffmpeg")])?;
    progress(&format!("generating the library in {}", work.display()));
    let lib = fixtures::build(work)?;
    let b = Bench { bin, work: work.to_path_buf(), lib, runs };
    let setup = setup::prepare(&b)?;
    let mut rows = thumbs::cold_builds(&b, &setup)?;
    let (memory, speed) = thumbs::bursts(&b, &setup)?;
    rows.extend(speed);
    rows.extend(memory);
    Ok(rows)
}

/// The section BENCH_ONLY asks for alone; unset or empty means everything.
fn only() -> Result<Option<Only>, String> {
    match std::env::var("BENCH_ONLY") {
        Err(_) => Ok(None),
        Ok(text) if text.is_empty() => Ok(None),
        Ok(text) if text == "gallery" => Ok(Some(Only::Gallery)),
        Ok(text) if text == "library" => Ok(Some(Only::Library)),
        Ok(text) if text == "thumbnails" => Ok(Some(Only::Thumbnails)),
        Ok(text) => Err(format!("BENCH_ONLY may only be gallery, library or thumbnails (or unset), not {text:?}")),
    }
}

fn with_nginx(nginx: &Result<nginx::Nginx, String>) -> Result<&nginx::Nginx, String> {
    nginx.as_ref().map_err(|e| format!("nginx: {e}"))
}

fn runs() -> Result<usize, String> {
    match std::env::var("BENCH_RUNS") {
        Err(_) => Ok(5),
        Ok(text) => match text.parse::<usize>() {
            Ok(n) if (1..=20).contains(&n) => Ok(n),
            _ => Err(format!("BENCH_RUNS must be a number from 1 to 20, not {text:?}")),
        },
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The lines above the table: machine, tools, runs.
fn header(b: &Bench, load_before: &str) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let nginx = tool_version(&b.work, "nginx", &["-v"]);
    let vips = tool_version(&b.work, "vipsthumbnail", &["--vips-version"]);
    let size = std::fs::metadata(&b.bin).map_or(0, |m| m.len());
    let mut text = format!(
        "## isync benchmark\n\n{cores} cores; load average {load_before} before, {} after. \
         Medians of {} runs (min–max). isync: {} ({:.1} MB). Reference: {nginx}; {vips}.\n",
        load_average(),
        b.runs,
        b.bin.display(),
        size as f64 / 1e6
    );
    if b.runs < 5 {
        text.push_str(&format!(
            "\n**BENCH_RUNS={}: fewer than the 5 runs these figures are meant to have.**\n",
            b.runs
        ));
    }
    text
}

/// The first line a program prints for its version flag (stdout or stderr), bounded in time.
fn tool_version(work: &Path, program: &str, args: &[&str]) -> String {
    let Some(path) = procs::find_program(program) else { return format!("{program} (missing)") };
    let out = work.join(format!("{program}.version"));
    let Ok(file) = std::fs::File::create(&out) else { return program.to_string() };
    let Ok(err) = file.try_clone() else { return program.to_string() };
    let mut command = Command::new(path);
    command.args(args).stdin(Stdio::null()).stdout(file).stderr(err);
    let _ = procs::run_timed(&mut command, Duration::from_secs(10));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let line = text.lines().next().unwrap_or(program).trim();
    line.strip_prefix("nginx version: ").unwrap_or(line).to_string()
}
