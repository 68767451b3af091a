//! Changes to the catalog tree: creating a catalog directory (protocol §4.7), deleting catalogs
//! (§4.8, in `delete`) and files (§4.18), which touch the disk as well as the database, and the
//! logical edits of catalogs and files (§4.9, §4.19, in `edit`), which touch only the database.
//! Every path built from client text goes through `safe_path`; database changes of a request run
//! in one transaction, and irreversible deletions on disk happen only after it has committed.
//! deleteCatalog's moves are journaled so a crash never leaves rows pointing at moved files
//! (`journal`, `moves`, `recover`; see `delete`).
//! Callers check the session and parameters and hold `App::lock_tree` for the changes on disk;
//! this module does not parse requests, and it never renames or moves anything on disk for
//! updateCatalog/updateFile.

mod delete;
mod edit;
mod journal;
mod moves;
mod recover;

pub use delete::delete_catalogs;
pub use edit::{update_catalog, update_file};
pub use recover::finish_interrupted_delete;

use crate::db::{self, catalogs::Catalog, catalogs::CatalogWithCounts, edits::CatalogFields, files::FileRow};
use crate::error::ApiError;
use crate::fs::safe_path::{self, remove_file_if_exists, remove_tree};
use crate::logging::shown_path;
use crate::thumb_cache::levels::{self, Level};
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Creates a catalog under `parent_id` (visible, else -10007): its directory inside the parent's
/// physical directory under a generated name (§3.7), then its row. Either failure gives -102,
/// and a directory without a row is removed.
pub fn create_catalog(
    conn: &mut Connection,
    roots: &[i64],
    parent_id: i64,
    fields: &CatalogFields,
) -> Result<CatalogWithCounts, ApiError> {
    let parent =
        db::catalogs::by_id(conn, parent_id)?.filter(|c| roots.contains(&c.root_id)).ok_or(ApiError::InvalidCatalog)?;
    let (dir, ()) =
        safe_path::create_unique(Path::new(&parent.path), Some(&fields.name), "", |p| std::fs::create_dir(p))?;
    let inserted = match dir.to_str() {
        Some(path) => db::in_transaction(conn, |tx| {
            let id = db::edits::insert_child(tx, path, &parent, fields)?;
            db::catalogs::with_counts(tx, id)?.ok_or(ApiError::Data)
        }),
        None => Err(ApiError::Data),
    };
    if inserted.is_err() {
        if let Err(e) = std::fs::remove_dir(&dir) {
            log::warn!("could not remove {} after a failed createCatalog: {e}", shown_path(&dir));
        }
    }
    inserted
}

/// Deletes the visible files among `ids` (others are ignored): rows first, in one transaction,
/// then their physical files and both thumbnails. A file that cannot be removed is logged; its
/// row is gone already, so the client's view is consistent and a retry could not do better.
pub fn delete_files(conn: &mut Connection, thumbs: &Path, roots: &[i64], ids: &[i64]) -> Result<(), ApiError> {
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    let doomed = db::in_transaction(conn, |tx| {
        let mut doomed = Leftovers::default();
        for &id in &unique {
            let Some(file) = db::files::by_id(tx, id)?.filter(|f| roots.contains(&f.root_catalog_id)) else { continue };
            let catalog = db::catalogs::by_id(tx, file.real_catalog_id)?;
            if let Some(path) = catalog.and_then(|c| physical_file(&c, &file)) {
                doomed.files.push(path);
            }
            doomed.add_thumbnails(thumbs, &file);
            db::edits::delete_file(tx, file.id)?;
        }
        Ok::<_, ApiError>(doomed)
    })?;
    if let Err(e) = doomed.remove() {
        log::warn!("deleteFiles left files on disk: {e:?}");
    }
    Ok(())
}

/// `<path of the physical catalog>/<fileName>`, or None when the stored name is not a single
/// path component (a damaged row must never make us touch anything else).
fn physical_file(real_catalog: &Catalog, file: &FileRow) -> Option<PathBuf> {
    safe_path::child_of(Path::new(&real_catalog.path), &file.file_name).ok()
}

/// What is removed from disk after the database change has committed.
#[derive(Default)]
struct Leftovers {
    files: Vec<PathBuf>,
    trees: Vec<PathBuf>,
}

impl Leftovers {
    fn add_thumbnails(&mut self, thumbs: &Path, file: &FileRow) {
        for level in [Level::Small, Level::Screen] {
            self.files.push(levels::thumb_file(thumbs, file.real_catalog_id, file.id, level));
        }
    }

    /// Removes every file, then every tree (links unlinked, never followed). Missing entries are
    /// fine; other failures are logged, the rest is still attempted, and the result is -103.
    fn remove(self) -> Result<(), ApiError> {
        let mut failed = false;
        let files = self.files.iter().map(|p| (p, remove_file_if_exists(p)));
        let trees = self.trees.iter().map(|p| (p, remove_tree(p)));
        for (path, result) in files.chain(trees) {
            if let Err(e) = result {
                log::error!("could not remove {}: {e}", shown_path(path));
                failed = true;
            }
        }
        if failed {
            Err(ApiError::DeleteFailed)
        } else {
            Ok(())
        }
    }
}
