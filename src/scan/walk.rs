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
//!   disk not mounted) is *offline*: nothing under it is changed, and it is said so; so is a
//!   folder that was another disk mounted inside a root and is gone;
//! - an incremental look (the server's, between full ones) lists a directory again only when its
//!   stamp (modification time and inode, on file systems that keep them faithfully) differs from
//!   the one of its last complete listing that left nothing pending, or when the watches saw
//!   something happen in it; its known sub-directories are visited all the same;
//! - uploads in progress (any status 2) are never touched, and a file still being written
//!   (modified within the look's settle time, or named like a partial download) waits for a
//!   later look.
//!
//! Dot-entries are skipped, directory symlinks are never followed, file symlinks are taken only
//! when they resolve inside the same root. The server's own files (`fs::own_files`: the app
//! dir, the thumbnail cache, the log) are never indexed: a root that is one of them is refused,
//! and one met inside a root is skipped with its subtree; a root met inside another is left to
//! its own walk. The disk is read and files are probed outside write transactions, which
//! `writer` keeps short (`changes` has the decisions beyond new files). Prints progress on
//! stderr.

use super::changes::{self, is_partial, is_unsettled, say};
use super::writer::Writer;
use super::Progress;
use crate::clock;
use crate::db::disk::{self, Kept, KnownCatalog, KnownFile, Reprobed};
use crate::db::{self, catalogs::Catalog, catalogs::NewCatalog, files::ScannedFile};
use crate::fs::own_files::{self, OwnFiles};
use crate::fs::paths::earliest_time;
use crate::logging::shown_path;
use crate::media::name_date::taken_from_name;
use crate::media::probe;
use crate::model::file_type;
use rusqlite::{Connection, Transaction};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::DirEntry;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a look treats what it meets.
pub struct Look<'a> {
    pub own: &'a OwnFiles,
    /// The thumbnail cache, whose files follow the rows they belong to.
    pub thumbs: &'a Path,
    /// An explicit `isync scan` accepts a root found on another device than before (the
    /// operator moved the library); the server's sweeps take it for a disk that is not mounted.
    pub accept_new_device: bool,
    /// A file or folder modified less than this long ago is still being written: a later look
    /// takes it.
    pub settle: Duration,
    /// How long after the first look that missed a file or folder a later one may remove it (a
    /// disk that went away for a moment, a USB reset, must not cost the library).
    pub removal_delay: Duration,
    /// An incremental look (the server's sweeps between full ones): a directory whose stamp
    /// (`fs::paths::listing_stamp`) is the one of its last complete listing, and whose catalog
    /// is not among these (where the watches saw something happen, a file written in place too),
    /// is not listed again; its known sub-directories are still visited. `None`: a full look.
    pub changed_dirs: Option<&'a HashSet<i64>>,
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
    let catalog = match db::catalogs::by_path(conn, text)? {
        Some(known) => known,
        None => db::in_transaction(conn, |tx| register(tx, text))?,
    };
    let entry_root = catalog.is_root().then_some(catalog.id);
    match changes::offline(conn, &catalog, look)? {
        Some(why) => {
            progress.offline += 1;
            say(&format!("{} is offline ({why}): nothing under it is changed", shown_path(path)));
        }
        None => walk(conn, catalog, real, look, progress)?,
    }
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

/// A directory waiting in the walk's queue: its catalog is read when its turn comes (the API
/// may have deleted or moved it meanwhile).
struct Queued {
    id: i64,
    path: String,
    real: PathBuf,
}

/// What the walk found in one directory.
struct Listing {
    /// Paths of the sub-directories present (walked, or left to their own walk or as offline).
    dirs: HashSet<String>,
    /// False when an entry could not be read or looked at: then nothing counts as missing.
    complete: bool,
    /// True when an entry was left for a later look that the directory's stamp would not show
    /// (an upload in progress).
    pending: bool,
}

/// Breadth-first walk from `top` (whose canonical path is `root_dir`); what went missing for
/// good is removed at the end, once every folder moved inside the tree has been found.
fn walk(
    conn: &Connection,
    top: Catalog,
    root_dir: PathBuf,
    look: &Look,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    let mut w = Writer::new(conn);
    let top_id = top.id;
    let mut queue = VecDeque::from([Queued { id: top.id, path: top.path, real: root_dir.clone() }]);
    let mut doomed = Vec::new();
    while let Some(queued) = queue.pop_front() {
        // Once per look, even where the configuration names a folder inside another one.
        if !progress.walked.insert(queued.id) {
            continue;
        }
        progress.directories += 1;
        let Some(catalog) = db::catalogs::by_id(w.conn(), queued.id)?.filter(|c| c.path == queued.path) else {
            continue; // deleted or moved by the API since it was queued
        };
        let dir = Dir { catalog, real: queued.real };
        let stamp = crate::fs::paths::listing_stamp(&dir.catalog.path);
        let listed = disk::listed_stamp(w.conn(), dir.catalog.id)?;
        if stamp.is_some() && stamp == listed && dir.catalog.id != top_id && unchanged_for(look, dir.catalog.id) {
            progress.unchanged += 1;
            visit_known_dirs(&mut w, &dir, look, &mut queue, progress)?;
            continue;
        }
        let pending_before = (progress.unsettled, progress.missing);
        let entries = match std::fs::read_dir(&dir.catalog.path) {
            Ok(entries) => entries,
            Err(e) => {
                // Unreadable for now: nothing in it counts as missing.
                eprintln!("scan: cannot read {}: {e}", shown_path(Path::new(&dir.catalog.path)));
                continue;
            }
        };
        let dir_device = std::fs::metadata(&dir.catalog.path).ok().map(|m| m.dev() as i64);
        let mut known: HashMap<String, KnownFile> =
            disk::files_in(w.conn(), dir.catalog.id)?.into_iter().map(|f| (f.file_name.clone(), f)).collect();
        let mut subs: HashMap<String, KnownCatalog> =
            disk::sub_catalogs(w.conn(), &dir.catalog.path)?.into_iter().map(|c| (c.path.clone(), c)).collect();
        let mut listing = Listing { dirs: HashSet::new(), complete: true, pending: false };
        for entry in entries {
            let Ok(entry) = entry else {
                eprintln!("scan: cannot read all of {}", shown_path(Path::new(&dir.catalog.path)));
                listing.complete = false;
                break;
            };
            let walked = Walked { root_dir: &root_dir, look };
            visit(&mut w, &dir, &entry, &walked, &mut known, &subs, &mut listing, &mut queue, progress)?;
            w.commit_if_due()?;
            progress.tick();
        }
        if listing.complete {
            subs.retain(|path, _| !listing.dirs.contains(path));
            let (files, dirs) = (known.into_values(), subs.into_values());
            changes::missed(&mut w, &dir.catalog, dir_device, files, dirs, look, progress, &mut doomed)?;
        }
        // The next look may trust this listing only if it left nothing for a later look.
        let settled = listing.complete && !listing.pending && (progress.unsettled, progress.missing) == pending_before;
        let stamp = stamp.filter(|_| settled);
        if stamp != listed {
            w.write(|c| disk::set_listed_stamp(c, dir.catalog.id, stamp))?;
        }
    }
    changes::remove_doomed(&mut w, doomed, look, progress)?;
    w.commit()
}

/// True when an incremental look may leave catalog `id`'s directory unlisted (its stamp being
/// the one of its last listing): the watches saw nothing happen in it.
fn unchanged_for(look: &Look, id: i64) -> bool {
    look.changed_dirs.is_some_and(|changed| !changed.contains(&id))
}

/// The known sub-directories of a directory that is not listed again: each is visited as if the
/// listing had met it (a disk no longer mounted there is offline, a moved one is noticed by its
/// own parent's stamp), so the walk goes on below.
fn visit_known_dirs(
    w: &mut Writer,
    dir: &Dir,
    look: &Look,
    queue: &mut VecDeque<Queued>,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    let subs: HashMap<String, KnownCatalog> =
        disk::sub_catalogs(w.conn(), &dir.catalog.path)?.into_iter().map(|c| (c.path.clone(), c)).collect();
    let mut listing = Listing { dirs: HashSet::new(), complete: true, pending: false };
    for path in subs.keys() {
        let Some(name) = Path::new(path).file_name() else { continue };
        let real = dir.real.join(name);
        visit_dir(w, &dir.catalog, path.clone(), real, look, &subs, &mut listing, queue, progress)?;
    }
    Ok(())
}

/// What every entry of one walk is checked against.
struct Walked<'a> {
    root_dir: &'a Path,
    look: &'a Look<'a>,
}

/// Handles one directory entry. A known file met here is taken out of `known`, so that what is
/// left there at the end of the directory was not found; a sub-directory met here goes into the
/// listing.
#[allow(clippy::too_many_arguments)]
fn visit(
    w: &mut Writer,
    dir: &Dir,
    entry: &DirEntry,
    walked: &Walked,
    known: &mut HashMap<String, KnownFile>,
    subs: &HashMap<String, KnownCatalog>,
    listing: &mut Listing,
    queue: &mut VecDeque<Queued>,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    let (real_dir, catalog) = (&dir.real, &dir.catalog);
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        eprintln!("scan: skipped a name that is not UTF-8 in {}", shown_path(Path::new(&catalog.path)));
        return Ok(());
    };
    if name.starts_with('.') {
        return Ok(());
    }
    let Ok(kind) = entry.file_type() else {
        listing.complete = false;
        return Ok(());
    };
    let path = format!("{}/{name}", catalog.path.trim_end_matches('/'));
    let real = real_dir.join(name);
    if kind.is_dir() {
        return visit_dir(w, catalog, path, real, walked.look, subs, listing, queue, progress);
    }
    let is_file = if kind.is_symlink() {
        symlink_to_file_inside(Path::new(&path), walked)
    } else {
        kind.is_file() && walked.look.own.file(&real).is_none()
    };
    if !is_file {
        return Ok(());
    }
    let file = known.remove(name); // present, whatever follows
    if is_partial(name) {
        return Ok(());
    }
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()), // gone since the listing
        Err(_) => {
            listing.complete = false;
            return Ok(());
        }
    };
    let (size, mtime) = (metadata.len() as i64, metadata.mtime());
    if let Some(file) = file.as_ref().filter(|f| f.missing > 0) {
        w.write(|c| disk::found(c, Kept::File, file.id))?;
    }
    if file.as_ref().is_some_and(|f| f.probed == Some((size, mtime))) {
        progress.skipped += 1;
        return Ok(());
    }
    if file.is_none() && db::files::exists_in(w.conn(), catalog.id, name)? {
        progress.skipped += 1; // an upload in progress
        listing.pending = true;
        return Ok(());
    }
    // New, or changed since its last probe: only once it has stopped changing.
    if is_unsettled(mtime, walked.look.settle) {
        progress.unsettled += 1;
        return Ok(());
    }
    match file {
        Some(file) => reprobe(w, catalog, &file, Path::new(&path), (size, mtime), walked.look.thumbs, progress),
        None => {
            insert_file(w, catalog, name, Path::new(&path), (size, mtime))?;
            progress.files += 1;
            Ok(())
        }
    }
}

/// A sub-directory: a known one is walked (unless it is a root, walked on its own, or a disk
/// that is not mounted); a new one becomes a catalog (or is a known one moved here) once it has
/// stopped changing.
#[allow(clippy::too_many_arguments)]
fn visit_dir(
    w: &mut Writer,
    parent: &Catalog,
    path: String,
    real: PathBuf,
    look: &Look,
    subs: &HashMap<String, KnownCatalog>,
    listing: &mut Listing,
    queue: &mut VecDeque<Queued>,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    if let Some(own) = look.own.dir(&real) {
        eprintln!("scan: {} is {}; not indexed", shown_path(Path::new(&path)), own.describe());
        return Ok(());
    }
    let Ok(metadata) = std::fs::symlink_metadata(&path) else {
        listing.complete = false;
        return Ok(());
    };
    let identity = (metadata.dev() as i64, metadata.ino() as i64);
    listing.dirs.insert(path.clone());
    let id = match subs.get(&path) {
        Some(known) if known.is_root() => return Ok(()),
        Some(known) => {
            // Even for the operator: a disk mounted inside a root is accepted only as it was.
            if known.device.is_some_and(|device| device != identity.0) {
                progress.offline += 1;
                say(&format!(
                    "{} is on another device than before (a disk not mounted?): offline",
                    shown_path(Path::new(&path))
                ));
                return Ok(());
            }
            if known.missing > 0 {
                w.write(|c| disk::found(c, Kept::Catalog, known.id))?;
            }
            if (known.device, known.inode) != (Some(identity.0), Some(identity.1)) {
                w.write(|c| disk::set_identity(c, known.id, identity.0, identity.1))?;
            }
            known.id
        }
        None if is_unsettled(metadata.mtime(), look.settle) => {
            progress.unsettled += 1; // just made, perhaps by the API, which adds its own row
            return Ok(());
        }
        None => {
            let catalog = match changes::moved_here(w, &path, parent, identity)? {
                Some(moved) => moved,
                None => w.write(|c| db::catalogs::insert(c, &child_catalog(&path, parent)))?,
            };
            w.write(|c| disk::set_identity(c, catalog.id, identity.0, identity.1))?;
            catalog.id
        }
    };
    queue.push_back(Queued { id, path, real });
    Ok(())
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

/// Probes a new file and inserts its row; its id, None when the probe panicked.
fn insert_file(
    w: &mut Writer,
    dir: &Catalog,
    name: &str,
    path: &Path,
    (size, mtime): (i64, i64),
) -> rusqlite::Result<Option<i64>> {
    let Some(info) = probe_guarded(path, probe::probe) else { return Ok(None) };
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
    w.write(|c| {
        let id = db::files::insert_scanned(c, &file)?;
        disk::record_probed(c, id, size, mtime)?;
        Ok(Some(id))
    })
}

/// Takes in one file that a writer has just put in place in `dir`'s directory (a WebDAV PUT,
/// COPY or MOVE), now, as a look would: a new file is probed and inserted, a known one whose
/// size or time changed is probed again and loses its cached thumbnails. A partial name, a
/// file that is gone or not a regular file, and an upload in progress are left alone. Returns
/// the file's row id, if it has one.
pub fn take_in_file(conn: &Connection, thumbs: &Path, dir: &Catalog, name: &str) -> rusqlite::Result<Option<i64>> {
    if is_partial(name) || name.starts_with('.') {
        return Ok(None);
    }
    let path = PathBuf::from(format!("{}/{name}", dir.path.trim_end_matches('/')));
    let Some(metadata) = std::fs::symlink_metadata(&path).ok().filter(|m| m.is_file()) else { return Ok(None) };
    let stamp = (metadata.len() as i64, metadata.mtime());
    let mut w = Writer::new(conn);
    let mut progress = Progress::new();
    progress.verbose = false;
    let id = match disk::files_in(conn, dir.id)?.into_iter().find(|f| f.file_name == name) {
        Some(file) => {
            if file.probed != Some(stamp) {
                reprobe(&mut w, dir, &file, &path, stamp, thumbs, &mut progress)?;
            }
            Some(file.id)
        }
        None if db::files::exists_in(conn, dir.id, name)? => None,
        None => insert_file(&mut w, dir, name, &path, stamp)?,
    };
    w.commit()?;
    Ok(id)
}

/// When it was taken: as the file says, else as its name says.
fn taken(info: &probe::MediaInfo, name: &str) -> Option<i64> {
    info.taken.or_else(|| taken_from_name(name))
}

/// Probes a known file again: one changed since its last probe takes the new metadata and
/// loses its cached thumbnails; a row no look has probed yet (a database from before) gets what
/// it lacks, which backfills its capture time and place. A probe that cannot read the file
/// changes nothing (a later look tries again).
fn reprobe(
    w: &mut Writer,
    dir: &Catalog,
    file: &KnownFile,
    path: &Path,
    (size, mtime): (i64, i64),
    thumbs: &Path,
    progress: &mut Progress,
) -> rusqlite::Result<()> {
    let probed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe::probe(path)));
    let Ok(Ok(info)) = probed else {
        eprintln!("scan: cannot read {} again; left as it was", shown_path(path));
        return Ok(());
    };
    let changed = file.probed.is_some() || file.size != size;
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
    w.write(|c| {
        disk::update_probed(c, file.id, &update, clock::now())?;
        disk::record_probed(c, file.id, size, mtime)
    })?;
    if changed {
        changes::remove_thumbnails(w, thumbs, dir.id, file.id);
        progress.changed += 1;
    } else {
        progress.skipped += 1;
    }
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
