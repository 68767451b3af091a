//! Walking one root path breadth-first into the database (protocol §7.3 steps 2–3, §7.4), and
//! keeping it in step with the disk on every later walk (a *look*), for `isync scan` and the
//! server's own sweeps alike:
//! - a new file is probed: its `createTime` is its capture time (from its content, else its
//!   name, else its earliest file time) and its place fills `latitude`/`longitude`;
//! - a known file whose size or modification time changed is probed again and its cached
//!   thumbnails dropped; one never probed by a look (a database from before) is probed once,
//!   which backfills its capture time and place;
//! - a folder moved or renamed on the disk (the same device and inode at a new path in the same
//!   root) keeps its catalog and its files' rows, so their ids, share links and help info stay;
//! - a known file or folder that a look does not find is counted, and removed (with its
//!   thumbnails) only at the second look in a row that misses it; a directory that cannot be read
//!   counts nothing as missing;
//! - a root that is missing, empty where it held files, or on another device than before (a USB
//!   disk not mounted) is *offline*: nothing under it is changed, and it is said so;
//! - uploads in progress (any status 2) are never touched, and a file still being written
//!   (modified within the look's settle time, or named like a partial download) waits for a
//!   later look.
//!
//! Dot-entries are skipped, directory symlinks are never followed, file symlinks are taken only
//! when they resolve inside the same root. The server's own files (`fs::own_files`: the app
//! dir, the thumbnail cache, the log) are never indexed: a root that is one of them is refused,
//! and one met inside a root is skipped with its subtree. Rows are committed in batches so the
//! server's writers are never blocked for long. Prints progress on stderr.

use crate::clock;
use crate::db::disk::{self, Kept, KnownCatalog, KnownFile, Reprobed};
use crate::db::{self, catalogs::Catalog, catalogs::NewCatalog, files::ScannedFile};
use crate::fs::own_files::{self, OwnFiles};
use crate::fs::paths::earliest_time;
use crate::logging::shown_path;
use crate::media::name_date::taken_from_name;
use crate::media::probe;
use crate::model::file_type;
use crate::thumb_cache::levels::{self, Level};
use rusqlite::{Connection, Transaction};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::DirEntry;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Rows written per transaction.
const BATCH: usize = 500;
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Looks in a row that must miss a file or folder before it is removed.
const MISSED_LOOKS: i64 = 2;
/// Names of files that are still being written by a download, a copy or a sync tool.
const PARTIAL_SUFFIXES: [&str; 6] = [".part", ".tmp", ".crdownload", ".download", ".partial", ".!sync"];

/// How a look treats what it meets.
pub struct Look<'a> {
    pub own: &'a OwnFiles,
    /// The thumbnail cache, whose files follow the rows they belong to.
    pub thumbs: &'a Path,
    /// An explicit `isync scan` accepts a root found on another device than before (the
    /// operator moved the library); the server's sweeps take it for a disk that is not mounted.
    pub accept_new_device: bool,
    /// A file modified less than this long ago is still being written: a later look takes it.
    pub settle: Duration,
}

/// Counters of a scan, reported on stderr while it runs and at the end.
pub struct Progress {
    pub directories: u64,
    pub files: u64,
    pub skipped: u64,
    pub changed: u64,
    pub removed: u64,
    /// Files and folders missed by this look, kept until a second look misses them too.
    pub missing: u64,
    /// Files still being written, left for a later look.
    pub unsettled: u64,
    /// Roots that were offline.
    pub offline: u64,
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
            files: 0,
            skipped: 0,
            changed: 0,
            removed: 0,
            missing: 0,
            unsettled: 0,
            offline: 0,
            verbose: true,
            started: now,
            last_report: now,
        }
    }

    fn tick(&mut self) {
        if self.verbose && self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            eprintln!("scan: {}", self.line());
        }
    }

    pub fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{} directories, {} new files, {} changed, {} removed, {} known files skipped, \
             {} missing once, {} still being written, {} roots offline ({:.0} files/s)",
            self.directories,
            self.files,
            self.changed,
            self.removed,
            self.skipped,
            self.missing,
            self.unsettled,
            self.offline,
            (self.files + self.skipped + self.changed) as f64 / seconds
        )
    }

    /// True when a later look has something to settle: files missed once or still being written.
    pub fn pending(&self) -> bool {
        self.missing > 0 || self.unsettled > 0
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

/// Tells the operator, through the log (which `isync scan` writes to stderr).
fn say(message: &str) {
    log::info!("scan: {message}");
}

/// Registers `path` (step 2) and walks it (step 3). Returns the catalog id when the path is an
/// *entry root* (a root catalog), None when it is a sub-catalog of a scanned tree.
pub fn scan_root_path(
    conn: &mut Connection,
    path: &Path,
    look: &Look,
    progress: &mut Progress,
) -> rusqlite::Result<Option<i64>> {
    let Some(text) = path.to_str() else {
        eprintln!("scan: {} is not UTF-8; skipped", shown_path(path));
        return Ok(None);
    };
    let real = own_files::canonical(path);
    if let Some(kind) = look.own.dir(&real) {
        eprintln!(
            "scan: {} is {} (or inside it); refused: the server's own files are never served",
            shown_path(path),
            kind.describe()
        );
        return Ok(None);
    }
    let catalog = db::in_transaction(conn, |tx| register(tx, text))?;
    let entry_root = catalog.is_root().then_some(catalog.id);
    match db::in_transaction(conn, |tx| offline(tx, &catalog, look))? {
        Some(why) => {
            progress.offline += 1;
            say(&format!("{} is offline ({why}): nothing under it is changed", shown_path(path)));
        }
        None => walk(conn, catalog, real, look, progress)?,
    }
    Ok(entry_root)
}

/// Why the tree at `top` cannot be looked at now, if it cannot: its directory is missing, is
/// empty where it held files, or is on another device than at the last look (the device is
/// recorded once the tree is seen online).
fn offline(tx: &Transaction, top: &Catalog, look: &Look) -> rusqlite::Result<Option<String>> {
    let metadata = match std::fs::metadata(&top.path) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => return Ok(Some("not a directory".into())),
        Err(e) => return Ok(Some(format!("cannot be read: {e}"))),
    };
    let empty = std::fs::read_dir(&top.path)
        .map_or(true, |mut entries| entries.all(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with('.'))));
    if empty {
        let held = disk::files_under(tx, &top.path)?;
        if held > 0 {
            return Ok(Some(format!("empty, where {held} files were")));
        }
    }
    let device = metadata.dev() as i64; // dev_t: an opaque number, stored as SQLite's integer
    match disk::device_of(tx, top.id)? {
        Some(recorded) if recorded != device && !look.accept_new_device => {
            return Ok(Some(
                "on another device than before: a disk that is not mounted? `isync scan` accepts the new one".into(),
            ));
        }
        Some(recorded) if recorded == device => {}
        _ => disk::set_device(tx, top.id, device)?,
    }
    Ok(None)
}

fn register(tx: &Transaction, path: &str) -> rusqlite::Result<Catalog> {
    if let Some(existing) = db::catalogs::by_path(tx, path)? {
        return Ok(existing);
    }
    let parent_dir = Path::new(path).parent().and_then(Path::to_str);
    let parent = match parent_dir {
        Some(dir) => db::catalogs::by_path(tx, dir)?,
        None => None,
    };
    let new = NewCatalog {
        path,
        parent: parent.map(|p| (p.id, p.root_id)),
        name: None,
        create_time: earliest_time(Path::new(path)),
        last_modify_time: clock::now(),
    };
    db::catalogs::insert(tx, &new)
}

/// One directory of the walk: its catalog and its canonical path (the root's canonical path
/// with the names walked, since directory links are never followed).
struct Dir {
    catalog: Catalog,
    real: PathBuf,
}

/// The sub-directories of one directory the walk found (their paths).
#[derive(Default)]
struct Found {
    dirs: HashSet<String>,
}

/// Breadth-first walk from `top` (whose canonical path is `root_dir`), committing every BATCH rows.
fn walk(
    conn: &mut Connection,
    top: Catalog,
    root_dir: PathBuf,
    look: &Look,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    let mut queue = VecDeque::from([Dir { catalog: top, real: root_dir.clone() }]);
    let mut tx = conn.transaction()?;
    let mut pending = 0;
    while let Some(dir) = queue.pop_front() {
        progress.directories += 1;
        let entries = match std::fs::read_dir(&dir.catalog.path) {
            Ok(entries) => entries,
            Err(e) => {
                // Unreadable for now: nothing in it counts as missing.
                eprintln!("scan: cannot read {}: {e}", shown_path(Path::new(&dir.catalog.path)));
                continue;
            }
        };
        let mut known: HashMap<String, KnownFile> =
            disk::files_in(&tx, dir.catalog.id)?.into_iter().map(|f| (f.file_name.clone(), f)).collect();
        let (mut found, mut complete) = (Found::default(), true);
        for entry in entries {
            let Ok(entry) = entry else {
                eprintln!("scan: cannot read all of {}", shown_path(Path::new(&dir.catalog.path)));
                complete = false; // a partial listing must not make anything missing
                break;
            };
            let walked = Walked { root_dir: &root_dir, look };
            pending += visit(&tx, &dir, &entry, &walked, &mut known, &mut found, &mut queue, progress)?;
            if pending >= BATCH {
                tx.commit()?;
                tx = conn.transaction()?;
                pending = 0;
            }
            progress.tick();
        }
        if complete {
            pending += missed(&tx, &dir.catalog, known.into_values(), &found, look, progress)?;
        }
    }
    tx.commit()
}

/// What every entry of one walk is checked against.
struct Walked<'a> {
    root_dir: &'a Path,
    look: &'a Look<'a>,
}

/// Handles one directory entry; returns the number of rows written. A known file met here is
/// taken out of `known`, so that what is left there at the end of the directory was not found.
#[allow(clippy::too_many_arguments)]
fn visit(
    tx: &Transaction,
    dir: &Dir,
    entry: &DirEntry,
    walked: &Walked,
    known: &mut HashMap<String, KnownFile>,
    found: &mut Found,
    queue: &mut VecDeque<Dir>,
    progress: &mut Progress,
) -> rusqlite::Result<usize> {
    let (real_dir, dir) = (&dir.real, &dir.catalog);
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        eprintln!("scan: skipped a name that is not UTF-8 in {}", shown_path(Path::new(&dir.path)));
        return Ok(0);
    };
    if name.starts_with('.') {
        return Ok(0);
    }
    let Ok(kind) = entry.file_type() else { return Ok(0) };
    let path = format!("{}/{name}", dir.path.trim_end_matches('/'));
    let real = real_dir.join(name);
    if kind.is_dir() {
        if let Some(own) = walked.look.own.dir(&real) {
            eprintln!("scan: {} is {}; not indexed", shown_path(Path::new(&path)), own.describe());
            return Ok(0);
        }
        let identity = std::fs::symlink_metadata(&path).ok().map(|m| (m.dev() as i64, m.ino() as i64));
        let (catalog, written) = match db::catalogs::by_path(tx, &path)? {
            Some(existing) => {
                disk::found(tx, Kept::Catalog, existing.id)?;
                (existing, 0)
            }
            None => match moved_here(tx, &path, dir, identity)? {
                Some(moved) => (moved, 1),
                None => (db::catalogs::insert(tx, &child_catalog(&path, dir))?, 1),
            },
        };
        if let Some((device, inode)) = identity {
            disk::set_identity(tx, catalog.id, device, inode)?;
        }
        found.dirs.insert(path);
        queue.push_back(Dir { catalog, real });
        return Ok(written);
    }
    let is_file = if kind.is_symlink() {
        symlink_to_file_inside(Path::new(&path), walked)
    } else {
        kind.is_file() && walked.look.own.file(&real).is_none()
    };
    if !is_file || is_partial(name) {
        return Ok(0);
    }
    let Ok(metadata) = std::fs::metadata(&path) else { return Ok(0) };
    let (size, mtime) = (metadata.len() as i64, metadata.mtime());
    let file = known.remove(name);
    if let Some(file) = file.as_ref().filter(|file| file.probed == Some((size, mtime))) {
        if file.missing > 0 {
            disk::found(tx, Kept::File, file.id)?;
        }
        progress.skipped += 1;
        return Ok(0);
    }
    // New, or changed since its last probe: only once it has stopped changing.
    if is_unsettled(mtime, walked.look.settle) {
        progress.unsettled += 1;
        return Ok(0);
    }
    match file {
        Some(file) => {
            let changed = file.probed.is_some() || file.size != size;
            reprobe(tx, dir, &file, Path::new(&path), (size, mtime), changed, walked.look)?;
            if changed {
                progress.changed += 1;
            } else {
                progress.skipped += 1;
            }
            Ok(1)
        }
        None if db::files::exists_in(tx, dir.id, name)? => {
            progress.skipped += 1; // an upload in progress
            Ok(0)
        }
        None => {
            insert_file(tx, dir, name, Path::new(&path), (size, mtime))?;
            progress.files += 1;
            Ok(1)
        }
    }
}

/// The catalog of a folder moved (or renamed) to `path` inside `parent` on the disk: one whose
/// directory had this device and inode at its last look and is no longer where it was. It gets
/// the new path (with everything below it) and the new parent, so its files keep their ids,
/// share links and help info. Moves across roots are not followed (they are a removal and a
/// new folder), nor are roots.
fn moved_here(
    tx: &Transaction,
    path: &str,
    parent: &Catalog,
    identity: Option<(i64, i64)>,
) -> rusqlite::Result<Option<Catalog>> {
    let Some((device, inode)) = identity else { return Ok(None) };
    let Some((id, old_path)) = disk::catalog_with_identity(tx, device, inode)? else { return Ok(None) };
    let still_there =
        std::fs::symlink_metadata(&old_path).is_ok_and(|m| (m.dev() as i64, m.ino() as i64) == (device, inode));
    let Some(old) = db::catalogs::by_id(tx, id)? else { return Ok(None) };
    if old_path == path || still_there || old.is_root() || old.root_id != parent.root_id {
        return Ok(None);
    }
    disk::move_tree(tx, &old_path, path, parent.id)?;
    say(&format!(
        "{} was moved to {}: its files keep their ids",
        shown_path(Path::new(&old_path)),
        shown_path(Path::new(path))
    ));
    db::catalogs::by_path(tx, path)
}

/// A name that download managers, copy and sync tools give a file they are still writing.
fn is_partial(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with("~$") || PARTIAL_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix))
}

/// True when a file modified at `mtime` (Unix seconds) may still be being written.
fn is_unsettled(mtime: i64, settle: Duration) -> bool {
    !settle.is_zero() && clock::now() - mtime < settle.as_secs().max(1) as i64
}

/// After a directory was read: counts the known files and sub-directories it did not hold as
/// missed once more, and removes those missed by MISSED_LOOKS looks in a row (with their
/// thumbnails). Root catalogs are never removed here (a missing root is offline). Returns the
/// number of rows written.
fn missed(
    tx: &Transaction,
    dir: &Catalog,
    unseen: impl Iterator<Item = KnownFile>,
    found: &Found,
    look: &Look,
    progress: &mut Progress,
) -> rusqlite::Result<usize> {
    let mut written = 0;
    for file in unseen {
        written += 1;
        if disk::missed(tx, Kept::File, file.id)? < MISSED_LOOKS {
            progress.missing += 1;
            continue;
        }
        db::edits::delete_file(tx, file.id)?;
        remove_thumbnails(look.thumbs, dir.id, file.id);
        progress.removed += 1;
        say(&format!("{} is gone from the disk: removed", shown_path(&Path::new(&dir.path).join(&file.file_name))));
    }
    let vanished: Vec<KnownCatalog> = disk::sub_catalogs(tx, &dir.path)?
        .into_iter()
        .filter(|c| !c.is_root() && !found.dirs.contains(&c.path))
        .collect();
    for catalog in vanished {
        written += 1;
        if disk::missed(tx, Kept::Catalog, catalog.id)? < MISSED_LOOKS {
            progress.missing += 1;
            continue;
        }
        let removed = disk::remove_tree(tx, &catalog.path)?;
        for &(file, real_catalog) in &removed.files {
            remove_thumbnails(look.thumbs, real_catalog, file);
        }
        for &id in &removed.catalogs {
            let _ = std::fs::remove_dir_all(levels::thumb_dir(look.thumbs, id));
        }
        progress.removed += removed.files.len() as u64;
        say(&format!(
            "{} is gone from the disk: removed with its {} files",
            shown_path(Path::new(&catalog.path)),
            removed.files.len()
        ));
    }
    Ok(written)
}

/// Removes both cached thumbnails of a file (missing ones are fine).
fn remove_thumbnails(thumbs: &Path, real_catalog_id: i64, file_id: i64) {
    for level in [Level::Small, Level::Screen] {
        let _ = std::fs::remove_file(levels::thumb_file(thumbs, real_catalog_id, file_id, level));
    }
}

fn child_catalog<'a>(path: &'a str, parent: &Catalog) -> NewCatalog<'a> {
    NewCatalog {
        path,
        parent: Some((parent.id, parent.root_id)),
        name: None,
        create_time: earliest_time(Path::new(path)),
        last_modify_time: clock::now(),
    }
}

/// A symbolic link counts as a file only when it resolves to a regular file inside the root
/// that is not one of the server's own.
fn symlink_to_file_inside(link: &Path, walked: &Walked) -> bool {
    std::fs::canonicalize(link).is_ok_and(|target| {
        target.starts_with(walked.root_dir) && target.is_file() && walked.look.own.file(&target).is_none()
    })
}

/// What `probe` says of the file at `path`; a file it cannot read counts as "other". A probe
/// that panics (a bug in a parser, met by one odd file) costs only that file: it is skipped and
/// logged, and the scan goes on.
fn probe_guarded(
    path: &Path,
    probe: impl FnOnce(&Path) -> std::io::Result<probe::MediaInfo>,
) -> Option<probe::MediaInfo> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe(path))) {
        Ok(Ok(info)) => Some(info),
        Ok(Err(e)) => {
            eprintln!("scan: cannot read {}: {e}", shown_path(path));
            Some(probe::MediaInfo::new(file_type::OTHER))
        }
        Err(_) => {
            eprintln!("scan: reading {} failed inside the server; the file is skipped", shown_path(path));
            log::error!("scan: the probe of {} panicked; the file is skipped", shown_path(path));
            None
        }
    }
}

fn insert_file(
    tx: &Transaction,
    dir: &Catalog,
    name: &str,
    path: &Path,
    (size, mtime): (i64, i64),
) -> rusqlite::Result<()> {
    let Some(info) = probe_guarded(path, probe::probe) else { return Ok(()) };
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    let create_time = taken(&info, name).unwrap_or_else(|| earliest_time(path));
    let file = ScannedFile {
        root_id: dir.root_id,
        catalog_id: dir.id,
        file_name: name,
        ext,
        size,
        create_time,
        now: clock::now(),
        file_type: info.file_type,
        duration: info.duration,
        width: info.width,
        height: info.height,
        orientation: info.orientation,
        latitude: info.place.map(|(latitude, _)| latitude),
        longitude: info.place.map(|(_, longitude)| longitude),
    };
    let id = db::files::insert_scanned(tx, &file)?;
    disk::record_probed(tx, id, size, mtime)
}

/// When it was taken: as the file says, else as its name says.
fn taken(info: &probe::MediaInfo, name: &str) -> Option<i64> {
    info.taken.or_else(|| taken_from_name(name))
}

/// Probes a known file again: `changed` (its content differs from the last probe) also drops
/// its cached thumbnails; otherwise this is the first look at a row from before, which backfills
/// its capture time and place.
fn reprobe(
    tx: &Transaction,
    dir: &Catalog,
    file: &KnownFile,
    path: &Path,
    (size, mtime): (i64, i64),
    changed: bool,
    look: &Look,
) -> rusqlite::Result<()> {
    let Some(info) = probe_guarded(path, probe::probe) else { return Ok(()) };
    let update = Reprobed {
        size,
        file_type: info.file_type,
        width: info.width,
        height: info.height,
        orientation: info.orientation,
        duration: info.duration,
        taken: taken(&info, &file.file_name),
        place: info.place,
        changed,
    };
    disk::update_probed(tx, file.id, &update, clock::now())?;
    if changed {
        remove_thumbnails(look.thumbs, dir.id, file.id);
    }
    disk::record_probed(tx, file.id, size, mtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_that_panics_skips_only_that_file() {
        let path = Path::new("/media/odd.jpg");
        assert!(probe_guarded(path, |_| panic!("a parser bug")).is_none(), "skipped");
        let other = probe_guarded(path, |_| Err(std::io::ErrorKind::NotFound.into())).expect("kept");
        assert_eq!(other.file_type, file_type::OTHER, "an unreadable file counts as other");
        let fine = probe::MediaInfo { width: Some(2), height: Some(3), ..probe::MediaInfo::new(1) };
        assert_eq!(probe_guarded(path, |_| Ok(fine.clone())).map(|i| i.width), Some(Some(2)));
    }
}
