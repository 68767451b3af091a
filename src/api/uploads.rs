//! `uploadFileInfo.icc` and `uploadFile.icc` (protocol §4.15, §4.17); `uploadingInfo.icc` lives
//! with the other listings in `files`. The handlers validate, resolve the file and its targets,
//! and record statuses; the placeholder, the per-file lock and the streaming of the body to disk
//! are `upload`'s job, and its module doc explains the crash-safe order of the writes.

use super::resolve;
use crate::clock;
use super::envelope;
use crate::model::status;
use super::context::{Ctx, Viewer};
use crate::http::Request;
use crate::db::{self, files::FileRow};
use crate::db::uploads::{self as db_uploads, NewUpload};
use crate::error::ApiError;
use super::json::JsonObject;
use crate::http::multipart::{boundary_from_content_type, is_multipart_form_data, MultipartReader};
use crate::http::params::Params;
use crate::http::Reply;
use crate::fs::paths;
use crate::thumb_cache::levels::{thumb_file, Level};
use crate::fs::upload::checksum::Method;
use crate::fs::upload::placeholder;
use crate::fs::upload::receive::{self, Outcome, Plan};
use crate::fs::upload::target::Part;
use std::path::{Path, PathBuf};


pub fn upload_file_info(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let mut new = declared_upload(request.params(), clock::now())?;
    let _tree = ctx.app.lock_tree(); // a concurrent deleteCatalog must not remove the directory
    let catalog = db::catalogs::by_id(ctx.db, new.catalog_id)?
        .filter(|c| viewer.sees_root(c.root_id))
        .ok_or(ApiError::InvalidParameter)?;
    let dir = Path::new(&catalog.path);
    new.file_name = placeholder::create(dir, &new.ext)?;
    new.upload_user_id = viewer.user_id;
    new.root_catalog_id = catalog.root_id;
    let inserted = db::in_transaction(ctx.db, |tx| db_uploads::insert(tx, &new));
    let id = match inserted {
        Ok(id) => id,
        Err(e) => {
            log::error!("cannot register upload {}: {e}", new.file_name);
            let _ = std::fs::remove_file(dir.join(&new.file_name));
            return Err(ApiError::Data);
        }
    };
    let row = db::files::by_id(ctx.db, id)?.ok_or(ApiError::Data)?;
    Ok(envelope::data(resolve::file_info(ctx, &row)?))
}

/// The parameters of uploadFileInfo in the protocol's order (§4.15); `now` is every default time.
fn declared_upload(params: &Params, now: i64) -> Result<NewUpload, ApiError> {
    let catalog_id = params.int("cid").ok_or(ApiError::InvalidParameter)?;
    let name = params.string_of_length("name", 1, 100).ok_or(ApiError::InvalidParameter)?;
    let size = params.int("size").ok_or(ApiError::InvalidParameter)?;
    let file_type = params.file_type("type").ok_or(ApiError::InvalidParameter)?;
    let ext = params.string_of_length("ext", 0, 10).ok_or(ApiError::InvalidParameter)?;
    Ok(NewUpload {
        catalog_id,
        name,
        size,
        file_type,
        ext,
        status_for_thumb: params.thumb_status("statusForThumb").unwrap_or(status::LOCAL),
        status_for_screen: params.thumb_status("statusForScreen").unwrap_or(status::LOCAL),
        create_time: params.timestamp("createTime").unwrap_or(now),
        import_time: params.timestamp("importTime").unwrap_or(now),
        last_modify_time: params.timestamp("lastModifyTime").unwrap_or(now),
        upload_time: now,
        details: resolve::file_details(params),
        ..NewUpload::default()
    })
}

/// The query of uploadFile.icc (protocol §4.17): the only parameters it reads.
struct UploadQuery {
    id: i64,
    begins: [i64; 3],
    check: Option<Method>,
}

impl UploadQuery {
    fn parse(params: &Params) -> Result<UploadQuery, ApiError> {
        let id = params.int("id").ok_or(ApiError::InvalidParameter)?;
        let begins = ["obp", "tbp", "sbp"].map(|name| params.int(name).unwrap_or(0));
        let check = params.string("cm").as_deref().and_then(Method::from_param);
        Ok(UploadQuery { id, begins, check })
    }
}

/// Everything is checked before the body is touched, so an `Expect: 100-continue` client that
/// is refused never sends it.
pub fn upload_file(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let query = UploadQuery::parse(&request.query_params())?;
    let row = visible_file(ctx, &viewer, query.id)?;
    let content_type = request.header("Content-Type").unwrap_or("").to_string();
    let boundary = match is_multipart_form_data(&content_type) {
        true => Some(boundary_from_content_type(&content_type).ok_or(ApiError::InvalidParameter)?),
        false => None,
    };
    let app = ctx.app;
    let Some(_lock) = app.uploads.try_lock(row.id) else {
        log::info!("upload of file {} refused: another upload to it is running", row.id);
        return Err(ApiError::InvalidParameter);
    };
    let Some(boundary) = boundary else {
        return finish(ctx, &row, query.check, Outcome::default());
    };
    let plan = Plan { targets: targets(ctx, &row)?, begins: query.begins, check: query.check };
    let mut parts = MultipartReader::new(request.body(), &boundary);
    let conn = &*ctx.db;
    let outcome = receive::receive(&mut parts, &plan, &mut |part| mark_uploading(conn, row.id, part));
    finish(ctx, &row, query.check, outcome)
}

fn visible_file(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<FileRow, ApiError> {
    db::files::by_id(ctx.db, id)?.filter(|f| viewer.sees_root(f.root_catalog_id)).ok_or(ApiError::InvalidParameter)
}

/// The three target paths; the origin's is None when its physical catalog row is missing.
fn targets(ctx: &Ctx, row: &FileRow) -> Result<[Option<PathBuf>; 3], ApiError> {
    let thumbs = &ctx.app.config.thumb_path;
    let origin = db::catalogs::by_id(ctx.db, row.real_catalog_id)?.map(|c| paths::physical_file(&c.path, &row.file_name));
    Ok([
        origin,
        Some(thumb_file(thumbs, row.real_catalog_id, row.id, Level::Small)),
        Some(thumb_file(thumbs, row.real_catalog_id, row.id, Level::Screen)),
    ])
}

/// Step 2 of the write order: the part's status is 2 on disk before its target changes.
fn mark_uploading(conn: &rusqlite::Connection, id: i64, part: Part) -> Result<(), ApiError> {
    let mut parts = [false; 3];
    parts[part.index()] = true;
    Ok(db_uploads::set_statuses(conn, id, parts, status::UPLOADING, None, None)?)
}

/// Steps 4–6: record the outcome (every target is already synced) and answer.
fn finish(ctx: &mut Ctx, row: &FileRow, check: Option<Method>, outcome: Outcome) -> Result<Reply, ApiError> {
    let now = clock::now();
    if let Some(failure) = &outcome.failure {
        failure.log(row.id);
        if outcome.touched_any() {
            db_uploads::set_statuses(ctx.db, row.id, outcome.touched, status::UPLOADING, None, Some(now))?;
        }
        return Err(failure.api_error());
    }
    if outcome.touched_any() {
        let size = outcome.sizes[Part::Origin.index()].map(|s| i64::try_from(s).unwrap_or(i64::MAX));
        db_uploads::set_statuses(ctx.db, row.id, outcome.touched, status::UPLOADED, size, Some(now))?;
    }
    let updated = db::files::by_id(ctx.db, row.id)?.ok_or(ApiError::Data)?;
    if outcome.touched[Part::Origin.index()] {
        remove_generated_thumbnails(ctx, &updated);
    }
    let mut data = JsonObject::new().raw("fileInfo", &resolve::file_info(ctx, &updated)?);
    if check.is_some() {
        data = data.raw("check", &check_json(&outcome));
    }
    Ok(envelope::data(data.finish()))
}

fn check_json(outcome: &Outcome) -> String {
    Part::ALL
        .into_iter()
        .fold(JsonObject::new(), |json, part| json.opt_string(part.word(), outcome.digests[part.index()].as_deref()))
        .finish()
}

/// D21: a server-built thumbnail (status 0) shows the old content once the origin was rewritten.
fn remove_generated_thumbnails(ctx: &Ctx, row: &FileRow) {
    for (status, level) in [(row.status_for_thumb, Level::Small), (row.status_for_screen, Level::Screen)] {
        if status != status::LOCAL {
            continue;
        }
        let path = thumb_file(&ctx.app.config.thumb_path, row.real_catalog_id, row.id, level);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                log::warn!("cannot remove stale thumbnail {}: {e}", path.display())
            }
            _ => {}
        }
    }
}
