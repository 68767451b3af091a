//! `catalogs.icc` (protocol §4.6): the visible children of the given parents, with counts; and
//! the catalog edits `createCatalog.icc`, `deleteCatalog.icc`, `updateCatalog.icc` (§4.7–4.9).
//! Moves and edits change only the database; the directory on disk stays where it is.

use crate::clock;
use super::envelope;
use super::views;
use super::context::{Ctx, Viewer};
use crate::http::Request;
use crate::db::{self, catalogs::Catalog, edits::CatalogEdit, edits::CatalogFields};
use crate::error::ApiError;
use super::json;
use crate::http::Reply;
use crate::fs::tree;
use crate::fs::default_root::ensure_root;
use rusqlite::Transaction;

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
    let parent = visible_catalog(ctx, &viewer, parent_id)?.ok_or(ApiError::InvalidCatalog)?;
    let created = tree::create_catalog(ctx.db, &parent, &fields)?;
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
    let mut edit = CatalogEdit {
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
    let updated = db::in_transaction(ctx.db, |tx| {
        let catalog = db::catalogs::by_id(tx, id)?.filter(|c| viewer.sees_root(c.root_id)).ok_or(ApiError::NotModified)?;
        edit.parent_id = edit.parent_id.filter(|&p| p != catalog.parent_id);
        let target = match edit.parent_id {
            Some(target_id) => Some(move_target(tx, &viewer, &catalog, target_id)?),
            None => None,
        };
        if edit.is_empty() {
            return Err(ApiError::NotModified);
        }
        if let Some(target) = target.filter(|t| t.root_id != catalog.root_id) {
            db::edits::move_subtree_to_root(tx, id, target.root_id)?;
        }
        db::edits::update_catalog(tx, id, &edit, clock::now())?;
        db::catalogs::with_counts(tx, id)?.ok_or(ApiError::Data)
    })?;
    Ok(envelope::data(views::catalog_info(&updated)))
}

/// The new parent of a move (§4.9 step 3): visible (-10010), not the catalog itself or one of its
/// descendants, and the catalog is not a root (both -10003).
fn move_target(tx: &Transaction, viewer: &Viewer, catalog: &Catalog, target_id: i64) -> Result<Catalog, ApiError> {
    let target = db::catalogs::by_id(tx, target_id)?.filter(|c| viewer.sees_root(c.root_id)).ok_or(ApiError::NotModified)?;
    if db::edits::subtree(tx, catalog.id)?.contains(&target_id) || catalog.is_root() {
        return Err(ApiError::InvalidParameter);
    }
    Ok(target)
}

fn visible_catalog(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<Option<Catalog>, ApiError> {
    Ok(db::catalogs::by_id(ctx.db, id)?.filter(|c| viewer.sees_root(c.root_id)))
}
