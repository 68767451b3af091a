//! The gallery's JSON endpoints beyond protocol §4, all under `/web/` and answered in §1.6's
//! envelope (README, "The web gallery's endpoints"): a files listing with an exact total and a
//! name order, files per month, folder covers, the folder chain above a folder, and what a
//! share link shows. Parameters are read as in §1.3; invalid optional values fall back to
//! their defaults, as in §1.5.

use crate::api::context::{Ctx, Viewer};
use crate::api::envelope;
use crate::api::json::{self, JsonObject};
use crate::api::views;
use crate::clock;
use crate::db::{self, files::Listing, files::Order};
use crate::error::ApiError;
use crate::http::params::Params;
use crate::http::{Reply, Request};

/// Files per page of `files.json` at most, and by default.
const MAX_LIMIT: i64 = 1000;
const DEFAULT_LIMIT: i64 = 200;
/// A time zone is at most 18 hours from UTC.
const MAX_UTC_OFFSET: i64 = 18 * 3600;

/// The user's files matching `pids` and `types` (all their roots), in the order `sort` names.
fn listing(viewer: &Viewer, params: &Params, order: Order) -> Listing {
    Listing {
        roots: viewer.roots.clone(),
        catalog_ids: params.int_list("pids"),
        types: params.int_list("types"),
        uploaded_by: None,
        order,
        offset: params.int("offset").filter(|&o| o >= 0).unwrap_or(0),
        limit: params.int("limit").filter(|l| (1..=MAX_LIMIT).contains(l)).unwrap_or(DEFAULT_LIMIT),
    }
}

/// `sort`: `date`, `name` or `size`, descending with a leading `-`; newest first by default.
fn order(sort: Option<String>) -> Order {
    let sort = sort.unwrap_or_default();
    let (descending, key) = match sort.strip_prefix('-') {
        Some(key) => (true, key),
        None => (false, sort.as_str()),
    };
    match key {
        "name" => Order::Name(!descending),
        "size" => Order::Size(!descending),
        "date" => Order::CreateTime(!descending),
        _ => Order::CreateTime(false),
    }
}

/// `GET /web/files.json?pids&types&sort&offset&limit` → `{"total": n, "list": [FileInfo…]}`.
pub fn files(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let listing = listing(&viewer, params, order(params.string("sort")));
    let file_info = |row: &db::files::FileRow| views::file_info(row, views::UploadSizes::default());
    let (files, total) = db::files::list(ctx.db, &ctx.app.listing_totals, &listing, file_info)?;
    let bytes = files.iter().map(|f| f.len() + 2).sum::<usize>() + 48;
    Ok(envelope::data_object(bytes, |data| data.int("total", total).array("list", files)))
}

/// `GET /web/months.json?pids&types&utcOffset` → `[{"month": "2024-05", "count": n}…]`,
/// newest first, in the order of `files.json?sort=-date`.
pub fn months(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let offset = params.int("utcOffset").filter(|o| o.abs() <= MAX_UTC_OFFSET).unwrap_or(0);
    let months = db::gallery::months(ctx.db, &listing(&viewer, params, Order::CreateTime(false)), offset)?;
    let items =
        months.iter().map(|(month, count)| JsonObject::new().string("month", month).int("count", *count).finish());
    Ok(envelope::data(json::array(items)))
}

/// `GET /web/covers.json?ids` → `[{"catalogId": c, "fileId": f}…]` for the folders that have
/// a picture or video of their own.
pub fn covers(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let ids = request.params().int_list("ids").ok_or(ApiError::InvalidParameter)?;
    let covers = db::gallery::covers(ctx.db, &ids, &viewer.roots)?;
    let items =
        covers.iter().map(|(catalog, file)| JsonObject::new().int("catalogId", *catalog).int("fileId", *file).finish());
    Ok(envelope::data(json::array(items)))
}

/// `GET /web/trail.json?id` → `[CatalogInfo…]`: the folder's root first, the folder last.
pub fn trail(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let id = request.params().int("id").ok_or(ApiError::InvalidParameter)?;
    let chain = db::gallery::trail(ctx.db, id, &viewer.roots)?.ok_or(ApiError::InvalidCatalog)?;
    Ok(envelope::data(json::array(chain.iter().map(views::catalog_info))))
}

/// `GET /web/shared.json?shareKey` (no login) → what the share page shows of the file: name,
/// ext, type, size, dimensions, duration and date. Like `shareFile`, a use refreshes the key.
pub fn shared(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let key = request.params().string("shareKey").ok_or(ApiError::InvalidParameter)?;
    let file_id = ctx.app.shares.lookup(&key, clock::unix_now()).ok_or(ApiError::InvalidParameter)?;
    let f = db::files::by_id(ctx.db, file_id)?.ok_or(ApiError::NotFound)?;
    let info = JsonObject::new()
        .string("name", f.display_name())
        .opt_string("ext", f.ext.as_deref())
        .int("type", f.file_type)
        .opt_int("size", f.size)
        .opt_int("width", f.width)
        .opt_int("height", f.height)
        .opt_float("duration", f.duration)
        .opt_int("createTime", f.create_time)
        .finish();
    Ok(envelope::data(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_names_map_to_orders_and_anything_else_is_newest_first() {
        assert_eq!(order(Some("name".into())), Order::Name(true));
        assert_eq!(order(Some("-name".into())), Order::Name(false));
        assert_eq!(order(Some("size".into())), Order::Size(true));
        assert_eq!(order(Some("-date".into())), Order::CreateTime(false));
        assert_eq!(order(Some("date".into())), Order::CreateTime(true));
        assert_eq!(order(Some("id; DROP".into())), Order::CreateTime(false));
        assert_eq!(order(None), Order::CreateTime(false));
    }
}
