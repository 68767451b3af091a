//! The scanner figures: `isync --app-dir DIR scan` over the 10,000 small JPEGs, each run on a
//! fresh (cold) app dir, as files per second; and the memory of `isync serve --scan` right after
//! it scanned the same library in-process. Also the shared helpers that write a scan
//! configuration and run a scan with a time limit. The page cache is warm (the library was just
//! written): this measures the scanner, not the disk.

use crate::fixtures::SMALL_FILES;
use crate::procs::{run_timed, tail, Server};
use crate::report::{Budget, Row};
use crate::{progress, Bench, MIB};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const SCAN_LIMIT: Duration = Duration::from_secs(300);

/// Writes `scanDiskConfig.json` with one entry: `paths`, and one user when given.
pub fn write_config(app_dir: &Path, paths: &[&Path], user: Option<(&str, &str)>) -> Result<(), String> {
    std::fs::create_dir_all(app_dir).map_err(|e| format!("{}: {e}", app_dir.display()))?;
    let users = match user {
        Some((name, password)) => serde_json::json!([{ "name": name, "password": password }]),
        None => serde_json::json!([]),
    };
    let paths: Vec<String> = paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let config = serde_json::json!([{ "paths": paths, "users": users }]);
    let file = app_dir.join("scanDiskConfig.json");
    std::fs::write(&file, config.to_string()).map_err(|e| format!("{}: {e}", file.display()))
}

/// Runs `isync --app-dir DIR scan`; its output goes to DIR/scan.log. Returns the wall time.
pub fn run_scan(bin: &Path, app_dir: &Path) -> Result<Duration, String> {
    let log_path = app_dir.join("scan.log");
    let log = std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(bin);
    command.arg("--app-dir").arg(app_dir).arg("scan").stdin(Stdio::null()).stdout(log).stderr(err);
    match run_timed(&mut command, SCAN_LIMIT)? {
        (status, elapsed) if status.success() => Ok(elapsed),
        (status, _) => Err(format!("isync scan failed ({status}): {}", tail(&log_path))),
    }
}

/// Number of rows in the Files table of an app dir (to check a scan found everything).
pub fn files_in_database(app_dir: &Path) -> Result<i64, String> {
    let db = app_dir.join("dataManager.db");
    let conn = rusqlite::Connection::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    conn.query_row("SELECT count(*) FROM Files", [], |r| r.get(0)).map_err(|e| format!("counting files: {e}"))
}

/// Scan rate over `runs` cold app dirs.
pub fn scan_rate(b: &Bench) -> Result<Vec<Row>, String> {
    let (mut rates, mut seconds) = (Vec::new(), Vec::new());
    for run in 0..b.runs {
        let app = b.work.join(format!("apps/scan-{run}"));
        write_config(&app, &[&b.lib.photos], None)?;
        let elapsed = run_scan(&b.bin, &app)?;
        if run == 0 {
            let found = files_in_database(&app)?;
            if found != SMALL_FILES as i64 {
                return Err(format!("the scan registered {found} files, expected {SMALL_FILES}"));
            }
        }
        let _ = std::fs::remove_dir_all(&app);
        let rate = SMALL_FILES as f64 / elapsed.as_secs_f64();
        progress(&format!("scan {}/{}: {:.2} s, {rate:.0} files/s", run + 1, b.runs, elapsed.as_secs_f64()));
        rates.push(rate);
        seconds.push(elapsed.as_secs_f64());
    }
    Ok(vec![
        Row::new(format!("scan {SMALL_FILES} small JPEGs, 100 folders (cold app dir)"), "files/s", &rates)
            .budget(Budget::AtLeast(400.0)),
        Row::new("scan wall time", "s", &seconds),
    ])
}

/// RSS of `isync serve --scan` once it is listening (the scan ran in-process), and its peak.
pub fn memory_after_scan(b: &Bench) -> Result<Vec<Row>, String> {
    let (mut rss, mut hwm) = (Vec::new(), Vec::new());
    for run in 0..b.runs {
        let app = b.work.join(format!("apps/serve-scan-{run}"));
        write_config(&app, &[&b.lib.photos], None)?;
        let (server, _) = Server::start(&b.bin, &app, &["--scan"], SCAN_LIMIT)?;
        std::thread::sleep(Duration::from_millis(500));
        rss.push(server.rss_kib()? as f64 / MIB);
        hwm.push(server.hwm_kib()? as f64 / MIB);
        drop(server);
        let _ = std::fs::remove_dir_all(&app);
        progress(&format!("serve --scan {}/{}: RSS {:.1} MiB", run + 1, b.runs, rss[run]));
    }
    Ok(vec![
        Row::new(format!("RSS of `serve --scan` after scanning {SMALL_FILES} files, idle"), "MiB", &rss),
        Row::new("peak RSS of `serve --scan` during that scan (VmHWM)", "MiB", &hwm),
    ])
}
