//! Thumbnails ready before anyone asks: a thread that builds the missing small (level 0)
//! thumbnails of photos and videos, newest first, after the first look of the server and after
//! every later one that added or changed files, so a family opening a new folder sees it at once.
//!
//! It gives way in every sense: it runs at the lowest priority (SCHED_IDLE and nice 19, which the
//! ffmpeg it starts for a video inherits), builds one thumbnail at a time through the same gate
//! as thumbnail.icc (so within the build memory budget, and a request for the thumbnail being
//! built shares its build), and before each build waits until no request has been answered for
//! IDLE. It remembers nothing between passes: each asks the database for the files whose level 0
//! the server builds and skips those whose cache file exists or that are served as they are.
//! Sources are opened as downloads open them: inside their root, without following links.

use crate::clock;
use crate::config::Config;
use crate::db::{self, files::FileRow};
use crate::fs::open::{self, Inside, Mode};
use crate::fs::own_files::OwnFiles;
use crate::fs::paths;
use crate::http::busy;
use crate::model::{file_type, status};
use crate::thumb_cache::levels::{thumb_file, Level};
use crate::thumb_cache::{BuildFailure, Source, Thumbnails};
use rusqlite::Connection;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long no request must have been answered before a build starts.
const IDLE: Duration = Duration::from_secs(1);
/// Rows read from the database at a time.
const PAGE: i64 = 64;

/// Wakes the builder for another pass.
#[derive(Clone)]
pub struct Prebuilder {
    wake: Arc<(Mutex<bool>, Condvar)>,
}

impl Prebuilder {
    /// Asks for a pass (after the current one, if one is running).
    pub fn wake(&self) {
        let (pending, woken) = &*self.wake;
        *pending.lock().unwrap_or_else(|e| e.into_inner()) = true;
        woken.notify_one();
    }

    fn wait(&self) {
        let (pending, woken) = &*self.wake;
        let mut pending = pending.lock().unwrap_or_else(|e| e.into_inner());
        while !*pending {
            pending = woken.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
        *pending = false;
    }
}

/// Starts the builder thread; it makes its first pass when first woken (by the sweeper after its
/// first look, so that the two do not hold the database and the disk at once).
pub fn start(config: &Config, thumbnails: Arc<Thumbnails>) -> Result<Prebuilder, String> {
    let prebuilder = Prebuilder { wake: Arc::new((Mutex::new(false), Condvar::new())) };
    let (config, handle) = (config.clone(), prebuilder.clone());
    std::thread::Builder::new()
        .name("prebuild".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            lowest_priority();
            let own = OwnFiles::of(&config);
            loop {
                handle.wait();
                pass(&config, &own, &thumbnails);
            }
        })
        .map(|_| prebuilder)
        .map_err(|e| format!("cannot start the thumbnail builder: {e}"))
}

/// SCHED_IDLE and nice 19 for the calling thread (Linux sets both per thread). Through the raw
/// system calls: musl's `sched_setscheduler` refuses on purpose, as POSIX means the process.
fn lowest_priority() {
    // SAFETY: sched_param is plain integers (and, in musl, timespecs), for which all zeros is a
    // valid value: priority 0, the one SCHED_IDLE takes.
    let param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: system calls on the calling thread with a valid sched_param; failure only leaves
    // the priority as it was.
    let (scheduled, niced) = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let scheduled = libc::syscall(libc::SYS_sched_setscheduler, tid, libc::SCHED_IDLE, &param);
        (scheduled, libc::setpriority(libc::PRIO_PROCESS, tid, 19))
    };
    if scheduled != 0 || niced != 0 {
        log::warn!("the thumbnail builder could not lower its priority: {}", std::io::Error::last_os_error());
    }
}

/// Builds every small thumbnail that is missing, newest file first.
fn pass(config: &Config, own: &OwnFiles, thumbnails: &Thumbnails) {
    let conn = match db::open(&config.database) {
        Ok(conn) => conn,
        Err(e) => return log::error!("thumbnail builder: cannot open the database: {e}"),
    };
    let (mut below, mut built, mut failed) = (i64::MAX, 0, 0);
    loop {
        let rows = match db::files::wanting_small_thumbnails(&conn, below, PAGE) {
            Ok(rows) => rows,
            Err(e) => return log::error!("thumbnail builder: {e}"),
        };
        let Some(last) = rows.last() else { break };
        below = last.id;
        for row in rows {
            match build(&conn, config, own, thumbnails, &row) {
                Some(Ok(())) => built += 1,
                Some(Err(_)) => failed += 1,
                None => {}
            }
        }
    }
    if built + failed > 0 {
        log::info!("thumbnail builder: {built} small thumbnails built ahead of time, {failed} failed");
    }
}

/// Builds the small thumbnail of `row` unless it exists, the photo is served as it is, or the
/// file cannot be opened; `None` when nothing was built.
fn build(
    conn: &Connection,
    config: &Config,
    own: &OwnFiles,
    thumbnails: &Thumbnails,
    row: &FileRow,
) -> Option<Result<(), BuildFailure>> {
    let cache = thumb_file(&config.thumb_path, row.real_catalog_id, row.id, Level::Small);
    let max_box = i64::from(Level::Small.max_box());
    let small = matches!((row.width, row.height), (Some(w), Some(h)) if w <= max_box && h <= max_box);
    if cache.is_file() || (row.file_type == file_type::IMAGE && small) {
        return None;
    }
    let catalog = db::catalogs::by_id(conn, row.real_catalog_id).ok()??;
    let path = paths::physical_file(&catalog.path, &row.file_name);
    if own.file_at(&path).is_some() {
        return None;
    }
    let place = Inside { root: paths::root_of(conn, &catalog).ok()?.into(), path };
    let file = open::open(&place, Mode::Read).ok()?;
    give_way();
    let source = Source {
        file: &file,
        path: &place.path,
        is_video: row.file_type == file_type::VIDEO,
        orientation: row.orientation,
        max_box: Level::Small.max_box(),
    };
    let outcome = thumbnails.ensure(&cache, &source);
    if outcome == Err(BuildFailure::Permanent) {
        if let Err(e) = db::files::set_thumb_status(conn, row.id, false, status::BUILD_ERROR, clock::now()) {
            log::error!("thumbnail builder: {e}");
        }
    }
    Some(outcome)
}

/// Returns once no request has been answered for IDLE.
fn give_way() {
    loop {
        match busy::idle_for() {
            Some(idle) if idle >= IDLE => return,
            Some(idle) => std::thread::sleep(IDLE - idle),
            None => std::thread::sleep(IDLE),
        }
    }
}
