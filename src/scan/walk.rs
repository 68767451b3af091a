//! Walking one root path breadth-first into the database (protocol §7.3 steps 2–3, §7.4):
//! a new file's `createTime` is its capture time (from its content, else its name, else its
//! earliest file time) and its place fills `latitude`/`longitude`; dot-entries are skipped, directory symlinks are never followed, file symlinks are taken only
//! when they resolve inside the same root, and known files are skipped. The server's own files
//! (`fs::own_files`: the app dir, the thumbnail cache, the log) are never indexed: a root that
//! is one of them is refused, and one met inside a root is skipped with its subtree. Rows are
//! committed in batches so the server's writers are never blocked for long. Prints progress on
//! stderr.

use crate::clock;
use crate::db::{self, catalogs::Catalog, catalogs::NewCatalog, files::ScannedFile};
use crate::fs::own_files::{self, OwnFiles};
use crate::fs::paths::earliest_time;
use crate::logging::shown_path;
use crate::media::name_date::taken_from_name;
use crate::media::probe;
use crate::model::file_type;
use rusqlite::{Connection, Transaction};
use std::collections::VecDeque;
use std::fs::DirEntry;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Rows written per transaction.
const BATCH: usize = 500;
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Counters of a scan, reported on stderr while it runs and at the end.
pub struct Progress {
    pub directories: u64,
    pub files: u64,
    pub skipped: u64,
    started: Instant,
    last_report: Instant,
}

impl Progress {
    pub fn new() -> Self {
        let now = Instant::now();
        Progress { directories: 0, files: 0, skipped: 0, started: now, last_report: now }
    }

    fn tick(&mut self) {
        if self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            eprintln!("scan: {}", self.line());
        }
    }

    fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{} directories, {} new files, {} known files skipped ({:.0} files/s)",
            self.directories,
            self.files,
            self.skipped,
            (self.files + self.skipped) as f64 / seconds
        )
    }

    pub fn finish(&self) {
        eprintln!("scan: done: {} in {:.1}s", self.line(), self.started.elapsed().as_secs_f64());
    }
}

/// Registers `path` (step 2) and walks it (step 3). Returns the catalog id when the path is an
/// *entry root* (a root catalog), None when it is a sub-catalog of a scanned tree.
pub fn scan_root_path(
    conn: &mut Connection,
    path: &Path,
    own: &OwnFiles,
    progress: &mut Progress,
) -> rusqlite::Result<Option<i64>> {
    let Some(text) = path.to_str() else {
        eprintln!("scan: {} is not UTF-8; skipped", shown_path(path));
        return Ok(None);
    };
    let real = own_files::canonical(path);
    if let Some(kind) = own.dir(&real) {
        eprintln!(
            "scan: {} is {} (or inside it); refused: the server's own files are never served",
            shown_path(path),
            kind.describe()
        );
        return Ok(None);
    }
    let catalog = db::in_transaction(conn, |tx| register(tx, text))?;
    let entry_root = catalog.is_root().then_some(catalog.id);
    walk(conn, catalog, real, own, progress)?;
    Ok(entry_root)
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

/// Breadth-first walk from `top` (whose canonical path is `root_dir`), committing every BATCH rows.
fn walk(
    conn: &mut Connection,
    top: Catalog,
    root_dir: PathBuf,
    own: &OwnFiles,
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
                eprintln!("scan: cannot read {}: {e}", shown_path(Path::new(&dir.catalog.path)));
                continue;
            }
        };
        for entry in entries.flatten() {
            let walked = Walked { root_dir: &root_dir, own };
            pending += visit(&tx, &dir, &entry, &walked, &mut queue, progress)?;
            if pending >= BATCH {
                tx.commit()?;
                tx = conn.transaction()?;
                pending = 0;
            }
            progress.tick();
        }
    }
    tx.commit()
}

/// What every entry of one walk is checked against.
struct Walked<'a> {
    root_dir: &'a Path,
    own: &'a OwnFiles,
}

/// Handles one directory entry; returns the number of rows written.
fn visit(
    tx: &Transaction,
    dir: &Dir,
    entry: &DirEntry,
    walked: &Walked,
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
        if let Some(own) = walked.own.dir(&real) {
            eprintln!("scan: {} is {}; not indexed", shown_path(Path::new(&path)), own.describe());
            return Ok(0);
        }
        let (catalog, written) = match db::catalogs::by_path(tx, &path)? {
            Some(existing) => (existing, 0),
            None => (db::catalogs::insert(tx, &child_catalog(&path, dir))?, 1),
        };
        queue.push_back(Dir { catalog, real });
        return Ok(written);
    }
    let is_file = if kind.is_symlink() {
        symlink_to_file_inside(Path::new(&path), walked)
    } else {
        kind.is_file() && walked.own.file(&real).is_none()
    };
    if !is_file {
        return Ok(0);
    }
    if db::files::exists_in(tx, dir.id, name)? {
        progress.skipped += 1;
        return Ok(0);
    }
    insert_file(tx, dir, name, Path::new(&path))?;
    progress.files += 1;
    Ok(1)
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
        target.starts_with(walked.root_dir) && target.is_file() && walked.own.file(&target).is_none()
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

fn insert_file(tx: &Transaction, dir: &Catalog, name: &str, path: &Path) -> rusqlite::Result<()> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len()) as i64;
    let Some(info) = probe_guarded(path, probe::probe) else { return Ok(()) };
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    // When it was taken: as the file says, else as its name says, else its earliest file time.
    let create_time = info.taken.or_else(|| taken_from_name(name)).unwrap_or_else(|| earliest_time(path));
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
    db::files::insert_scanned(tx, &file)?;
    Ok(())
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
