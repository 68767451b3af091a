//! `downFile.ic*`, `shareFileUrl.icc` and `shareFile.ic*` (protocol §4.12–4.14, §6): files are
//! streamed from disk through the Range-aware file reply; share keys map to file ids.

use super::resolve_physical;
use crate::app::{unix_now, Ctx};
use crate::call::Call;
use crate::db;
use crate::error::ApiError;
use crate::json;
use crate::media::kind::content_type_for_name;
use crate::reply::Reply;
use std::fs::File;

pub fn download(ctx: &mut Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(call)?;
    let id = call.params().int("id").ok_or(ApiError::InvalidParameter)?;
    let file = super::resolve_file(ctx, &viewer, id, false)?;
    send(&file, call)
}

pub fn share_url(ctx: &mut Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(call)?;
    let id = call.params().int("id").ok_or(ApiError::InvalidParameter)?;
    let file = super::resolve_file(ctx, &viewer, id, false)?;
    let key = ctx.app.shares.create(file.row.id, unix_now());
    Ok(Reply::data(json::string(&key)))
}

pub fn shared_file(ctx: &mut Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let key = call.params().string("shareKey").ok_or(ApiError::InvalidParameter)?;
    let file_id = ctx.app.shares.file_of(&key, unix_now()).ok_or(ApiError::InvalidParameter)?;
    let row = db::files::by_id(ctx.db, file_id)?.ok_or(ApiError::NotFound)?;
    let file = resolve_physical(ctx, row).map_err(|_| ApiError::NotFound)?;
    send(&file, call)
}

fn send(file: &super::ResolvedFile, call: &Call) -> Result<Reply, ApiError> {
    let handle = File::open(&file.path).map_err(|_| ApiError::NotFound)?;
    Reply::file(handle, content_type_for_name(&file.row.file_name), call.header("Range"))
}
