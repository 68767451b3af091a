//! Finishing a deleteCatalog that a crash (or a lost journal removal) left behind, from its
//! intent journal: run at every start of `serve` and `scan`, and before each deleteCatalog. If
//! the doomed catalogs are gone from the database, the transaction committed and only the
//! removals after it are repeated; otherwise every move is undone, as the rolled-back
//! transaction expects. Both are safe to repeat. As a last guard, a removal is skipped when its
//! path has become the directory of a catalog or the file of a row again since the journal was
//! written (which no interrupted delete can cause: it would mean the journal is stale).

use super::journal::{self, DeleteLock, Intent, JOURNAL_FILE};
use super::moves;
use crate::config::Config;
use crate::db;
use crate::fs::safe_path::{remove_file_if_exists, remove_tree};
use crate::logging::shown_path;
use rusqlite::Connection;
use std::path::Path;

/// At start-up: finishes an interrupted delete, if any. Problems are logged; they never stop
/// the server (deleteCatalog then refuses until the journal can be finished).
pub fn finish_interrupted_delete(conn: &Connection, config: &Config) {
    let finished = DeleteLock::acquire(&config.app_dir)
        .map_err(|e| format!("cannot lock {}: {e}", shown_path(&config.app_dir.join(journal::LOCK_FILE))))
        .and_then(|_lock| replay(conn, &config.app_dir.join(JOURNAL_FILE)));
    if let Err(e) = finished {
        log::error!("an interrupted deleteCatalog cannot be finished: {e}");
    }
}

/// Finishes the journal at `path`, if there is one, and removes it. The caller holds the lock.
pub fn replay(conn: &Connection, path: &Path) -> Result<(), String> {
    let shown = shown_path(path);
    let intent = match Intent::read(path) {
        Ok(Some(intent)) => intent,
        Ok(None) => return journal::remove(path).map_err(|e| format!("cannot remove {shown}: {e}")),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    let committed = match intent.doomed.first() {
        Some(&id) => db::catalogs::by_id(conn, id).map_err(|e| format!("cannot read the database: {e}"))?.is_none(),
        None => false,
    };
    if committed {
        let skipped = finish_removals(conn, &intent).map_err(|e| format!("cannot read the database: {e}"))?;
        log::warn!(
            "finished an interrupted deleteCatalog of catalogs {:?}: {} files and {} directories removed{}",
            intent.doomed,
            intent.files.len() - skipped.0,
            intent.trees.len() - skipped.1,
            if skipped == (0, 0) { String::new() } else { format!(", {skipped:?} kept: in use again") }
        );
    } else {
        let clean = moves::undo(&intent.steps, &intent.token);
        log::warn!(
            "undid an interrupted deleteCatalog of catalogs {:?} ({} steps on disk){}",
            intent.doomed,
            intent.steps.len(),
            if clean { "" } else { "; some steps could not be undone (see above)" }
        );
    }
    journal::remove(path).map_err(|e| format!("cannot remove {shown}: {e}"))
}

/// The removals after the commit, again; returns how many (files, trees) were kept because a
/// row or catalog uses them now.
fn finish_removals(conn: &Connection, intent: &Intent) -> rusqlite::Result<(usize, usize)> {
    let mut skipped = (0, 0);
    for file in &intent.files {
        if is_a_rows_file(conn, file)? {
            skipped.0 += 1;
        } else if let Err(e) = remove_file_if_exists(file) {
            log::error!("could not remove {}: {e}", shown_path(file));
        }
    }
    for tree in &intent.trees {
        if holds_a_catalog(conn, tree)? {
            skipped.1 += 1;
        } else if let Err(e) = remove_tree(tree) {
            log::error!("could not remove {}: {e}", shown_path(tree));
        }
    }
    Ok(skipped)
}

fn is_a_rows_file(conn: &Connection, file: &Path) -> rusqlite::Result<bool> {
    let (Some(dir), Some(name)) = (file.parent().and_then(Path::to_str), file.file_name().and_then(|n| n.to_str()))
    else {
        return Ok(false);
    };
    match db::catalogs::by_path(conn, dir)? {
        Some(catalog) => db::files::exists_in(conn, catalog.id, name),
        None => Ok(false),
    }
}

fn holds_a_catalog(conn: &Connection, tree: &Path) -> rusqlite::Result<bool> {
    let Some(dir) = tree.to_str() else { return Ok(false) };
    Ok(db::catalogs::by_path(conn, dir)?.is_some() || !db::edits::catalogs_inside(conn, dir)?.is_empty())
}
