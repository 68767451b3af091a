//! `thumbnail.icc` (protocol §4.11, §5.3): the decision table over the level's status and the
//! origin status. Cached and uploaded thumbnails are sent through the Range-aware file reply
//! with a content type sniffed from their bytes; the small-image shortcut sends the original
//! with its extension's content type. The source is the file `resolve` opened without following
//! links, and cached files are opened the same way inside the thumbnail directory.

use super::context::Ctx;
use super::resolve::{resolve_file, ResolvedFile};
use crate::clock;
use crate::db::{self, files::*};
use crate::error::ApiError;
use crate::fs::open::{self, Inside, Mode};
use crate::http::Reply;
use crate::http::Request;
use crate::media::kind::{content_type_for_name, sniff_image};
use crate::media::thumbnail::stored_dimensions;
use crate::model::{file_type, status};
use crate::thumb_cache::levels::{thumb_file, Level};
use crate::thumb_cache::{BuildFailure, Source};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

pub fn thumbnail(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let level = Level::from_param(params.int("level").unwrap_or(0));
    let id = params.int("id").ok_or(ApiError::InvalidParameter)?;
    let file = resolve_file(ctx, &viewer, id, true)?;
    let thumbs = &ctx.app.config.thumb_path;
    let cache = Inside { root: thumbs.clone(), path: thumb_file(thumbs, file.row.real_catalog_id, id, level) };
    let status = match level {
        Level::Small => file.row.status_for_thumb,
        Level::Screen => file.row.status_for_screen,
    };
    match (status, file.row.status_for_origin) {
        (status::LOCAL, status::LOCAL | status::UPLOADED) => serve_or_build(ctx, request, file, &cache, level),
        (status::LOCAL, _) | (status::UPLOADING, _) => Err(ApiError::WaitingForUpload),
        (status::UPLOADED, _) => send_thumbnail(&cache, request).map_err(|_| ApiError::NotFound),
        _ => Err(ApiError::ThumbnailFailed),
    }
}

/// Rows (a)–(c) of the table for a server-built level.
fn serve_or_build(
    ctx: &mut Ctx,
    request: &Request,
    file: ResolvedFile,
    cache: &Inside,
    level: Level,
) -> Result<Reply, ApiError> {
    if let Ok(reply) = send_thumbnail(cache, request) {
        return Ok(reply);
    }
    let row = &file.row;
    if row.file_type == file_type::IMAGE && fits_box(row, &file.file, level.max_box()) {
        // The media layer reads with positioned reads, so the file is still at its start.
        return Ok(Reply::file(file.file, content_type_for_name(&row.file_name), request.header("Range"))?);
    }
    let source = Source {
        file: &file.file,
        path: &file.path,
        is_video: row.file_type == file_type::VIDEO,
        orientation: row.orientation,
        max_box: level.max_box(),
    };
    match ctx.app.thumbnails.ensure(&cache.path, &source) {
        Ok(()) => send_thumbnail(cache, request).map_err(|_| ApiError::NotFound),
        Err(BuildFailure::Transient) => Err(ApiError::ThumbnailFailed),
        Err(BuildFailure::Permanent) => {
            db::files::set_thumb_status(ctx.db, row.id, level == Level::Screen, status::BUILD_ERROR, clock::now())?;
            Err(ApiError::ThumbnailFailed)
        }
    }
}

/// The small-image shortcut: stored dimensions, or the real ones when the row has none (D19).
fn fits_box(row: &FileRow, source: &File, max_box: u32) -> bool {
    let (w, h) = match (row.width, row.height) {
        (Some(w), Some(h)) => (w, h),
        _ => match stored_dimensions(source) {
            Ok((w, h)) => (i64::from(w), i64::from(h)),
            Err(_) => return false,
        },
    };
    w <= i64::from(max_box) && h <= i64::from(max_box)
}

fn send_thumbnail(cache: &Inside, request: &Request) -> Result<Reply, ApiError> {
    let mut file = open::open(cache, Mode::Read).map_err(|_| ApiError::NotFound)?;
    let mut head = [0u8; 12];
    let n = file.read(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Reply::file(file, sniff_image(&head[..n]), request.header("Range"))?)
}
