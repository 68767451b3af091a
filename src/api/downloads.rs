//! `downFile.ic*`, `shareFileUrl.icc` and `shareFile.ic*` (protocol §4.12–4.14, §6): files are
//! streamed from disk through the Range-aware file reply; share keys map to file ids. The file
//! sent is the one `resolve` opened, without following symbolic links out of its root.

use super::context::Ctx;
use super::envelope;
use super::json;
use super::resolve::{self, resolve_physical};
use crate::clock;
use crate::db;
use crate::error::ApiError;
use crate::http::Reply;
use crate::http::Request;
use crate::media::kind::content_type_for_name;

pub fn download(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let id = request.params().int("id").ok_or(ApiError::InvalidParameter)?;
    let file = resolve::resolve_file(ctx, &viewer, id, false)?;
    send(file, request)
}

pub fn share_url(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let id = request.params().int("id").ok_or(ApiError::InvalidParameter)?;
    let file = resolve::resolve_file(ctx, &viewer, id, false)?;
    let key = ctx.app.shares.create(file.row.id, clock::unix_now());
    Ok(envelope::data(json::string(&key)))
}

pub fn shared_file(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let key = request.params().string("shareKey").ok_or(ApiError::InvalidParameter)?;
    let file_id = ctx.app.shares.lookup(&key, clock::unix_now()).ok_or(ApiError::InvalidParameter)?;
    let row = db::files::by_id(ctx.db, file_id)?.ok_or(ApiError::NotFound)?;
    let file = resolve_physical(ctx, row).map_err(|_| ApiError::NotFound)?;
    send(file, request)
}

fn send(file: resolve::ResolvedFile, request: &Request) -> Result<Reply, ApiError> {
    Ok(Reply::file(file.file, content_type_for_name(&file.row.file_name), request.header("Range"))?)
}
