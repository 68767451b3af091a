//! The library following the disk (issue 14) on a tree of 100,000 one-byte files in 5,000
//! folders, scanned once into an app dir of its own: a look with nothing changed (`isync scan`,
//! process start included), the time from a file copied into a folder to its row in the
//! database with the server watching (the default settings), the server's own incremental look
//! with nothing changed (read from its log line), and the server's idle RSS with every folder
//! watched.

use crate::procs::Server;
use crate::progress;
use crate::report::{Budget, Row};
use crate::scan::{files_in_database, run_scan, write_config};
use crate::setup::START_LIMIT;
use std::path::Path;
use std::time::{Duration, Instant};

pub const TITLE: &str = "Library following the disk (100,000 files in 5,000 folders, page cache warm)";

const FOLDERS: usize = 5_000;
const FILES_PER_FOLDER: usize = 20;
const MIB: f64 = 1024.0;
/// How long a copy may take to be listed before the run fails.
const COPY_LIMIT: Duration = Duration::from_secs(60);
/// Between two copies, so that each one meets a quiet watcher.
const BETWEEN_COPIES: Duration = Duration::from_secs(4);

pub fn bench(bin: &Path, work: &Path, runs: usize) -> Result<Vec<Row>, String> {
    let media = work.join("library");
    progress(&format!("library: writing {} files in {FOLDERS} folders", FOLDERS * FILES_PER_FOLDER));
    for folder in 0..FOLDERS {
        let dir = media.join(format!("{:02}/{folder:04}", folder / 100));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for file in 0..FILES_PER_FOLDER {
            let path = dir.join(format!("f{file:02}.txt"));
            std::fs::write(&path, b"x").map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let app = work.join("apps/library");
    write_config(&app, &[&media], None)?;
    let first = run_scan(bin, &app)?;
    progress(&format!("library: first scan {:.1} s, {} files", first.as_secs_f64(), files_in_database(&app)?));

    let mut looks = Vec::new();
    for run in 1..=runs {
        looks.push(run_scan(bin, &app)?.as_secs_f64() * 1000.0);
        progress(&format!("library: look {run}/{runs} with nothing changed {:.0} ms", looks[run - 1]));
    }

    let (server, _) = Server::start(bin, &app, &[], START_LIMIT)?;
    std::thread::sleep(Duration::from_secs(6)); // the start-up look, and the watches set
    let idle = server.rss_kib()? as f64 / MIB;
    let db = rusqlite::Connection::open(app.join("dataManager.db")).map_err(|e| e.to_string())?;
    let mut copies = Vec::new();
    for run in 1..=runs {
        let name = format!("copied-{run}.txt");
        let started = Instant::now();
        std::fs::write(media.join("49/4999").join(&name), b"y").map_err(|e| e.to_string())?;
        loop {
            let listed: i64 = db
                .query_row("SELECT count(*) FROM Files WHERE fileName = ?1", [&name], |r| r.get(0))
                .map_err(|e| e.to_string())?;
            if listed > 0 {
                break;
            }
            if started.elapsed() > COPY_LIMIT {
                return Err(format!("{name} was not listed within {COPY_LIMIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        copies.push(started.elapsed().as_secs_f64() * 1000.0);
        progress(&format!("library: copy {run}/{runs} listed after {:.0} ms", copies[run - 1]));
        std::thread::sleep(BETWEEN_COPIES);
    }
    drop(server);
    let incremental = incremental_looks(bin, &app, runs)?;
    Ok(vec![
        Row::new("a look with nothing changed (`isync scan`, process start included)", "ms", &looks)
            .budget(Budget::AtMost(500.0)),
        Row::new("the server's incremental look with nothing changed (from its log)", "ms", &incremental)
            .budget(Budget::AtMost(500.0)),
        Row::new("a file written into a watched folder → its row in the database", "ms", &copies)
            .budget(Budget::AtMost(5000.0)),
        Row::new(format!("RSS of `serve` idle, {FOLDERS} folders watched"), "MiB", &[idle]).budget(Budget::AtMost(6.0)),
    ])
}

/// The times the server's log gives for `runs` incremental looks with nothing changed: a server
/// sweeping every second with watching off, its first (full) look left out.
fn incremental_looks(bin: &Path, app: &Path, runs: usize) -> Result<Vec<f64>, String> {
    let settings = app.join("appConfigs.json");
    std::fs::write(&settings, r#"{"sweepInterval": 1, "watchFolders": 0}"#).map_err(|e| e.to_string())?;
    let log = app.join("building/appLog.log");
    let before = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
    let (server, _) = Server::start(bin, app, &[], START_LIMIT)?;
    let started = Instant::now();
    let times = loop {
        let text = std::fs::read(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let text = String::from_utf8_lossy(text.get(before..).unwrap_or_default()).into_owned();
        let times: Vec<f64> = text
            .lines()
            .filter(|line| line.contains("] sweep: "))
            .filter_map(|line| line.rsplit_once(", ")?.1.strip_suffix(" ms)")?.parse().ok())
            .collect();
        if times.len() >= runs {
            break times;
        }
        if started.elapsed() > COPY_LIMIT {
            return Err(format!("the server logged {} incremental looks within {COPY_LIMIT:?}", times.len()));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(server);
    std::fs::remove_file(&settings).map_err(|e| e.to_string())?;
    progress(&format!("library: the server's incremental looks {times:?} ms"));
    Ok(times.into_iter().take(runs).collect())
}
