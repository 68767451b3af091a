//! Walking one root path breadth-first into the database (protocol §7.3 steps 2–3, §7.4):
//! dot-entries are skipped, directory symlinks are never followed, file symlinks are taken only
//! when they resolve inside the same root, and known files are skipped. Rows are committed in
//! batches so the server's writers are never blocked for long. Prints progress on stderr.

use crate::clock;
use crate::db::{self, catalogs::Catalog, catalogs::NewCatalog, files::ScannedFile};
use crate::fs::paths::earliest_time;
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
pub fn scan_root_path(conn: &mut Connection, path: &Path, progress: &mut Progress) -> rusqlite::Result<Option<i64>> {
    let Some(text) = path.to_str() else {
        eprintln!("scan: {} is not UTF-8; skipped", path.display());
        return Ok(None);
    };
    let catalog = db::in_transaction(conn, |tx| register(tx, text))?;
    let entry_root = catalog.is_root().then_some(catalog.id);
    walk(conn, catalog, progress)?;
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

/// Breadth-first walk from `top`, committing every BATCH rows.
fn walk(conn: &mut Connection, top: Catalog, progress: &mut Progress) -> rusqlite::Result<()> {
    let root_dir = std::fs::canonicalize(&top.path).unwrap_or_else(|_| PathBuf::from(&top.path));
    let mut queue = VecDeque::from([top]);
    let mut tx = conn.transaction()?;
    let mut pending = 0;
    while let Some(dir) = queue.pop_front() {
        progress.directories += 1;
        let entries = match std::fs::read_dir(&dir.path) {
            Ok(entries) => entries,
            Err(e) => {
                eprintln!("scan: cannot read {}: {e}", dir.path);
                continue;
            }
        };
        for entry in entries.flatten() {
            pending += visit(&tx, &dir, &entry, &root_dir, &mut queue, progress)?;
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

/// Handles one directory entry; returns the number of rows written.
fn visit(
    tx: &Transaction,
    dir: &Catalog,
    entry: &DirEntry,
    root_dir: &Path,
    queue: &mut VecDeque<Catalog>,
    progress: &mut Progress,
) -> rusqlite::Result<usize> {
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        eprintln!("scan: skipped a name that is not UTF-8 in {}", dir.path);
        return Ok(0);
    };
    if name.starts_with('.') {
        return Ok(0);
    }
    let Ok(kind) = entry.file_type() else { return Ok(0) };
    let path = format!("{}/{name}", dir.path.trim_end_matches('/'));
    if kind.is_dir() {
        let (catalog, written) = match db::catalogs::by_path(tx, &path)? {
            Some(existing) => (existing, 0),
            None => (db::catalogs::insert(tx, &child_catalog(&path, dir))?, 1),
        };
        queue.push_back(catalog);
        return Ok(written);
    }
    let is_file = kind.is_file() || (kind.is_symlink() && symlink_to_file_inside(Path::new(&path), root_dir));
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

/// A symbolic link counts as a file only when it resolves to a regular file inside the root.
fn symlink_to_file_inside(link: &Path, root_dir: &Path) -> bool {
    std::fs::canonicalize(link).is_ok_and(|target| target.starts_with(root_dir) && target.is_file())
}

fn insert_file(tx: &Transaction, dir: &Catalog, name: &str, path: &Path) -> rusqlite::Result<()> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len()) as i64;
    let info = probe::probe(path).unwrap_or_else(|e| {
        eprintln!("scan: cannot read {}: {e}", path.display());
        probe::MediaInfo { file_type: file_type::OTHER, width: None, height: None, orientation: None, duration: None }
    });
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    let file = ScannedFile {
        root_id: dir.root_id,
        catalog_id: dir.id,
        file_name: name,
        ext,
        size,
        create_time: earliest_time(path),
        now: clock::now(),
        file_type: info.file_type,
        duration: info.duration,
        width: info.width,
        height: info.height,
        orientation: info.orientation,
    };
    db::files::insert_scanned(tx, &file)?;
    Ok(())
}
