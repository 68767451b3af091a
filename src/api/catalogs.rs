//! `catalogs.icc` (protocol §4.6): the visible children of the given parents, with counts.

use super::views;
use crate::app::Ctx;
use crate::call::Call;
use crate::db;
use crate::error::ApiError;
use crate::json;
use crate::reply::Reply;
use crate::user_root::ensure_root;

pub fn list(ctx: &mut Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let mut viewer = ctx.authenticate(call)?;
    let parent_ids = call.params().int_list("pids").ok_or(ApiError::InvalidParameter)?;
    let mut children = db::catalogs::children(ctx.db, &parent_ids, &viewer.roots)?;
    if children.is_empty() && parent_ids == [-1] {
        ensure_root(ctx.db, &ctx.app.config, viewer.user_id)?;
        viewer.roots = db::users::root_ids(ctx.db, viewer.user_id)?;
        children = db::catalogs::children(ctx.db, &parent_ids, &viewer.roots)?;
    }
    Ok(Reply::data(json::array(children.iter().map(views::catalog_info))))
}
