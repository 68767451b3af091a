//! Counters of a scan or a sweep: reported on stderr while `isync scan` runs and at its end,
//! and in one line of the log after a sweep that did something.

use std::collections::HashSet;
use std::time::{Duration, Instant};

const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Counters of a scan, reported on stderr while it runs and at the end.
pub struct Progress {
    pub directories: u64,
    /// Directories an incremental look did not list again (unchanged since their last listing).
    pub unchanged: u64,
    pub files: u64,
    pub skipped: u64,
    pub changed: u64,
    pub removed: u64,
    /// Files and folders missed by this look, kept until a second look misses them too.
    pub missing: u64,
    /// Files still being written, left for a later look.
    pub unsettled: u64,
    /// Roots (and disks mounted inside them) that were offline.
    pub offline: u64,
    /// Roots whose look failed (the next look tries again).
    pub failed: u64,
    /// The catalogs this look has walked (each once).
    pub walked: HashSet<i64>,
    /// Print progress on stderr (`isync scan`) or stay quiet (the server's sweeps log instead).
    pub verbose: bool,
    started: Instant,
    last_report: Instant,
}

impl Progress {
    pub fn new() -> Self {
        let now = Instant::now();
        Progress {
            directories: 0,
            unchanged: 0,
            files: 0,
            skipped: 0,
            changed: 0,
            removed: 0,
            missing: 0,
            unsettled: 0,
            offline: 0,
            failed: 0,
            walked: HashSet::new(),
            verbose: true,
            started: now,
            last_report: now,
        }
    }

    pub fn tick(&mut self) {
        if self.verbose && self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            eprintln!("scan: {}", self.line());
        }
    }

    pub fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{} directories ({} unchanged), {} new files, {} changed, {} removed, {} known files skipped, \
             {} missing once, {} still being written, {} roots offline ({:.0} files/s, {:.0} ms)",
            self.directories,
            self.unchanged,
            self.files,
            self.changed,
            self.removed,
            self.skipped,
            self.missing,
            self.unsettled,
            self.offline,
            (self.files + self.skipped + self.changed) as f64 / seconds,
            seconds * 1000.0
        )
    }

    /// True when a later look has something to settle: files missed once or still being written,
    /// or a root whose look failed.
    pub fn pending(&self) -> bool {
        self.missing > 0 || self.unsettled > 0 || self.failed > 0
    }

    /// True when the look changed the catalog.
    pub fn changed_anything(&self) -> bool {
        self.files + self.changed + self.removed > 0
    }

    pub fn finish(&self) {
        if self.verbose {
            eprintln!("scan: done: {} in {:.1}s", self.line(), self.started.elapsed().as_secs_f64());
        }
    }
}
