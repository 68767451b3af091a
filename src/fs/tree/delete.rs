//! deleteCatalog (protocol §4.8), the corrected algorithm: S = the visible requested catalogs and
//! their logical descendants; catalogs moved out of S but stored inside its directories are
//! rescued first (parents before children), files moved into S are deleted, files moved out are
//! relocated into their logical catalog's directory (with clash suffixes) together with their
//! thumbnails, then the rows go, and only after the commit are files and directories removed
//! (links unlinked, never followed). Reversible steps are journaled and undone when anything
//! fails before the commit; every loop is bounded. It does not check sessions or parameters.
//!
//! Decided here beyond the protocol: a root catalog of another tree stored inside a doomed
//! directory has no logical parent to be rescued under, so the whole request is refused (-103)
//! rather than destroying that tree; so is a request whose directories hold the app directory
//! or the thumbnail cache. A file whose logical catalog row no longer exists cannot be relocated
//! and is deleted with its directory.

use super::journal::{suffixed, Journal};
use super::{physical_file, Leftovers};
use crate::config::Config;
use crate::db::{self, catalogs::Catalog, files::FileRow};
use crate::error::ApiError;
use crate::fs::safe_path;
use crate::thumb_cache::levels::{self, Level};
use rusqlite::{Connection, Transaction};
use std::collections::{btree_map::Entry, BTreeMap, BTreeSet, HashSet};
use std::io;
use std::path::{Path, PathBuf};

/// How many clash names are tried for a rescued directory or a relocated file.
const NAME_ATTEMPTS: u32 = 100;
/// Directory name of a rescued catalog whose name sanitises to nothing.
const FALLBACK_NAME: &str = "catalog";

/// The doomed catalogs S, by id.
type Doomed = BTreeMap<i64, Catalog>;

/// Deletes the visible catalogs among `ids` with everything beneath them (unknown and invisible
/// ids are ignored). Any failure is -103.
pub fn delete_catalogs(conn: &mut Connection, config: &Config, roots: &[i64], ids: &[i64]) -> Result<(), ApiError> {
    let mut journal = Journal::default();
    match db::in_transaction(conn, |tx| apply(tx, config, roots, ids, &mut journal)) {
        Ok(leftovers) => leftovers.remove(),
        Err(error) => {
            log::error!("deleteCatalog of {ids:?} failed ({error:?}); undoing its moves");
            journal.undo();
            Err(ApiError::DeleteFailed)
        }
    }
}

/// Steps 1–5 inside the transaction; returns what steps 2, 4 and 6 remove after the commit.
fn apply(
    tx: &Transaction,
    config: &Config,
    roots: &[i64],
    ids: &[i64],
    journal: &mut Journal,
) -> Result<Leftovers, ApiError> {
    let doomed = doomed_catalogs(tx, roots, ids)?;
    let mut leftovers = Leftovers::default();
    if doomed.is_empty() {
        return Ok(leftovers);
    }
    refuse_protected_dirs(config, &doomed)?;
    for catalog in moved_out_catalogs(tx, &doomed)? {
        rescue(tx, &catalog, journal)?;
    }
    let thumbs = config.thumb_path.as_path();
    for (&id, catalog) in &doomed {
        for file in db::edits::files_stored_in(tx, id)? {
            if !doomed.contains_key(&file.catalog_id) {
                relocate(tx, thumbs, catalog, &file, journal, &mut leftovers)?;
            }
        }
        for file in db::edits::files_in_catalog(tx, id)? {
            if !doomed.contains_key(&file.real_catalog_id) {
                let real = db::catalogs::by_id(tx, file.real_catalog_id)?;
                leftovers.files.extend(real.and_then(|c| physical_file(&c, &file)));
            }
            leftovers.add_thumbnails(thumbs, &file);
        }
    }
    for (&id, catalog) in &doomed {
        db::edits::delete_catalog(tx, id)?;
        leftovers.trees.push(PathBuf::from(&catalog.path));
        leftovers.trees.push(levels::thumb_dir(thumbs, id));
    }
    Ok(leftovers)
}

/// S: every visible catalog among `ids` with all its logical descendants (cycle-safe).
fn doomed_catalogs(tx: &Transaction, roots: &[i64], ids: &[i64]) -> Result<Doomed, ApiError> {
    let mut doomed = Doomed::new();
    for id in ids.iter().copied().collect::<BTreeSet<i64>>() {
        let visible = db::catalogs::by_id(tx, id)?.is_some_and(|c| roots.contains(&c.root_id));
        if !visible || doomed.contains_key(&id) {
            continue;
        }
        for member in db::edits::subtree(tx, id)? {
            if let Entry::Vacant(slot) = doomed.entry(member) {
                if let Some(catalog) = db::catalogs::by_id(tx, member)? {
                    slot.insert(catalog);
                }
            }
        }
    }
    Ok(doomed)
}

/// Refuses to remove a directory that holds the app directory (database) or the thumbnail cache.
fn refuse_protected_dirs(config: &Config, doomed: &Doomed) -> Result<(), ApiError> {
    for catalog in doomed.values() {
        let dir = Path::new(&catalog.path);
        if [&config.app_dir, &config.thumb_path].iter().any(|p| p.starts_with(dir)) {
            log::error!(
                "refusing to delete catalog {} ({}): it holds the server's own files",
                catalog.id,
                catalog.path
            );
            return Err(ApiError::DeleteFailed);
        }
    }
    Ok(())
}

/// M: catalogs outside S whose directory lies inside a directory of S, parents before children.
fn moved_out_catalogs(tx: &Transaction, doomed: &Doomed) -> Result<Vec<Catalog>, ApiError> {
    let dirs: HashSet<&Path> = doomed.values().map(|c| Path::new(c.path.as_str())).collect();
    let mut found = BTreeMap::new();
    for catalog in doomed.values() {
        let dir = Path::new(&catalog.path);
        if dir.ancestors().skip(1).any(|a| dirs.contains(a)) {
            continue; // covered by the enclosing doomed directory
        }
        for inside in db::edits::catalogs_inside(tx, &catalog.path)? {
            if !doomed.contains_key(&inside.id) {
                found.insert(inside.id, inside);
            }
        }
    }
    let mut ordered = Vec::with_capacity(found.len());
    for catalog in found.into_values() {
        ordered.push((logical_depth(tx, &catalog)?, catalog));
    }
    ordered.sort_by_key(|(depth, catalog)| (*depth, catalog.id));
    Ok(ordered.into_iter().map(|(_, catalog)| catalog).collect())
}

/// The number of logical ancestors of a catalog (a damaged, cyclic chain is cut off).
fn logical_depth(tx: &Transaction, catalog: &Catalog) -> Result<usize, ApiError> {
    let mut seen = HashSet::from([catalog.id]);
    let mut parent_id = catalog.parent_id;
    let mut depth = 0;
    while parent_id != -1 && seen.insert(parent_id) {
        let Some(parent) = db::catalogs::by_id(tx, parent_id)? else { break };
        depth += 1;
        parent_id = parent.parent_id;
    }
    Ok(depth)
}

/// Step 1 for one catalog of M: a new directory inside its logical parent's current directory,
/// the regular files of its old directory moved there, and the row pointed at it.
fn rescue(tx: &Transaction, catalog: &Catalog, journal: &mut Journal) -> Result<(), ApiError> {
    if catalog.is_root() {
        log::error!(
            "refusing: the root catalog {} ({}) of another tree lies inside a directory to delete",
            catalog.id,
            catalog.path
        );
        return Err(ApiError::DeleteFailed);
    }
    let Some(parent) = db::catalogs::by_id(tx, catalog.parent_id)? else {
        log::error!(
            "catalog {} ({}) must be rescued but its parent {} is missing",
            catalog.id,
            catalog.path,
            catalog.parent_id
        );
        return Err(ApiError::DeleteFailed);
    };
    let old_name = catalog.display_name();
    let stem = safe_path::sanitized_stem(&old_name);
    let stem = if stem.is_empty() { FALLBACK_NAME.to_string() } else { stem };
    let new_dir = create_rescue_dir(journal, Path::new(&parent.path), &stem)?;
    match std::fs::read_dir(&catalog.path) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                if entry.file_type()?.is_file() {
                    journal.move_file(&entry.path(), &new_dir.join(entry.file_name()))?;
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let new_path = new_dir.to_str().ok_or(ApiError::Data)?;
    db::edits::set_catalog_location(tx, catalog.id, new_path, &old_name)?;
    Ok(())
}

/// `stem`, then `stem_0`, `stem_1`, … : the first name that can be created inside `parent`.
fn create_rescue_dir(journal: &mut Journal, parent: &Path, stem: &str) -> Result<PathBuf, ApiError> {
    for k in 0..=NAME_ATTEMPTS {
        let name = if k == 0 { stem.to_string() } else { format!("{stem}_{}", k - 1) };
        let path = safe_path::child_of(parent, &name)?;
        match journal.create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                log::error!("cannot create {}: {e}", path.display());
                return Err(ApiError::DeleteFailed);
            }
        }
    }
    log::error!("no free name for {stem} in {}", parent.display());
    Err(ApiError::DeleteFailed)
}

/// Step 3 for one file stored in `source` (in S) but logically in a catalog outside S.
fn relocate(
    tx: &Transaction,
    thumbs: &Path,
    source: &Catalog,
    file: &FileRow,
    journal: &mut Journal,
    leftovers: &mut Leftovers,
) -> Result<(), ApiError> {
    let Some(target) = db::catalogs::by_id(tx, file.catalog_id)? else {
        log::warn!("file {} belongs to the missing catalog {}; deleted with its directory", file.id, file.catalog_id);
        leftovers.add_thumbnails(thumbs, file);
        db::edits::delete_file(tx, file.id)?;
        return Ok(());
    };
    let (name, to) = free_name(tx, Path::new(&target.path), target.id, &file.file_name)?;
    let from = safe_path::child_of(Path::new(&source.path), &file.file_name)?;
    if std::fs::symlink_metadata(&from).is_ok() {
        journal.move_file(&from, &to)?;
    }
    for level in [Level::Small, Level::Screen] {
        let thumb = levels::thumb_file(thumbs, file.real_catalog_id, file.id, level);
        if std::fs::symlink_metadata(&thumb).is_ok() {
            std::fs::create_dir_all(levels::thumb_dir(thumbs, target.id))?;
            journal.move_file(&thumb, &levels::thumb_file(thumbs, target.id, file.id, level))?;
        }
    }
    db::edits::relocate_file(tx, file.id, target.id, &name, &file.file_name)?;
    Ok(())
}

/// `name`, or `name` with `_1`, `_2`, … before its last dot: the first that is neither on disk
/// in `dir` nor registered for catalog `catalog_id`.
fn free_name(tx: &Transaction, dir: &Path, catalog_id: i64, name: &str) -> Result<(String, PathBuf), ApiError> {
    for k in 0..=NAME_ATTEMPTS {
        let candidate = if k == 0 { name.to_string() } else { suffixed(name, k) };
        let path = safe_path::child_of(dir, &candidate)?;
        if std::fs::symlink_metadata(&path).is_err() && !db::files::exists_in(tx, catalog_id, &candidate)? {
            return Ok((candidate, path));
        }
    }
    log::error!("no free name for {name} in {}", dir.display());
    Err(ApiError::DeleteFailed)
}
