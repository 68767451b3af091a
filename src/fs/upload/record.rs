//! The database side of an upload (protocol §4.15, §4.17): registering a new file with its
//! placeholder, the targets of a row's three parts, and the status changes around writing them
//! (steps 2 and 5 of the write order in this module's parent).

use super::placeholder;
use super::receive::Outcome;
use super::target::Part;
use crate::db::{self, files::FileRow, uploads::NewUpload};
use crate::error::ApiError;
use crate::fs::open::Inside;
use crate::fs::own_files::OwnFiles;
use crate::fs::paths;
use crate::logging::shown_path;
use crate::model::status;
use crate::thumb_cache::levels::{thumb_file, Level};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// uploadFileInfo: an empty placeholder in catalog `new.catalog_id` (visible, else -10003), then
/// its row (statusForOrigin 2). A row that cannot be written takes its placeholder with it.
/// The caller holds the tree lock, so the directory cannot vanish meanwhile.
pub fn register(conn: &mut Connection, roots: &[i64], mut new: NewUpload) -> Result<FileRow, ApiError> {
    let catalog = db::catalogs::by_id(conn, new.catalog_id)?
        .filter(|c| roots.contains(&c.root_id))
        .ok_or(ApiError::InvalidParameter)?;
    let dir = Path::new(&catalog.path);
    new.file_name = placeholder::create(dir, &new.ext)?;
    new.root_catalog_id = catalog.root_id;
    let id = match db::in_transaction(conn, |tx| db::uploads::insert(tx, &new)) {
        Ok(id) => id,
        Err(e) => {
            log::error!("cannot register upload {} in {}: {e}", new.file_name, shown_path(dir));
            let _ = std::fs::remove_file(dir.join(&new.file_name));
            return Err(ApiError::Internal);
        }
    };
    db::files::by_id(conn, id)?.ok_or(ApiError::Data)
}

/// Where the origin, thumbnail and screen parts of `row` are written, each with the directory it
/// must stay inside (the origin's media root, the thumbnail directory); the origin's is None
/// when its physical catalog row is missing.
pub fn targets(conn: &Connection, thumbs: &Path, row: &FileRow) -> Result<[Option<Inside>; 3], ApiError> {
    let origin = match db::catalogs::by_id(conn, row.real_catalog_id)? {
        Some(catalog) => Some(Inside {
            root: PathBuf::from(paths::root_of(conn, &catalog)?),
            path: paths::physical_file(&catalog.path, &row.file_name),
        }),
        None => None,
    };
    let thumb =
        |level| Inside { root: thumbs.to_path_buf(), path: thumb_file(thumbs, row.real_catalog_id, row.id, level) };
    Ok([origin, Some(thumb(Level::Small)), Some(thumb(Level::Screen))])
}

/// The targets `uploadFile` writes: those of `targets`, refused (-10003, logged) when the origin
/// is one of the server's own files — a row an earlier scan made of a file in the app dir, which
/// an upload would otherwise overwrite (the scan configuration, the database).
pub fn upload_targets(
    conn: &Connection,
    thumbs: &Path,
    own: &OwnFiles,
    row: &FileRow,
) -> Result<[Option<Inside>; 3], ApiError> {
    let targets = targets(conn, thumbs, row)?;
    let origin = targets[Part::Origin.index()].as_ref().map(|target| &target.path);
    if let Some((origin, kind)) = origin.and_then(|o| Some((o, own.file_at(o)?))) {
        log::warn!("upload of file {} refused: its file {} is {}", row.id, shown_path(origin), kind.describe());
        return Err(ApiError::InvalidParameter);
    }
    Ok(targets)
}

/// Step 2: the part's status is 2 on disk before its target changes.
pub fn mark_uploading(conn: &Connection, id: i64, part: Part) -> Result<(), ApiError> {
    let mut parts = [false; 3];
    parts[part.index()] = true;
    Ok(db::uploads::set_statuses(conn, id, parts, status::UPLOADING, None, None)?)
}

/// Step 5 of the write order (protocol §4.17 steps 4–6), once every touched target is synced:
/// a failed upload leaves its touched parts at 2 and answers its error; a finished one sets
/// them to 3 (and `size` to the origin's size on disk) and returns the updated row. A rewritten origin drops the thumbnails the server built
/// from the old content (D21).
pub fn record(conn: &Connection, thumbs: &Path, row: &FileRow, outcome: &Outcome) -> Result<FileRow, ApiError> {
    let now = crate::clock::now();
    if let Some(failure) = &outcome.failure {
        failure.log(row.id);
        if outcome.touched_any() {
            db::uploads::set_statuses(conn, row.id, outcome.touched, status::UPLOADING, None, Some(now))?;
        }
        return Err(failure.api_error());
    }
    if outcome.touched_any() {
        let size = outcome.sizes[Part::Origin.index()].map(|s| i64::try_from(s).unwrap_or(i64::MAX));
        db::uploads::set_statuses(conn, row.id, outcome.touched, status::UPLOADED, size, Some(now))?;
    }
    let updated = db::files::by_id(conn, row.id)?.ok_or(ApiError::Data)?;
    if outcome.touched[Part::Origin.index()] {
        remove_generated_thumbnails(thumbs, &updated);
    }
    Ok(updated)
}

fn remove_generated_thumbnails(thumbs: &Path, row: &FileRow) {
    for (part_status, level) in [(row.status_for_thumb, Level::Small), (row.status_for_screen, Level::Screen)] {
        if part_status != status::LOCAL {
            continue;
        }
        let path = thumb_file(thumbs, row.real_catalog_id, row.id, level);
        if let Err(e) = crate::fs::safe_path::remove_file_if_exists(&path) {
            log::warn!("cannot remove stale thumbnail {}: {e}", shown_path(&path));
        }
    }
}
