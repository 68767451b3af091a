//! What a look decides about the disk beyond new files (see `walk`): whether a tree is offline,
//! whether a new folder is a known one moved, which files and folders went missing and which of
//! them are gone for good, and which files are still being written.

use super::walk::Look;
use super::writer::Writer;
use super::Progress;
use crate::clock;
use crate::db::disk::{self, Kept, KnownCatalog, KnownFile};
use crate::db::{self, catalogs::Catalog};
use crate::logging::shown_path;
use crate::thumb_cache::levels::{self, Level};
use rusqlite::Connection;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

/// Looks in a row that must miss a file or folder before it is removed.
const MISSED_LOOKS: i64 = 2;
/// Names of files that are still being written by a download, a copy or a sync tool.
const PARTIAL_SUFFIXES: [&str; 6] = [".part", ".tmp", ".crdownload", ".download", ".partial", ".!sync"];

/// Tells the operator, through the log (which `isync scan` writes to stderr).
pub fn say(message: &str) {
    log::info!("scan: {message}");
}

/// Why the tree at `top` cannot be looked at now, if it cannot: its directory is missing, is
/// empty where it held files, or is on another device than at the last look (the device is
/// recorded once the tree is seen online). The disk is read before the database is asked.
pub fn offline(conn: &Connection, top: &Catalog, look: &Look) -> rusqlite::Result<Option<String>> {
    let metadata = match std::fs::metadata(&top.path) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => return Ok(Some("not a directory".into())),
        Err(e) => return Ok(Some(format!("cannot be read: {e}"))),
    };
    let empty = std::fs::read_dir(&top.path)
        .map_or(true, |mut entries| entries.all(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with('.'))));
    if empty {
        let held = disk::files_under(conn, &top.path)?;
        if held > 0 {
            return Ok(Some(format!("empty, where {held} files were")));
        }
    }
    let device = metadata.dev() as i64; // dev_t: an opaque number, stored as SQLite's integer
    match disk::device_of(conn, top.id)? {
        Some(recorded) if recorded == device => {}
        Some(_) if !look.accept_new_device => {
            return Ok(Some(
                "on another device than before: a disk that is not mounted? `isync scan` accepts the new one".into(),
            ));
        }
        _ => disk::set_device(conn, top.id, device)?,
    }
    Ok(None)
}

/// The catalog of a folder moved (or renamed) to `path` inside `parent` on the disk: one whose
/// directory had this device and inode at its last look, is no longer where it was, and whose
/// files (if it had any) are at least partly here — an inode number reused by a new folder is
/// not a move. It gets the new path (with everything below it) and the new parent, so its files
/// keep their ids, share links and help info. Moves across roots are not followed (they are a
/// removal and a new folder), nor are roots.
pub fn moved_here(
    w: &mut Writer,
    path: &str,
    parent: &Catalog,
    (device, inode): (i64, i64),
) -> rusqlite::Result<Option<Catalog>> {
    let Some((id, old_path)) = disk::catalog_with_identity(w.conn(), device, inode)? else { return Ok(None) };
    let still_there =
        std::fs::symlink_metadata(&old_path).is_ok_and(|m| (m.dev() as i64, m.ino() as i64) == (device, inode));
    let Some(old) = db::catalogs::by_id(w.conn(), id)? else { return Ok(None) };
    if old_path == path || still_there || old.is_root() || old.root_id != parent.root_id {
        return Ok(None);
    }
    let files = disk::files_in(w.conn(), id)?;
    if !files.is_empty() && !files.iter().any(|f| Path::new(path).join(&f.file_name).exists()) {
        return Ok(None);
    }
    w.write(|c| disk::move_tree(c, &old_path, path, parent.id))?;
    say(&format!(
        "{} was moved to {}: its files keep their ids",
        shown_path(Path::new(&old_path)),
        shown_path(Path::new(path))
    ));
    db::catalogs::by_path(w.conn(), path)
}

/// Something a look found gone for good, removed once the whole tree has been looked at (a
/// folder moved inside it is found at its new place first).
pub enum Doomed {
    File { id: i64, real_catalog_id: i64, path: String },
    Tree { id: i64, path: String },
}

/// After a directory was read in full: counts the known files and sub-directories it did not
/// hold as missed once more. Those missed by MISSED_LOOKS looks in a row, the first at least the
/// look's removal delay ago, are doomed. A sub-directory that was on another device than its
/// parent (a disk mounted there) and is gone is offline, not missed; roots are walked on their
/// own.
#[allow(clippy::too_many_arguments)]
pub fn missed(
    w: &mut Writer,
    dir: &Catalog,
    dir_device: Option<i64>,
    unseen_files: impl Iterator<Item = KnownFile>,
    unseen_dirs: impl Iterator<Item = KnownCatalog>,
    look: &Look,
    progress: &mut Progress,
    doomed: &mut Vec<Doomed>,
) -> rusqlite::Result<()> {
    let now = clock::now();
    let due = |(looks, since): (i64, i64)| looks >= MISSED_LOOKS && now - since >= look.removal_delay.as_secs() as i64;
    for file in unseen_files {
        let path = format!("{}/{}", dir.path.trim_end_matches('/'), file.file_name);
        if due(w.write(|c| disk::missed(c, Kept::File, file.id, now))?) {
            doomed.push(Doomed::File { id: file.id, real_catalog_id: dir.id, path });
        } else {
            progress.missing += 1;
        }
    }
    for catalog in unseen_dirs.filter(|c| !c.is_root()) {
        if catalog.device.is_some() && catalog.device != dir_device {
            progress.offline += 1;
            say(&format!(
                "{} was another disk and is gone: offline, nothing under it is changed",
                shown_path(Path::new(&catalog.path))
            ));
            continue;
        }
        if due(w.write(|c| disk::missed(c, Kept::Catalog, catalog.id, now))?) {
            doomed.push(Doomed::Tree { id: catalog.id, path: catalog.path });
        } else {
            progress.missing += 1;
        }
    }
    Ok(())
}

/// Removes what the look doomed, with the thumbnails after the commit, each only if it is still
/// as the look saw it: a file still in its catalog and not an upload in progress, a folder still
/// at its path (not moved meanwhile), still absent from the disk, and holding no root.
pub fn remove_doomed(
    w: &mut Writer,
    doomed: Vec<Doomed>,
    look: &Look,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    for gone in doomed {
        match gone {
            Doomed::File { id, real_catalog_id, path } => {
                if Path::new(&path).exists() || !w.write(|c| disk::remove_file(c, id, real_catalog_id))? {
                    continue;
                }
                remove_thumbnails(w, look.thumbs, real_catalog_id, id);
                progress.removed += 1;
                say(&format!("{} is gone from the disk: removed", shown_path(Path::new(&path))));
            }
            Doomed::Tree { id, path } => {
                let still = db::catalogs::by_id(w.conn(), id)?.is_some_and(|c| c.path == path);
                if !still || Path::new(&path).exists() {
                    continue;
                }
                if disk::holds_root(w.conn(), &path)? {
                    say(&format!("{} is gone but holds a root folder: kept", shown_path(Path::new(&path))));
                    continue;
                }
                let removed = w.write(|c| disk::remove_tree(c, &path))?;
                for &(file, real_catalog) in &removed.files {
                    remove_thumbnails(w, look.thumbs, real_catalog, file);
                }
                for &catalog in &removed.catalogs {
                    w.remove_after_commit(levels::thumb_dir(look.thumbs, catalog));
                }
                progress.removed += removed.files.len() as u64;
                say(&format!(
                    "{} is gone from the disk: removed with its {} files",
                    shown_path(Path::new(&path)),
                    removed.files.len()
                ));
            }
        }
    }
    Ok(())
}

/// Both cached thumbnails of a file, removed once the removal of its row has committed.
pub fn remove_thumbnails(w: &mut Writer, thumbs: &Path, real_catalog_id: i64, file_id: i64) {
    for level in [Level::Small, Level::Screen] {
        w.remove_after_commit(levels::thumb_file(thumbs, real_catalog_id, file_id, level));
    }
}

/// A name that download managers, copy and sync tools give a file they are still writing.
pub fn is_partial(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with("~$") || PARTIAL_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix))
}

/// True when something modified at `mtime` (Unix seconds) may still be being written: less than
/// `settle` ago. A time in the future (a clock set wrong, a camera's, a FAT disk's local time)
/// says nothing, so it counts as settled.
pub fn is_unsettled(mtime: i64, settle: Duration) -> bool {
    let age = clock::now() - mtime;
    !settle.is_zero() && (0..settle.as_secs().max(1) as i64).contains(&age)
}
