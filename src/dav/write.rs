//! GET and HEAD, PUT, MKCOL and DELETE on the WebDAV tree. Files go out through the download's
//! Range-aware reply, opened by `fs::open` (no symbolic link followed out of a root). A PUT
//! streams its body (chunked or not, any length) into a temporary dot-file beside its target,
//! which the scanner never takes in, fsyncs it, renames it over the target and fsyncs the
//! directory, and only then answers; a body that ends early leaves the old file as it was and
//! no row. The file then enters the catalog at once through the scanner's own code path
//! (`scan::take_in_file`): metadata, capture date, thumbnails dropped when it changed. Partial
//! names and 0-byte files wait as loose files for the write or rename that completes them.
//! MKCOL makes a directory and its catalog; DELETE goes through the API's own deletions.

use super::error::DavError;
use super::locking::{check_write, parent_key};
use super::resolve::{self, Resource};
use super::Target;
use crate::api::context::{Ctx, Viewer};
use crate::api::resolve::resolve_physical;
use crate::clock;
use crate::db::{self, catalogs::Catalog, catalogs::NewCatalog};
use crate::fs::open::{self, Inside, Mode};
use crate::fs::safe_path::sanitize;
use crate::fs::upload::placeholder::sync_dir;
use crate::fs::{paths, tree};
use crate::http::{Reply, Request};
use crate::media::kind::content_type_for_name;
use crate::random;
use crate::scan;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// Bytes read from the request and written to the file per round.
const PUT_CHUNK: usize = 256 * 1024;

pub fn get(ctx: &Ctx, target: &Target, request: &Request) -> Result<Reply, DavError> {
    let (file, name) = match target.resource.as_ref().ok_or(DavError::NotFound)? {
        Resource::Top | Resource::Folder(_) => {
            return Ok(Reply::text(200, "This is a WebDAV folder: open it with a WebDAV client.\n"));
        }
        Resource::File(row) => (resolve_physical(ctx, row.clone())?.file, row.display_name().to_string()),
        Resource::Loose { dir, name } => (open_inside(ctx, dir, name, Mode::Read)?, name.clone()),
        Resource::Taken | Resource::Absent { .. } => return Err(DavError::NotFound),
    };
    Ok(Reply::file(file, content_type_for_name(&name), request.header("Range"))?)
}

/// Opens `name` in `dir`'s directory through `fs::open`, inside the directory's media root.
pub fn open_inside(ctx: &Ctx, dir: &Catalog, name: &str, mode: Mode) -> Result<File, DavError> {
    let place = Inside { root: PathBuf::from(paths::root_of(ctx.db, dir)?), path: resolve::disk_path(dir, name)? };
    Ok(open::open(&place, mode)?)
}

/// Where a write lands: the directory's catalog, the name on the disk, and whether something
/// was there.
pub struct Landing {
    pub dir: Catalog,
    pub name: String,
    pub existed: bool,
}

/// Where a PUT (or the destination of a COPY or MOVE) writes `resource`; None for a
/// collection, which a file cannot replace.
pub fn landing(ctx: &Ctx, resource: &Resource) -> Result<Landing, DavError> {
    match resource {
        Resource::Top | Resource::Folder(_) => Err(DavError::MethodNotAllowed),
        Resource::Taken => Err(DavError::Locked),
        Resource::File(row) => {
            let dir = db::catalogs::by_id(ctx.db, row.real_catalog_id)?.ok_or(DavError::NotFound)?;
            Ok(Landing { dir, name: row.file_name.clone(), existed: true })
        }
        Resource::Loose { dir, name } => Ok(Landing { dir: dir.clone(), name: name.clone(), existed: true }),
        Resource::Absent { parent, name } => {
            if sanitize(name).is_empty() {
                return Err(DavError::Forbidden); // a name the §3.7 sanitiser reduces to nothing
            }
            Ok(Landing { dir: parent.clone(), name: name.clone(), existed: false })
        }
    }
}

pub fn put(ctx: &mut Ctx, target: &Target, request: &mut Request) -> Result<Reply, DavError> {
    let resource = target.resource.as_ref().ok_or(DavError::Conflict)?;
    let landing = landing(ctx, resource)?;
    check_write(ctx, request, target, &[(parent_key(&target.names), false)])?;
    let declared = request.declared_body_length();
    let mtime = request.header("X-OC-Mtime").and_then(|t| t.trim().parse::<i64>().ok());
    write_atomically(ctx, &landing, mtime, |file| {
        let written = copy_body(&mut request.body(), file)?;
        if declared.is_some_and(|declared| declared != written) {
            return Err(DavError::BadRequest); // the client went away midway
        }
        Ok(())
    })?;
    take_in(ctx, &landing.dir, &landing.name)?;
    Ok(super::empty(if landing.existed { 204 } else { 201 }))
}

/// Writes a file at `landing` through a temporary file beside it: `fill` writes the content,
/// which is then fsynced (and given modification time `mtime`, Unix seconds, when asked) and
/// renamed into place, and the directory fsynced. On any failure the temporary file is removed
/// and what was at the landing is untouched.
pub fn write_atomically(
    ctx: &Ctx,
    landing: &Landing,
    mtime: Option<i64>,
    fill: impl FnOnce(&mut File) -> Result<(), DavError>,
) -> Result<(), DavError> {
    let final_path = resolve::disk_path(&landing.dir, &landing.name)?;
    if ctx.app.own_files.file_at(&final_path).is_some() {
        return Err(DavError::Forbidden);
    }
    let temp_name = format!(".isync-put-{}", random::hex_token::<8>());
    let temp_path = resolve::disk_path(&landing.dir, &temp_name)?;
    let mut file = open_inside(ctx, &landing.dir, &temp_name, Mode::Write)?;
    let written = fill(&mut file).and_then(|()| {
        if let Some(mtime) = mtime.and_then(|t| u64::try_from(t).ok()) {
            file.set_modified(UNIX_EPOCH + Duration::from_secs(mtime))?;
        }
        file.sync_all()?;
        drop(file);
        Ok(std::fs::rename(&temp_path, &final_path)?)
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp_path);
        return Err(e);
    }
    sync_dir(Path::new(&landing.dir.path));
    Ok(())
}

/// Copies the request body into `file`; the number of bytes copied.
fn copy_body(body: &mut impl Read, file: &mut File) -> Result<u64, DavError> {
    let mut chunk = vec![0u8; PUT_CHUNK];
    let mut written = 0u64;
    loop {
        let n = match body.read(&mut chunk) {
            Ok(0) => return Ok(written),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::debug!("WebDAV: a body ended early: {e}");
                return Err(DavError::BadRequest);
            }
        };
        file.write_all(&chunk[..n])?;
        written += n as u64;
    }
}

/// Takes a file just written into the catalog, unless it is empty (a placeholder that a later
/// write fills) or has a partial name.
pub fn take_in(ctx: &Ctx, dir: &Catalog, name: &str) -> Result<(), DavError> {
    let empty =
        resolve::disk_path(dir, name).ok().and_then(|p| std::fs::symlink_metadata(p).ok()).is_none_or(|m| m.len() == 0);
    if !empty {
        scan::take_in_file(ctx.db, &ctx.app.config.thumb_path, dir, name)?;
    }
    Ok(())
}

pub fn mkcol(ctx: &mut Ctx, target: &Target, request: &Request) -> Result<Reply, DavError> {
    if request.declared_body_length().unwrap_or(0) > 0 || request.header("Transfer-Encoding").is_some() {
        return Err(DavError::UnsupportedMediaType);
    }
    let Resource::Absent { parent, name } = target.resource.as_ref().ok_or(DavError::Conflict)? else {
        return Err(DavError::MethodNotAllowed);
    };
    if sanitize(name).is_empty() {
        return Err(DavError::Forbidden);
    }
    check_write(ctx, request, target, &[(parent_key(&target.names), false)])?;
    let app = ctx.app;
    let _tree = app.lock_tree();
    make_folder(ctx, parent, name)?;
    Ok(super::empty(201))
}

/// Makes directory `name` in `parent`'s directory and its catalog; the catalog.
pub fn make_folder(ctx: &Ctx, parent: &Catalog, name: &str) -> Result<Catalog, DavError> {
    let path = resolve::disk_path(parent, name)?;
    let text = path.to_str().ok_or(DavError::BadRequest)?.to_string();
    std::fs::create_dir(&path)?;
    let now = clock::now();
    let new = NewCatalog {
        path: &text,
        parent: Some((parent.id, parent.root_id)),
        name: None,
        create_time: now,
        last_modify_time: now,
    };
    match db::catalogs::insert(ctx.db, &new) {
        Ok(catalog) => Ok(catalog),
        Err(e) => {
            let _ = std::fs::remove_dir(&path);
            Err(e.into())
        }
    }
}

pub fn delete(ctx: &mut Ctx, viewer: &Viewer, target: &Target, request: &Request) -> Result<Reply, DavError> {
    let resource = target.resource.as_ref().ok_or(DavError::NotFound)?;
    if !resource.exists() {
        return Err(DavError::NotFound);
    }
    check_write(ctx, request, target, &[(parent_key(&target.names), false)])?;
    let app = ctx.app;
    let _tree = app.lock_tree();
    remove(ctx, viewer, resource)?;
    ctx.app.dav_locks.forget(&target.key());
    Ok(super::empty(204))
}

/// Removes a resource from the disk and the catalog (a root, or the top, never). The caller
/// holds the tree lock.
pub fn remove(ctx: &mut Ctx, viewer: &Viewer, resource: &Resource) -> Result<(), DavError> {
    match resource {
        Resource::Top => Err(DavError::Forbidden),
        Resource::Folder(folder) if folder.is_root() => Err(DavError::Forbidden),
        Resource::Folder(folder) => Ok(tree::delete_catalogs(ctx.db, &ctx.app.config, &viewer.roots, &[folder.id])?),
        Resource::File(row) => Ok(tree::delete_files(ctx.db, &ctx.app.config.thumb_path, &viewer.roots, &[row.id])?),
        Resource::Loose { dir, name } => Ok(std::fs::remove_file(resolve::disk_path(dir, name)?)?),
        Resource::Taken | Resource::Absent { .. } => Err(DavError::NotFound),
    }
}
