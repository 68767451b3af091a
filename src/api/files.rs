//! `files.icc` (protocol §4.10), `uploadingInfo.icc` (§4.16), and the file edits
//! `deleteFiles.icc` and `updateFile.icc` (§4.18–4.19), whose rules are `fs::tree`'s.

use super::context::Ctx;
use super::envelope;
use super::json;
use super::resolve;
use super::views;
use crate::db::{self, edits::FileEdit, files::Listing, files::Order};
use crate::error::ApiError;
use crate::fs::tree;
use crate::http::params::Params;
use crate::http::Reply;
use crate::http::Request;

const DEFAULT_PER_PAGE: i64 = 100;

pub fn list(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let page_index = params.int("pageIndex").filter(|&i| i >= 0).ok_or(ApiError::InvalidParameter)?;
    let per_page = params.int("maxPerPage").filter(|n| (10..=10_000).contains(n)).unwrap_or(DEFAULT_PER_PAGE);
    let roots = match params.int_list("rootIds") {
        Some(ids) if ids.iter().all(|id| viewer.sees_root(*id)) => ids,
        _ => viewer.roots.clone(),
    };
    let order = Order::from_sort(params.int("sort").unwrap_or(0)).ok_or(ApiError::InvalidParameter)?;
    let listing = Listing {
        roots,
        catalog_ids: params.int_list("pids"),
        types: params.int_list("types"),
        uploaded_by: (params.int("onlySelfUpload").unwrap_or(0) != 0).then_some(viewer.user_id),
        order,
        offset: page_index.saturating_mul(per_page),
        limit: per_page,
    };
    let file_info = |row: &db::files::FileRow| views::file_info(row, views::UploadSizes::default());
    let (files, total) = db::files::list(ctx.db, &ctx.app.listing_totals, &listing, file_info)?;
    let page_count = (total + per_page - 1) / per_page;
    let bytes = files.iter().map(|f| f.len() + 2).sum::<usize>() + 96;
    Ok(envelope::data_object(bytes, |data| {
        data.array("list", files).raw("page", &views::page_info(page_index, per_page, page_count))
    }))
}

pub fn uploading(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let rows = db::files::uploading_of(ctx.db, viewer.user_id)?;
    let infos = rows.iter().map(|row| resolve::file_info(ctx, row)).collect::<Result<Vec<_>, _>>()?;
    Ok(envelope::data(json::array(infos)))
}

pub fn delete(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let ids = request.params().int_list("ids").ok_or(ApiError::InvalidParameter)?;
    let _tree = ctx.app.lock_tree();
    tree::delete_files(ctx.db, &ctx.app.config.thumb_path, &viewer.roots, &ids)?;
    Ok(envelope::data(json::string("OK")))
}

pub fn update(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let id = params.int("id").ok_or(ApiError::InvalidParameter)?;
    let target_id = params.int("catalogId");
    let edit = file_edit(params);
    if edit.is_empty() && target_id.is_none() {
        return Err(ApiError::NotModified);
    }
    let row = tree::update_file(ctx.db, &viewer.roots, id, target_id, edit)?;
    Ok(envelope::data(resolve::file_info(ctx, &row)?))
}

/// The optional fields of updateFile (§4.19); invalid values count as absent.
fn file_edit(params: &Params) -> FileEdit {
    FileEdit {
        catalog: None,
        name: params.string_of_length("name", 1, 100),
        ext: params.string_of_length("ext", 0, 10),
        size: params.int("size"),
        file_type: params.file_type("type"),
        status_for_thumb: params.thumb_status("statusForThumb"),
        status_for_screen: params.thumb_status("statusForScreen"),
        create_time: params.timestamp("createTime"),
        import_time: params.timestamp("importTime"),
        last_modify_time: params.timestamp("lastModifyTime"),
        details: resolve::file_details(params),
    }
}
