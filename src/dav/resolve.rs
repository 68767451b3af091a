//! The WebDAV tree of one user, as `catalogs.icc` and `files.icc` show it: the user's roots at
//! the top, then each catalog's sub-catalogs and files by their display names. A file on the
//! disk of a catalog's directory that has no row (yet) is *loose*: a temporary upload name, a
//! 0-byte placeholder, a file the scanner has not taken in; WebDAV lists it and lets clients
//! finish, rename or delete it, so the write-to-a-temporary-name-then-rename pattern works.
//! A name on the disk that is the stored name of a row shown elsewhere (or an upload in
//! progress), a directory without a catalog, a symbolic link and the server's own files are
//! *taken*: never served, never overwritten. Nothing of another user's roots is ever reached.

use super::error::DavError;
use crate::api::context::{Ctx, Viewer};
use crate::db::{self, catalogs::Catalog, files::FileRow};
use crate::fs::own_files::canonical;
use crate::fs::safe_path;
use std::collections::HashSet;
use std::path::PathBuf;

/// What a list of names reaches.
#[derive(Debug, Clone)]
pub enum Resource {
    /// `/dav/`: the user's roots.
    Top,
    Folder(Catalog),
    File(FileRow),
    Loose {
        dir: Catalog,
        name: String,
    },
    /// A name in `parent` that is there on the disk but not WebDAV's to serve or replace.
    Taken,
    /// Nothing yet by that name in folder `parent`.
    Absent {
        parent: Catalog,
        name: String,
    },
}

impl Resource {
    pub fn is_collection(&self) -> bool {
        matches!(self, Resource::Top | Resource::Folder(_))
    }

    pub fn exists(&self) -> bool {
        !matches!(self, Resource::Absent { .. } | Resource::Taken)
    }
}

/// What `names` reach for `viewer`; None when a level above the last is not a folder (so
/// nothing can be made there: 409 for writes, 404 for reads).
pub fn resolve(ctx: &Ctx, viewer: &Viewer, names: &[String]) -> Result<Option<Resource>, DavError> {
    let Some((first, rest)) = names.split_first() else { return Ok(Some(Resource::Top)) };
    let Some(mut folder) = roots(ctx, viewer)?.into_iter().find(|root| root.display_name() == *first) else {
        return Ok(None);
    };
    for (i, name) in rest.iter().enumerate() {
        let child = db::dav::child_catalogs(ctx.db, folder.id)?
            .into_iter()
            .find(|c| viewer.sees_root(c.root_id) && c.display_name() == *name);
        match child {
            Some(child) => folder = child,
            None if i + 1 == rest.len() => return in_folder(ctx, folder, name).map(Some),
            None => return Ok(None),
        }
    }
    Ok(Some(Resource::Folder(folder)))
}

/// The user's roots, by id, one per display name.
pub fn roots(ctx: &Ctx, viewer: &Viewer) -> Result<Vec<Catalog>, DavError> {
    let mut seen = HashSet::new();
    let roots = db::dav::catalogs_with_ids(ctx.db, &viewer.roots)?;
    Ok(roots.into_iter().filter(|root| seen.insert(root.display_name())).collect())
}

/// What `name` is in `folder`, which has no sub-catalog of that name.
fn in_folder(ctx: &Ctx, folder: Catalog, name: &str) -> Result<Resource, DavError> {
    if let Some(row) = db::dav::file_shown_as(ctx.db, folder.id, name)? {
        return Ok(Resource::File(row));
    }
    let path = disk_path(&folder, name)?;
    let Ok(metadata) = std::fs::symlink_metadata(&path) else {
        return Ok(Resource::Absent { parent: folder, name: name.to_string() });
    };
    let taken = !metadata.is_file()
        || db::files::exists_in(ctx.db, folder.id, name)?
        || ctx.app.own_files.file_at(&path).is_some();
    Ok(if taken { Resource::Taken } else { Resource::Loose { dir: folder, name: name.to_string() } })
}

/// Where `name` is on the disk in `folder`'s directory (one plain component, checked).
pub fn disk_path(folder: &Catalog, name: &str) -> Result<PathBuf, DavError> {
    safe_path::child_of(std::path::Path::new(&folder.path), name).map_err(|_| DavError::BadRequest)
}

/// The physical file of a row.
pub fn file_path(ctx: &Ctx, row: &FileRow) -> Result<PathBuf, DavError> {
    let catalog = db::catalogs::by_id(ctx.db, row.real_catalog_id)?.ok_or(DavError::NotFound)?;
    safe_path::child_of(std::path::Path::new(&catalog.path), &row.file_name).map_err(|_| DavError::Internal)
}

/// One member of a folder, as a listing shows it.
pub enum Member {
    Folder(Catalog),
    File(FileRow),
    Loose(String),
}

impl Member {
    pub fn name(&self) -> String {
        match self {
            Member::Folder(catalog) => catalog.display_name(),
            Member::File(row) => row.display_name().to_string(),
            Member::Loose(name) => name.clone(),
        }
    }
}

/// The members of `folder`: its sub-catalogs, its files, then its loose files, one per name
/// (the first by id wins, as `resolve` finds them).
pub fn members(ctx: &Ctx, viewer: &Viewer, folder: &Catalog) -> Result<Vec<Member>, DavError> {
    let mut seen = HashSet::new();
    let mut members = Vec::new();
    for catalog in db::dav::child_catalogs(ctx.db, folder.id)? {
        if viewer.sees_root(catalog.root_id) && seen.insert(catalog.display_name()) {
            members.push(Member::Folder(catalog));
        }
    }
    for row in db::dav::files_of(ctx.db, folder.id)? {
        if seen.insert(row.display_name().to_string()) {
            members.push(Member::File(row));
        }
    }
    let stored: HashSet<String> = db::dav::stored_names(ctx.db, folder.id)?.into_iter().collect();
    let real_dir = canonical(std::path::Path::new(&folder.path));
    let Ok(entries) = std::fs::read_dir(&folder.path) else { return Ok(members) };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else { continue };
        let regular = entry.file_type().is_ok_and(|kind| kind.is_file());
        let own = ctx.app.own_files.file(&real_dir.join(&name)).is_some();
        if regular && !own && !stored.contains(&name) && seen.insert(name.clone()) {
            members.push(Member::Loose(name));
        }
    }
    Ok(members)
}
