//! `catalogs.icc` (protocol §4.6): the visible children of the given parents, with counts; and
//! the catalog edits `createCatalog.icc`, `deleteCatalog.icc`, `updateCatalog.icc` (§4.7–4.9),
//! whose rules are `fs::tree`'s.

use super::context::Ctx;
use super::envelope;
use super::json;
use super::views;
use crate::clock;
use crate::db::{self, edits::CatalogEdit, edits::CatalogFields};
use crate::error::ApiError;
use crate::fs::default_root::ensure_root;
use crate::fs::tree;
use crate::http::Reply;
use crate::http::Request;

pub fn list(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let mut viewer = ctx.authenticate(request)?;
    let parent_ids = request.params().int_list("pids").ok_or(ApiError::InvalidParameter)?;
    let mut children = db::catalogs::children(ctx.db, &parent_ids, &viewer.roots)?;
    if children.is_empty() && parent_ids == [-1] {
        ensure_root(ctx.db, &ctx.app.config, viewer.user_id)?;
        viewer.roots = db::users::root_ids(ctx.db, viewer.user_id)?;
        children = db::catalogs::children(ctx.db, &parent_ids, &viewer.roots)?;
    }
    Ok(envelope::data(json::array(children.iter().map(views::catalog_info))))
}

pub fn create(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let parent_id = params.int("parentId").ok_or(ApiError::InvalidParameter)?;
    let name = params.string_of_length("name", 1, 99).ok_or(ApiError::InvalidParameter)?;
    let now = clock::now();
    let fields = CatalogFields {
        name,
        create_time: params.timestamp("createTime").unwrap_or(now),
        last_modify_time: params.timestamp("lastModifyTime").unwrap_or(now),
        memo: params.string("memo"),
        help_int: params.int("helpInt"),
        help_text: params.string("helpText"),
    };
    let _tree = ctx.app.lock_tree();
    let created = tree::create_catalog(ctx.db, &viewer.roots, parent_id, &fields)?;
    Ok(envelope::data(views::catalog_info(&created)))
}

pub fn delete(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let ids = request.params().int_list("ids").ok_or(ApiError::InvalidParameter)?;
    let _tree = ctx.app.lock_tree();
    tree::delete_catalogs(ctx.db, &ctx.app.config, &viewer.roots, &ids)?;
    Ok(envelope::data(json::string("OK")))
}

pub fn update(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let params = request.params();
    let id = params.int("id").ok_or(ApiError::InvalidParameter)?;
    let edit = CatalogEdit {
        parent_id: params.int("parentId").filter(|&p| p > 0),
        name: params.string_of_length("name", 1, 99),
        memo: params.string("memo"),
        help_int: params.int("helpInt"),
        help_text: params.string("helpText"),
    };
    if edit.is_empty() {
        return Err(ApiError::NotModified);
    }
    let _tree = ctx.app.lock_tree();
    let updated = tree::update_catalog(ctx.db, &viewer.roots, id, edit)?;
    Ok(envelope::data(views::catalog_info(&updated)))
}
