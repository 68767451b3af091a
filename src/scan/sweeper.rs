//! The server's sweeps: a thread that looks at every root (`scan::sweep`) at start-up, whenever
//! the folders report a change (`fs::watch`, one inotify watch per folder, unless
//! `watchFolders` is 0), and every `sweepInterval` seconds whatever happened (for folders the
//! watches cannot cover: past the kernel's limit, or on file systems without events). Events
//! are settled first: the look waits for QUIET without new ones (at most SETTLE_AT_MOST), so a
//! copy of many files is one look. A look that left a file still being written is followed by
//! another SETTLE later, which takes it once it has stopped changing; one that missed a file or
//! folder, by another REMOVAL_DELAY later, which removes it if it is still gone (two looks, that
//! far apart: a disk away for a moment, a USB reset, costs nothing). Looks are incremental
//! (`walk::Look::changed_dirs`): only directories whose listing stamp changed, or where the
//! watches saw something happen, are listed again; the first look, one a day (FULL_LOOK_EVERY)
//! and one after the kernel lost events list everything.

use super::prebuild::Prebuilder;
use crate::config::Config;
use crate::db;
use crate::fs::watch::{Changed, Watcher};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How long a file must be left unchanged before a sweep takes it, and how soon a look that left
/// something pending is followed by another.
pub const SETTLE: Duration = Duration::from_secs(2);
/// How long something must stay gone before a look removes it.
pub const REMOVAL_DELAY: Duration = Duration::from_secs(20);
/// Events are settled when none came for this long...
const QUIET: Duration = Duration::from_secs(1);
/// ...or when they have kept coming for this long.
const SETTLE_AT_MOST: Duration = Duration::from_secs(10);
/// How often a look lists every directory, unchanged ones included (it also finds files
/// rewritten in place in folders no watch covers); the others list only what changed.
const FULL_LOOK_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Starts the sweeping thread, unless `sweepInterval` is 0 and watching is off; the first look,
/// and every later one that adds or changes files, wakes `prebuilder` (woken at once when there
/// are no sweeps).
pub fn start(config: &Config, prebuilder: Prebuilder) -> Result<(), String> {
    let watcher = match config.watch_folders {
        false => None,
        true => Watcher::new().map_err(|e| log::warn!("cannot watch the folders ({e}): sweeps only")).ok(),
    };
    if config.sweep_interval == 0 && watcher.is_none() {
        log::info!("sweeps and watching are off: the library changes only with `isync scan`");
        prebuilder.wake();
        return Ok(());
    }
    let interval = match config.sweep_interval {
        0 => None,
        seconds => Some(Duration::from_secs(seconds.unsigned_abs())),
    };
    let config = config.clone();
    std::thread::Builder::new()
        .name("sweeper".into())
        .stack_size(256 * 1024)
        .spawn(move || run(&config, interval, watcher, &prebuilder))
        .map(|_| ())
        .map_err(|e| format!("cannot start the sweeper: {e}"))
}

/// Looks, then waits, for ever. Without `interval`, looks follow only events (and pending ones).
fn run(config: &Config, interval: Option<Duration>, mut watcher: Option<Watcher>, prebuilder: &Prebuilder) {
    let mut warned_about_limit = false;
    let (mut first, mut changed, mut last_full) = (true, Changed::default(), None::<Instant>);
    loop {
        // The first look, a daily one, and one after lost events list everything.
        let full = changed.overflowed || last_full.is_none_or(|at| at.elapsed() >= FULL_LOOK_EVERY);
        if full {
            last_full = Some(Instant::now());
        }
        let dirs = std::mem::take(&mut changed.dirs);
        changed.overflowed = false;
        let changed_dirs = (!full).then_some(&dirs);
        let wait = match look(config, watcher.as_mut(), &mut warned_about_limit, prebuilder, changed_dirs) {
            Some(Pending::Settling) => SETTLE,
            Some(Pending::Missing) => REMOVAL_DELAY + Duration::from_secs(1),
            None => interval.unwrap_or(Duration::MAX),
        };
        if std::mem::take(&mut first) {
            prebuilder.wake();
        }
        match &watcher {
            Some(watcher) => {
                if watcher.wait(wait, &mut changed) {
                    let started = Instant::now();
                    while watcher.wait(QUIET, &mut changed) && started.elapsed() < SETTLE_AT_MOST {}
                }
            }
            None => std::thread::sleep(wait),
        }
    }
}

/// What a look left for the next one.
enum Pending {
    /// Files still being written.
    Settling,
    /// Files or folders missed, to remove if they stay gone, or a root whose look failed (tried
    /// again at that slower pace, so that a failure that repeats does not keep the board busy).
    Missing,
}

/// One look at every root, then watches for every folder of the catalog. Opens a connection of
/// its own and closes it, so that an idle server holds no sweeper cache between looks.
fn look(
    config: &Config,
    watcher: Option<&mut Watcher>,
    warned_about_limit: &mut bool,
    prebuilder: &Prebuilder,
    changed_dirs: Option<&HashSet<i64>>,
) -> Option<Pending> {
    let mut conn = match db::open(&config.database) {
        Ok(conn) => conn,
        Err(e) => {
            log::error!("sweep: cannot open the database: {e}");
            return None;
        }
    };
    let pending = match super::sweep(&mut conn, config, SETTLE, REMOVAL_DELAY, changed_dirs) {
        Ok(look) => {
            let kind = if changed_dirs.is_some() { "sweep" } else { "full sweep" };
            log::info!("{kind}: {}", look.line());
            if look.files > 0 || look.changed > 0 {
                prebuilder.wake();
            }
            if look.unsettled > 0 {
                Some(Pending::Settling)
            } else if look.missing > 0 || look.failed > 0 {
                Some(Pending::Missing)
            } else {
                None
            }
        }
        Err(e) => {
            log::error!("sweep failed: {e}");
            None
        }
    };
    if let Some(watcher) = watcher {
        match db::catalogs::all_paths(&conn) {
            Ok(paths) => {
                let watching = watcher.watch(paths.iter().map(|(id, path)| (*id, path.as_str())));
                if watching.over_limit > 0 && !*warned_about_limit {
                    *warned_about_limit = true;
                    log::warn!(
                        "watching {} folders; {} more are past the kernel's limit (fs.inotify.max_user_watches) \
                         and change only at the sweeps",
                        watcher.watched(),
                        watching.over_limit
                    );
                }
            }
            Err(e) => log::error!("sweep: cannot list the folders to watch: {e}"),
        }
    }
    pending
}
