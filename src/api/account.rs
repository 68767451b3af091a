//! `/`, `login.icc`, `logout.icc`, `helpInfo.icc`, `updateHelpInfo.icc` (protocol §4.1–4.5).

use super::context::Ctx;
use super::context::{clear_session_cookie, session_token, set_session_cookie};
use super::envelope;
use super::views;
use crate::clock;
use crate::db::users::User;
use crate::db::{self, HelpInfo, HelpUpdate};
use crate::error::ApiError;
use crate::fs::default_root::ensure_root;
use crate::http::Reply;
use crate::http::Request;
use crate::password::verify_or_waste_time;

pub fn index(_ctx: &mut Ctx, _request: &mut Request) -> Result<Reply, ApiError> {
    Ok(Reply::Text { status: 200, body: "hello world", content_type: "text/html; charset=utf-8", allow: None })
}

pub fn login(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let params = request.params();
    let name = params.string("userName").ok_or(ApiError::InvalidParameter)?;
    let password = params.string("password").ok_or(ApiError::InvalidParameter)?;
    let address = request.peer().map(|peer| peer.ip());
    let user = check_login(ctx, address, &name, &password)?;
    db::users::set_last_login(ctx.db, user.id, clock::now())?;
    ensure_root(ctx.db, &ctx.app.config, user.id)?;
    if let Some(old) = session_token(request) {
        ctx.app.sessions.end(&old);
    }
    let token = ctx.app.sessions.create(user.id, clock::unix_now());
    Ok(envelope::data(views::user_info(&user)).with_header("Set-Cookie", set_session_cookie(&token)))
}

/// The user whose name and password these are, through the login guard: a blocked client is
/// refused without a check, every refusal is logged and counted.
pub(crate) fn check_login(
    ctx: &mut Ctx,
    address: Option<std::net::IpAddr>,
    name: &str,
    password: &str,
) -> Result<User, ApiError> {
    let (guard, now) = (&ctx.app.logins, clock::unix_now());
    let who = || (crate::logging::shown(name), address.map_or("?".to_string(), |a| a.to_string()));
    if !guard.allows(address, name, now) {
        let (shown, from) = who();
        log::warn!("login refused for {shown} from {from}: too many failed logins");
        return Err(ApiError::BadLogin);
    }
    let user = db::users::by_name(ctx.db, name)?;
    let stored = user.as_ref().and_then(|u| u.password.as_deref());
    let matches = verify_or_waste_time(password, stored); // one hash computation in every case
    match user {
        Some(user) if matches => {
            guard.succeeded(address, name);
            Ok(user)
        }
        _ => {
            guard.failed(address, name, now);
            let (shown, from) = who();
            log::warn!("login failed for {shown} from {from}");
            Err(ApiError::BadLogin)
        }
    }
}

pub fn logout(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    if let Some(token) = session_token(request) {
        ctx.app.sessions.end(&token);
    }
    Ok(envelope::data("\"\"".to_string()).with_header("Set-Cookie", clear_session_cookie()))
}

/// The record a helpInfo request targets: 0 = the user, 1 = a catalog, 2 = a file.
fn help_target(request: &mut Request) -> Result<(i64, i64), ApiError> {
    let params = request.params();
    let kind = params.int("type").filter(|t| (0..=2).contains(t)).ok_or(ApiError::InvalidParameter)?;
    let id = params.int("id").unwrap_or(-1);
    if kind != 0 && id <= 0 {
        return Err(ApiError::InvalidParameter);
    }
    Ok((kind, id))
}

pub fn help_info(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let (kind, id) = help_target(request)?;
    let info = match kind {
        0 => db::users::help_info(ctx.db, viewer.user_id)?,
        1 => db::catalogs::help_info(ctx.db, id)?.filter(|(root, _)| viewer.sees_root(*root)).map(|(_, i)| i),
        _ => db::files::help_info(ctx.db, id)?.filter(|(root, _)| viewer.sees_root(*root)).map(|(_, i)| i),
    };
    Ok(envelope::data(views::help_info(&info.unwrap_or_else(HelpInfo::default))))
}

pub fn update_help_info(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let viewer = ctx.authenticate(request)?;
    let (kind, id) = help_target(request)?;
    let params = request.params();
    let update = HelpUpdate { help_int: params.int("helpInt"), help_text: params.string("helpText") };
    if update.help_int.is_none() && update.help_text.is_none() {
        return Err(ApiError::InvalidParameter);
    }
    let now = clock::now();
    match kind {
        0 => db::users::update_help_info(ctx.db, viewer.user_id, &update, now)?,
        1 => {
            if db::catalogs::help_info(ctx.db, id)?.is_some_and(|(root, _)| viewer.sees_root(root)) {
                db::catalogs::update_help_info(ctx.db, id, &update, now)?;
            }
        }
        _ => {
            if db::files::help_info(ctx.db, id)?.is_some_and(|(root, _)| viewer.sees_root(root)) {
                db::files::update_help_info(ctx.db, id, &update, now)?;
            }
        }
    }
    Ok(envelope::ok())
}
