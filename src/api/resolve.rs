//! What several handlers share: resolving a file id to a visible row and its physical file
//! (protocol §5.1), the FileInfo of a row with its current upload sizes, and the optional
//! details that uploadFileInfo and updateFile both accept.

use super::context::{Ctx, Viewer};
use super::views::{self, UploadSizes};
use crate::db::{self, files::FileRow};
use crate::error::ApiError;
use crate::fs::open::{self, Inside, Mode};
use crate::fs::{paths, upload};
use crate::http::params::Params;
use crate::model::{file_type, status};
use std::fs::File;
use std::path::PathBuf;

/// A visible file whose physical catalog exists and whose physical file is a regular file
/// inside its media root, opened (read only) without following symbolic links.
pub struct ResolvedFile {
    pub row: FileRow,
    pub path: PathBuf,
    pub file: File,
}

/// Protocol §5.1 steps 3–6 (the session and the `id` parameter are checked by the caller).
pub fn resolve_file(ctx: &Ctx, viewer: &Viewer, id: i64, media_only: bool) -> Result<ResolvedFile, ApiError> {
    let row =
        db::files::by_id(ctx.db, id)?.filter(|f| viewer.sees_root(f.root_catalog_id)).ok_or(ApiError::NotFound)?;
    if media_only && !file_type::VISUAL.contains(&row.file_type) {
        return Err(ApiError::UnsupportedType);
    }
    resolve_physical(ctx, row)
}

/// Protocol §5.1 steps 5–6 for a row already known to be accessible. The file is opened here,
/// once, through `fs::open`: a file that is missing, is not a regular file, was replaced by a
/// symbolic link, or sits in a directory that now leads outside its root is "missing on disk"
/// (-10006); one that exists but cannot be opened (permissions) is "not found" (-10004), as
/// when it vanishes between the check and the send. A row whose file is one of the server's own
/// (the app dir's files, a cached thumbnail, the log) is not found: the scanner never makes such
/// rows, but an older scan did.
pub fn resolve_physical(ctx: &Ctx, row: FileRow) -> Result<ResolvedFile, ApiError> {
    let catalog = db::catalogs::by_id(ctx.db, row.real_catalog_id)?.ok_or(ApiError::Data)?;
    let path = paths::physical_file(&catalog.path, &row.file_name);
    if let Some(own) = ctx.app.own_files.file_at(&path) {
        log::warn!("file {} refused: {} is {}", row.id, crate::logging::shown_path(&path), own.describe());
        return Err(ApiError::NotFound);
    }
    let place = Inside { root: PathBuf::from(paths::root_of(ctx.db, &catalog)?), path };
    let file = open::open(&place, Mode::Read).map_err(|e| {
        if open::is_absent(&e) {
            ApiError::MissingOnDisk
        } else {
            ApiError::NotFound
        }
    })?;
    Ok(ResolvedFile { row, path: place.path, file })
}

/// The FileInfo JSON of a row, measuring the upload targets only when a part is uploading.
pub fn file_info(ctx: &Ctx, row: &FileRow) -> Result<String, ApiError> {
    let uploading = [row.status_for_origin, row.status_for_thumb, row.status_for_screen].contains(&status::UPLOADING);
    let sizes = if uploading { upload_sizes(ctx, row)? } else { UploadSizes::default() };
    Ok(views::file_info(row, sizes))
}

/// The sizes the upload targets have on disk now (0 for a target that is missing).
fn upload_sizes(ctx: &Ctx, row: &FileRow) -> Result<UploadSizes, ApiError> {
    let [origin, thumb, screen] = upload::record::targets(ctx.db, &ctx.app.config.thumb_path, row)?
        .map(|target| target.as_ref().map_or(0, |t| paths::size_or_zero(&t.path)));
    Ok(UploadSizes { origin, thumb, screen })
}

/// memo longer than this many code points is silently dropped (protocol §4.15, §4.19).
const MEMO_MAX: usize = 1024;

/// The optional details uploadFileInfo and updateFile share; invalid values count as absent.
pub fn file_details(params: &Params) -> db::files::Details {
    db::files::Details {
        duration: params.float("duration"),
        width: params.int("width"),
        height: params.int("height"),
        orientation: params.int("orientation"),
        longitude: params.float("longitude"),
        latitude: params.float("latitude"),
        memo: params.string_of_length("memo", 0, MEMO_MAX),
        help_int: params.int("helpInt"),
        help_text: params.string("helpText"),
    }
}
