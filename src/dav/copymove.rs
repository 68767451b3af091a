//! COPY and MOVE (RFC 4918 §9.8–9.9): Destination on this server under `/dav/` (another host
//! is 502), its parent an existing folder (409), Overwrite honoured (an existing destination
//! with `Overwrite: F` is 412, else it is deleted first and the answer is 204), a collection
//! never copied or moved into itself (403), a root never moved or replaced. A moved file keeps
//! its row, so its id, share links and help info stay (its thumbnails are dropped and rebuilt
//! from the new place); a moved folder keeps its catalogs and rows; a loose file moved to a
//! final name (the temporary-name-then-rename pattern) is taken into the catalog there. Copies
//! are written like a PUT (temporary file, fsync, rename) and taken in by the scanner's code.

use super::error::DavError;
use super::locking::{check_write, parent_key};
use super::resolve::{self, Resource};
use super::write::{self, Landing};
use super::{href, Target};
use crate::api::context::{Ctx, Viewer};
use crate::api::resolve::resolve_physical;
use crate::clock;
use crate::db::{self, catalogs::Catalog};
use crate::fs::open::{self, Inside, Mode};
use crate::fs::paths;
use crate::http::{Reply, Request};
use crate::scan;
use crate::thumb_cache::levels::{self, Level};
use std::fs::File;
use std::path::{Path, PathBuf};

pub fn copy_or_move(
    ctx: &mut Ctx,
    viewer: &Viewer,
    target: &Target,
    request: &Request,
    moving: bool,
) -> Result<Reply, DavError> {
    let source = target.resource.clone().filter(Resource::exists).ok_or(DavError::NotFound)?;
    let is_root = matches!(&source, Resource::Folder(folder) if folder.is_root());
    if matches!(source, Resource::Top) || (moving && is_root) {
        return Err(DavError::Forbidden);
    }
    let header = request.header("Destination").ok_or(DavError::BadRequest)?;
    let names = href::destination(header, request.header("Host"))?;
    if names == target.names || (source.is_collection() && names.starts_with(&target.names)) {
        return Err(DavError::Forbidden); // onto itself, or into itself
    }
    let (last, above) = names.split_last().ok_or(DavError::Forbidden)?;
    let Some(Resource::Folder(parent)) = resolve::resolve(ctx, viewer, above)? else {
        return Err(if above.is_empty() { DavError::Forbidden } else { DavError::Conflict });
    };
    let existing = resolve::resolve(ctx, viewer, &names)?.ok_or(DavError::Conflict)?;
    let destination = Target { names: names.clone(), resource: Some(existing.clone()), depth: None };
    let source_parent = if moving { vec![(parent_key(&target.names), false)] } else { Vec::new() };
    if moving {
        check_write(ctx, request, target, &source_parent)?;
    }
    check_write(ctx, request, &destination, &[(parent_key(&names), false)])?;
    let existed = existing.exists();
    let overwrite = !request.header("Overwrite").is_some_and(|o| o.trim().eq_ignore_ascii_case("F"));
    if matches!(existing, Resource::Taken) || matches!(&existing, Resource::Folder(f) if f.is_root()) {
        return Err(DavError::Forbidden);
    }
    if existed && !overwrite {
        return Err(DavError::PreconditionFailed);
    }
    let app = ctx.app;
    let _tree = app.lock_tree();
    if existed {
        write::remove(ctx, viewer, &existing)?;
        ctx.app.dav_locks.forget(&destination.key());
    }
    let landing = Landing { dir: parent, name: last.clone(), existed: false };
    match (&source, moving) {
        (Resource::Folder(folder), true) => move_folder(ctx, folder, &landing)?,
        (Resource::Folder(folder), false) => copy_folder(ctx, folder, &landing, target.depth.as_deref() == Some("0"))?,
        (_, true) => move_file(ctx, &source, &landing)?,
        (_, false) => copy_file(ctx, &source, &landing)?,
    }
    if moving {
        ctx.app.dav_locks.forget(&target.key());
    }
    Ok(super::empty(if existed { 204 } else { 201 }))
}

/// Where a file resource is on the disk.
fn source_path(ctx: &Ctx, source: &Resource) -> Result<PathBuf, DavError> {
    match source {
        Resource::File(row) => resolve::file_path(ctx, row),
        Resource::Loose { dir, name } => resolve::disk_path(dir, name),
        _ => Err(DavError::NotFound),
    }
}

fn move_file(ctx: &Ctx, source: &Resource, landing: &Landing) -> Result<(), DavError> {
    let from = source_path(ctx, source)?;
    let to = resolve::disk_path(&landing.dir, &landing.name)?;
    if ctx.app.own_files.file_at(&to).is_some() {
        return Err(DavError::Forbidden);
    }
    std::fs::rename(&from, &to)?;
    if let Resource::File(row) = source {
        db::dav::move_file(ctx.db, row.id, &landing.dir, &landing.name, clock::now())?;
        for level in [Level::Small, Level::Screen] {
            let _ = std::fs::remove_file(levels::thumb_file(
                &ctx.app.config.thumb_path,
                row.real_catalog_id,
                row.id,
                level,
            ));
        }
    }
    if let Some(parent) = from.parent() {
        crate::fs::upload::placeholder::sync_dir(parent);
    }
    write::take_in(ctx, &landing.dir, &landing.name)
}

fn copy_file(ctx: &Ctx, source: &Resource, landing: &Landing) -> Result<(), DavError> {
    let mut from = open_source(ctx, source)?;
    write::write_atomically(ctx, landing, None, |to| {
        std::io::copy(&mut from, to)?;
        Ok(())
    })?;
    write::take_in(ctx, &landing.dir, &landing.name)
}

/// Opens a file resource for reading, as a download would.
fn open_source(ctx: &Ctx, source: &Resource) -> Result<File, DavError> {
    match source {
        Resource::File(row) => Ok(resolve_physical(ctx, row.clone())?.file),
        Resource::Loose { dir, name } => {
            let root = PathBuf::from(paths::root_of(ctx.db, dir)?);
            Ok(open::open(&Inside { root, path: resolve::disk_path(dir, name)? }, Mode::Read)?)
        }
        _ => Err(DavError::NotFound),
    }
}

fn move_folder(ctx: &mut Ctx, folder: &Catalog, landing: &Landing) -> Result<(), DavError> {
    let to = resolve::disk_path(&landing.dir, &landing.name)?;
    let to_text = to.to_str().ok_or(DavError::BadRequest)?.to_string();
    std::fs::rename(&folder.path, &to)?;
    let (id, root) = (folder.id, landing.dir.root_id);
    let moved = db::in_transaction(ctx.db, |tx| {
        db::disk::move_tree(tx, &folder.path, &to_text, landing.dir.id)?;
        db::dav::clear_catalog_name(tx, id)?;
        if folder.root_id != root {
            db::edits::move_subtree_to_root(tx, id, root)?;
        }
        Ok::<_, rusqlite::Error>(())
    });
    if let Err(e) = moved {
        let _ = std::fs::rename(&to, &folder.path); // the rows still name the old place
        return Err(e.into());
    }
    crate::fs::upload::placeholder::sync_dir(Path::new(&landing.dir.path));
    Ok(())
}

/// Copies a folder: with `shallow` (Depth 0) only the folder itself, else its whole tree on the
/// disk (symbolic links and the server's own files left out), then taken in by the scanner.
fn copy_folder(ctx: &mut Ctx, folder: &Catalog, landing: &Landing, shallow: bool) -> Result<(), DavError> {
    let made = write::make_folder(ctx, &landing.dir, &landing.name)?;
    if shallow {
        return Ok(());
    }
    copy_tree(ctx, Path::new(&folder.path), Path::new(&made.path), 0)?;
    scan::take_in_dir(ctx.db, &ctx.app.config, Path::new(&made.path))?;
    Ok(())
}

/// Deepest directory tree a COPY walks.
const MAX_COPY_DEPTH: usize = 64;

fn copy_tree(ctx: &Ctx, from: &Path, to: &Path, depth: usize) -> Result<(), DavError> {
    if depth > MAX_COPY_DEPTH {
        return Err(DavError::Forbidden);
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let (source, copy) = (entry.path(), to.join(entry.file_name()));
        if kind.is_dir() && ctx.app.own_files.dir(&paths_canonical(&source)).is_none() {
            std::fs::create_dir(&copy)?;
            copy_tree(ctx, &source, &copy, depth + 1)?;
        } else if kind.is_file() && ctx.app.own_files.file_at(&source).is_none() {
            let mut input = File::open(&source)?;
            let mut output = std::fs::OpenOptions::new().write(true).create_new(true).open(&copy)?;
            std::io::copy(&mut input, &mut output)?;
            output.sync_all()?;
        }
    }
    Ok(())
}

fn paths_canonical(path: &Path) -> PathBuf {
    crate::fs::own_files::canonical(path)
}
