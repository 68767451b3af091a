//! deleteCatalog (protocol §4.8), the corrected algorithm: S = the visible requested catalogs and
//! their logical descendants; catalogs moved out of S but stored inside its directories are
//! rescued first (parents before children), files moved into S are deleted, files moved out are
//! relocated into their logical catalog's directory (with clash suffixes) together with their
//! thumbnails, then the rows go, and only after the commit are files and directories removed
//! (links unlinked, never followed). Every loop is bounded. It does not check sessions or
//! parameters.
//!
//! # Crash safety
//!
//! The database changes run in one transaction; the moves on disk cannot be part of it, so a
//! kill at the wrong moment used to leave rows pointing at moved files. Now the request is
//! planned first — inside the transaction, which makes the row changes as it goes but only
//! *decides* the moves (`DiskPlan`, names claimed in memory) — then the whole plan is written to
//! the intent journal and synced (`journal`), and only then are the moves carried out (`moves`),
//! their directories synced, and the transaction committed with `synchronous=FULL`. After the
//! commit the doomed files and directories are removed and the journal is deleted. A journal
//! found later (`recover`, at start-up) is finished: if the doomed catalogs are gone from the
//! database the commit happened and only the removals are repeated; otherwise every move is
//! undone, which is what the rolled-back transaction expects. Either way every row points at a
//! real file, and a rescan finds nothing new. A failure inside the request undoes the moves the
//! same way, before the transaction is rolled back.
//!
//! Decided here beyond the protocol: a root catalog of another tree stored inside a doomed
//! directory has no logical parent to be rescued under, so the whole request is refused (-103)
//! rather than destroying that tree; so is a request whose directories hold the app directory
//! or the thumbnail cache. A file whose logical catalog row no longer exists cannot be relocated
//! and is deleted with its directory.

use super::journal::{self, DeleteLock, Intent, JOURNAL_FILE};
use super::moves::{self, Step};
use super::{physical_file, recover, Leftovers};
use crate::config::Config;
use crate::db::{self, catalogs::Catalog, files::FileRow};
use crate::error::ApiError;
use crate::fs::own_files::canonical;
use crate::fs::safe_path;
use crate::logging::shown_path;
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
    let _lock = DeleteLock::acquire(&config.app_dir).map_err(|e| {
        log::error!("deleteCatalog cannot lock {}: {e}", shown_path(&config.app_dir.join(journal::LOCK_FILE)));
        ApiError::DeleteFailed
    })?;
    let journal = config.app_dir.join(JOURNAL_FILE);
    recover::replay(conn, &journal).map_err(|e| {
        log::error!("deleteCatalog refused: an earlier one cannot be finished: {e}");
        ApiError::DeleteFailed
    })?;
    let mut run = Run::default();
    match db::in_durable_transaction(conn, |tx| run.start(plan(tx, config, roots, ids)?, &journal)) {
        Ok(()) => {
            let removed = Leftovers { files: run.intent.files, trees: run.intent.trees }.remove();
            forget_journal(&journal);
            removed
        }
        Err(error) => {
            log::error!("deleteCatalog of {ids:?} failed ({error:?}); undoing its moves");
            if run.journaled {
                moves::undo(&run.intent.steps[..run.done], &run.intent.token);
                forget_journal(&journal);
            }
            Err(ApiError::DeleteFailed)
        }
    }
}

/// The disk side of one request: its intent, whether its journal was written, and how many of
/// its steps were (at least in part) carried out.
#[derive(Default)]
struct Run {
    intent: Intent,
    journaled: bool,
    done: usize,
}

impl Run {
    /// Journals `intent` (if there is anything to do), then carries out its steps.
    fn start(&mut self, intent: Option<Intent>, journal: &Path) -> Result<(), ApiError> {
        let Some(intent) = intent else { return Ok(()) };
        self.intent = intent;
        self.journaled = true; // a journal cut short is removed with the rest on failure
        self.intent.write(journal).map_err(|e| {
            log::error!("cannot write the journal {}: {e}", shown_path(journal));
            ApiError::DeleteFailed
        })?;
        let steps = &self.intent.steps;
        let carried = moves::execute(steps, &self.intent.token);
        // A failed move may be half done (a partial copy); any other failed step did nothing.
        let done = |failed: usize| failed + usize::from(matches!(steps[failed], Step::Move { .. }));
        self.done = carried.as_ref().err().map_or(steps.len(), |(failed, _)| done(*failed));
        if let Err((failed, e)) = carried {
            log::error!("deleteCatalog step {:?} failed: {e}", steps[failed]);
            return Err(ApiError::DeleteFailed);
        }
        moves::sync_dirs(steps);
        Ok(())
    }
}

fn forget_journal(journal: &Path) {
    if let Err(e) = journal::remove(journal) {
        log::error!("cannot remove the finished journal {}: {e}", shown_path(journal));
    }
}

/// The moves a request decides on while it plans: its steps in order, and the paths they
/// claim, which count as taken for every later name choice of the same request.
#[derive(Default)]
struct DiskPlan {
    steps: Vec<Step>,
    claimed: HashSet<PathBuf>,
}

impl DiskPlan {
    /// Neither claimed by this plan nor present on disk (not even as a dangling link).
    fn is_free(&self, path: &Path) -> bool {
        !self.claimed.contains(path) && std::fs::symlink_metadata(path).is_err()
    }

    fn create_dir(&mut self, dir: PathBuf) {
        self.claimed.insert(dir.clone());
        self.steps.push(Step::CreateDir(dir));
    }

    fn ensure_dir(&mut self, dir: PathBuf) {
        if self.claimed.insert(dir.clone()) {
            self.steps.push(Step::EnsureDir(dir));
        }
    }

    fn move_file(&mut self, from: PathBuf, to: PathBuf) {
        self.claimed.insert(to.clone());
        self.steps.push(Step::Move { from, to });
    }
}

/// Steps 1–5 inside the transaction: the row changes are made, the disk changes planned.
/// None when S is empty.
fn plan(tx: &Transaction, config: &Config, roots: &[i64], ids: &[i64]) -> Result<Option<Intent>, ApiError> {
    let doomed = doomed_catalogs(tx, roots, ids)?;
    if doomed.is_empty() {
        return Ok(None);
    }
    refuse_protected_dirs(config, &doomed)?;
    let mut disk = DiskPlan::default();
    let mut leftovers = Leftovers::default();
    for catalog in moved_out_catalogs(tx, &doomed)? {
        rescue(tx, &catalog, &mut disk)?;
    }
    let thumbs = config.thumb_path.as_path();
    for (&id, catalog) in &doomed {
        for file in db::edits::files_stored_in(tx, id)? {
            if !doomed.contains_key(&file.catalog_id) {
                relocate(tx, thumbs, catalog, &file, &mut disk, &mut leftovers)?;
            }
        }
        for file in db::edits::files_in_catalog(tx, id)? {
            // A file stored in S goes with its directory, and its thumbnails with their
            // directory `THUMBDIR/<realCatalogId>`: only those stored elsewhere are listed.
            if !doomed.contains_key(&file.real_catalog_id) {
                let real = db::catalogs::by_id(tx, file.real_catalog_id)?;
                leftovers.files.extend(real.and_then(|c| physical_file(&c, &file)));
                leftovers.add_thumbnails(thumbs, &file);
            }
        }
    }
    for (&id, catalog) in &doomed {
        db::edits::delete_catalog(tx, id)?;
        leftovers.trees.push(PathBuf::from(&catalog.path));
        leftovers.trees.push(levels::thumb_dir(thumbs, id));
    }
    Ok(Some(Intent {
        token: crate::random::hex_token::<8>(),
        doomed: doomed.into_keys().collect(),
        steps: disk.steps,
        files: leftovers.files,
        trees: leftovers.trees,
    }))
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

/// Refuses to remove a directory that holds the app directory (database) or the thumbnail cache
/// (compared in canonical form, however the paths name them).
fn refuse_protected_dirs(config: &Config, doomed: &Doomed) -> Result<(), ApiError> {
    let protected = [canonical(&config.app_dir), canonical(&config.thumb_path)];
    for catalog in doomed.values() {
        let dir = canonical(Path::new(&catalog.path));
        if protected.iter().any(|p| p.starts_with(&dir)) {
            log::error!(
                "refusing to delete catalog {} ({}): it holds the server's own files",
                catalog.id,
                shown_path(dir.as_path())
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
fn rescue(tx: &Transaction, catalog: &Catalog, disk: &mut DiskPlan) -> Result<(), ApiError> {
    if catalog.is_root() {
        log::error!(
            "refusing: the root catalog {} ({}) of another tree lies inside a directory to delete",
            catalog.id,
            shown_path(Path::new(&catalog.path))
        );
        return Err(ApiError::DeleteFailed);
    }
    let Some(parent) = db::catalogs::by_id(tx, catalog.parent_id)? else {
        log::error!(
            "catalog {} ({}) must be rescued but its parent {} is missing",
            catalog.id,
            shown_path(Path::new(&catalog.path)),
            catalog.parent_id
        );
        return Err(ApiError::DeleteFailed);
    };
    let old_name = catalog.display_name();
    let stem = safe_path::sanitized_stem(&old_name);
    let stem = if stem.is_empty() { FALLBACK_NAME.to_string() } else { stem };
    let new_dir = rescue_dir(disk, Path::new(&parent.path), &stem)?;
    match std::fs::read_dir(&catalog.path) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                if entry.file_type()?.is_file() {
                    disk.move_file(entry.path(), new_dir.join(entry.file_name()));
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

/// `stem`, then `stem_0`, `stem_1`, … : the first name that is free inside `parent`, claimed.
fn rescue_dir(disk: &mut DiskPlan, parent: &Path, stem: &str) -> Result<PathBuf, ApiError> {
    for k in 0..=NAME_ATTEMPTS {
        let name = if k == 0 { stem.to_string() } else { format!("{stem}_{}", k - 1) };
        let path = safe_path::child_of(parent, &name)?;
        if disk.is_free(&path) {
            disk.create_dir(path.clone());
            return Ok(path);
        }
    }
    log::error!("no free name for {stem} in {}", shown_path(parent));
    Err(ApiError::DeleteFailed)
}

/// Step 3 for one file stored in `source` (in S) but logically in a catalog outside S.
fn relocate(
    tx: &Transaction,
    thumbs: &Path,
    source: &Catalog,
    file: &FileRow,
    disk: &mut DiskPlan,
    leftovers: &mut Leftovers,
) -> Result<(), ApiError> {
    let Some(target) = db::catalogs::by_id(tx, file.catalog_id)? else {
        log::warn!("file {} belongs to the missing catalog {}; deleted with its directory", file.id, file.catalog_id);
        leftovers.add_thumbnails(thumbs, file);
        db::edits::delete_file(tx, file.id)?;
        return Ok(());
    };
    let (name, to) = free_name(tx, disk, Path::new(&target.path), target.id, &file.file_name)?;
    let from = safe_path::child_of(Path::new(&source.path), &file.file_name)?;
    if std::fs::symlink_metadata(&from).is_ok() {
        disk.move_file(from, to);
    }
    for level in [Level::Small, Level::Screen] {
        let thumb = levels::thumb_file(thumbs, file.real_catalog_id, file.id, level);
        if std::fs::symlink_metadata(&thumb).is_ok() {
            disk.ensure_dir(levels::thumb_dir(thumbs, target.id));
            disk.move_file(thumb, levels::thumb_file(thumbs, target.id, file.id, level));
        }
    }
    db::edits::relocate_file(tx, file.id, target.id, &name, &file.file_name)?;
    Ok(())
}

/// `name`, or `name` with `_1`, `_2`, … before its last dot: the first that is neither taken in
/// `dir` (on disk or by this request) nor registered for catalog `catalog_id`.
fn free_name(
    tx: &Transaction,
    disk: &DiskPlan,
    dir: &Path,
    catalog_id: i64,
    name: &str,
) -> Result<(String, PathBuf), ApiError> {
    for k in 0..=NAME_ATTEMPTS {
        let candidate = if k == 0 { name.to_string() } else { suffixed(name, k) };
        let path = safe_path::child_of(dir, &candidate)?;
        if disk.is_free(&path) && !db::files::exists_in(tx, catalog_id, &candidate)? {
            return Ok((candidate, path));
        }
    }
    log::error!("no free name for {} in {}", crate::logging::shown(name), shown_path(dir));
    Err(ApiError::DeleteFailed)
}

/// `name` with `_<k>` inserted before its last dot (`a.b.jpg` → `a.b_1.jpg`), or appended when
/// it has none (`name` → `name_1`) — the clash names of protocol §4.8 step 3.
fn suffixed(name: &str, k: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}_{k}.{ext}"),
        None => format!("{name}_{k}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clash_suffixes_go_before_the_last_dot() {
        assert_eq!(super::suffixed("a.b.jpg", 1), "a.b_1.jpg");
        assert_eq!(super::suffixed("name", 2), "name_2");
        assert_eq!(super::suffixed("c.gif", 10), "c_10.gif");
    }
}
