//! `uploadFileInfo.icc` and `uploadFile.icc` (protocol §4.15, §4.17); `uploadingInfo.icc` lives
//! with the other listings in `files`. The handlers parse the parameters and answer; the
//! placeholder, the statuses, the per-file lock and the streaming of the body to disk are
//! `fs::upload`'s job, and its module doc explains the crash-safe order of the writes.

use super::context::Ctx;
use super::json::JsonObject;
use super::{envelope, resolve};
use crate::clock;
use crate::db::{self, uploads::NewUpload};
use crate::error::ApiError;
use crate::fs::upload::checksum::Method;
use crate::fs::upload::receive::{self, Outcome, Plan};
use crate::fs::upload::record;
use crate::fs::upload::target::Part;
use crate::http::multipart::{boundary_from_content_type, is_multipart_form_data, MultipartReader};
use crate::http::params::Params;
use crate::http::{Reply, Request};
use crate::model::status;

pub fn upload_file_info(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let mut new = declared_upload(request.params(), clock::now())?;
    new.upload_user_id = viewer.user_id;
    let _tree = ctx.app.lock_tree(); // a concurrent deleteCatalog must not remove the directory
    let row = record::register(ctx.db, &viewer.roots, new)?;
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
    let row = db::files::by_id(ctx.db, query.id)?
        .filter(|f| viewer.sees_root(f.root_catalog_id))
        .ok_or(ApiError::InvalidParameter)?;
    let boundary = multipart_boundary(request)?;
    let Some(_lock) = ctx.app.uploads.try_lock(row.id) else {
        log::info!("upload of file {} refused: another upload to it is running", row.id);
        return Err(ApiError::InvalidParameter);
    };
    let thumbs = &ctx.app.config.thumb_path;
    let outcome = match boundary {
        None => Outcome::default(),
        Some(boundary) => {
            let targets = record::upload_targets(ctx.db, thumbs, &ctx.app.own_files, &row)?;
            let plan = Plan { targets, begins: query.begins, check: query.check };
            let conn = &*ctx.db;
            let mut parts = MultipartReader::new(request.body(), &boundary);
            receive::receive(&mut parts, &plan, &mut |part| record::mark_uploading(conn, row.id, part))
        }
    };
    let updated = record::record(ctx.db, thumbs, &row, &outcome)?;
    let mut data = JsonObject::new().raw("fileInfo", &resolve::file_info(ctx, &updated)?);
    if query.check.is_some() {
        data = data.raw("check", &check_json(&outcome));
    }
    Ok(envelope::data(data.finish()))
}

/// The multipart boundary of the body; None for a request without a multipart body (which
/// uploads nothing), -10003 for a multipart body without a usable boundary.
fn multipart_boundary(request: &Request) -> Result<Option<String>, ApiError> {
    let content_type = request.header("Content-Type").unwrap_or("");
    if !is_multipart_form_data(content_type) {
        return Ok(None);
    }
    boundary_from_content_type(content_type).map(Some).ok_or(ApiError::InvalidParameter)
}

fn check_json(outcome: &Outcome) -> String {
    Part::ALL
        .into_iter()
        .fold(JsonObject::new(), |json, part| json.opt_string(part.word(), outcome.digests[part.index()].as_deref()))
        .finish()
}
