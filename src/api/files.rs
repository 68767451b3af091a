//! `files.icc` (protocol §4.10) and `uploadingInfo.icc` (§4.16).

use super::views;
use crate::app::Ctx;
use crate::call::Call;
use crate::db::{self, files::Listing, files::Order};
use crate::error::ApiError;
use crate::json::{self, JsonObject};
use crate::reply::Reply;

const DEFAULT_PER_PAGE: i64 = 100;

pub fn list(ctx: &mut Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(call)?;
    let params = call.params();
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
    let (rows, total) = db::files::list(ctx.db, &listing)?;
    let list = json::array(rows.iter().map(|row| views::file_info(row, views::UploadSizes::default())));
    let page_count = (total + per_page - 1) / per_page;
    let data = JsonObject::new()
        .raw("list", &list)
        .raw("page", &views::page_info(page_index, per_page, page_count))
        .finish();
    Ok(Reply::data(data))
}

pub fn uploading(ctx: &mut Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(call)?;
    let rows = db::files::uploading_of(ctx.db, viewer.user_id)?;
    let infos = rows.iter().map(|row| super::file_info(ctx, row)).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::data(json::array(infos)))
}
