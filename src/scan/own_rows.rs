//! What the database must not hold of the server's own files (`fs::own_files`), checked at
//! every start of `serve` and `scan`: a media root that holds the app dir, the thumbnail cache
//! or the log is warned about (the scanner skips them, but they belong outside the media), and
//! file rows that point at one of them — left by an earlier scan or by iSyncServer, which
//! indexed them — are deleted, so that nobody can list, download or overwrite them.

use crate::db;
use crate::fs::own_files::{canonical, OwnFiles};
use crate::logging::shown_path;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Warns about roots that hold the server's own places and forgets rows of its files.
pub fn check(conn: &mut Connection, own: &OwnFiles) -> rusqlite::Result<()> {
    let catalogs = db::catalogs::all(conn)?;
    for root in catalogs.iter().filter(|c| c.is_root()) {
        for (kind, place) in own.inside(&canonical(Path::new(&root.path))) {
            log::warn!(
                "{} {} lies inside the media folder {}: it is never indexed or served, but it belongs outside \
                 the media folders",
                kind.describe(),
                shown_path(place),
                shown_path(Path::new(&root.path))
            );
        }
    }
    let mut doomed: Vec<(i64, PathBuf)> = Vec::new();
    for catalog in &catalogs {
        let dir = canonical(Path::new(&catalog.path));
        if !own.may_hold_own_files(&dir) {
            continue;
        }
        for file in db::edits::files_stored_in(conn, catalog.id)? {
            let path = dir.join(&file.file_name);
            if own.file(&path).is_some() {
                doomed.push((file.id, path));
            }
        }
    }
    let Some((_, example)) = doomed.first() else { return Ok(()) };
    db::in_transaction(conn, |tx| doomed.iter().try_for_each(|(id, _)| db::edits::delete_file(tx, *id)))?;
    log::warn!(
        "deleted {} file rows that pointed at the server's own files (such as {}), indexed by an earlier scan",
        doomed.len(),
        shown_path(example)
    );
    Ok(())
}
