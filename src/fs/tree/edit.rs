//! The logical edits of updateCatalog (protocol §4.9) and updateFile (§4.19): new names, notes
//! and parents in the database only; directories and files stay where they are on disk. Each
//! edit runs in one transaction, checked against the roots the user sees.

use crate::db::{
    self, catalogs::Catalog, catalogs::CatalogWithCounts, edits::CatalogEdit, edits::FileEdit, files::FileRow,
};
use crate::error::ApiError;
use rusqlite::Transaction;

/// Applies `edit` to catalog `id`. An invisible catalog or target, and an edit that changes
/// nothing (a move to the current parent counts as no move), are -10010; moving a root, or a
/// catalog into itself or one of its descendants, is -10003. A move into another root carries
/// the subtree's files along.
pub fn update_catalog(
    conn: &mut rusqlite::Connection,
    roots: &[i64],
    id: i64,
    mut edit: CatalogEdit,
) -> Result<CatalogWithCounts, ApiError> {
    db::in_transaction(conn, |tx| {
        let catalog = visible_catalog(tx, roots, id)?;
        edit.parent_id = edit.parent_id.filter(|&p| p != catalog.parent_id);
        let target = match edit.parent_id {
            Some(target_id) => Some(move_target(tx, roots, &catalog, target_id)?),
            None => None,
        };
        if edit.is_empty() {
            return Err(ApiError::NotModified);
        }
        if let Some(target) = target.filter(|t| t.root_id != catalog.root_id) {
            db::edits::move_subtree_to_root(tx, id, target.root_id)?;
        }
        db::edits::update_catalog(tx, id, &edit, crate::clock::now())?;
        db::catalogs::with_counts(tx, id)?.ok_or(ApiError::Data)
    })
}

/// The new parent of a move: visible (-10010), not the catalog itself or one of its
/// descendants, and the catalog is not a root (both -10003).
fn move_target(tx: &Transaction, roots: &[i64], catalog: &Catalog, target_id: i64) -> Result<Catalog, ApiError> {
    let target = visible_catalog(tx, roots, target_id)?;
    if db::edits::subtree(tx, catalog.id)?.contains(&target_id) || catalog.is_root() {
        return Err(ApiError::InvalidParameter);
    }
    Ok(target)
}

fn visible_catalog(tx: &Transaction, roots: &[i64], id: i64) -> Result<Catalog, ApiError> {
    db::catalogs::by_id(tx, id)?.filter(|c| roots.contains(&c.root_id)).ok_or(ApiError::NotModified)
}

/// Applies `edit` to file `id`, moving it logically into catalog `target_id` when given. An
/// invisible file or target, and an edit that changes nothing, are -10010. The physical file
/// and its realCatalogId never change.
pub fn update_file(
    conn: &mut rusqlite::Connection,
    roots: &[i64],
    id: i64,
    target_id: Option<i64>,
    mut edit: FileEdit,
) -> Result<FileRow, ApiError> {
    db::in_transaction(conn, |tx| {
        let file =
            db::files::by_id(tx, id)?.filter(|f| roots.contains(&f.root_catalog_id)).ok_or(ApiError::NotModified)?;
        if let Some(target_id) = target_id {
            let target = visible_catalog(tx, roots, target_id)?;
            edit.catalog = (target.id != file.catalog_id).then_some((target.id, target.root_id));
        }
        if edit.is_empty() {
            return Err(ApiError::NotModified);
        }
        db::edits::update_file(tx, id, &edit, crate::clock::now())?;
        db::files::by_id(tx, id)?.ok_or(ApiError::Data)
    })
}
