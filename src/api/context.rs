//! What a handler works with: the shared `App` and the worker's own database connection, and
//! the session check every "Login: yes" endpoint starts with (protocol §2.2), which yields the
//! `Viewer`: the logged-in user and the roots R(u) they may see.

use crate::db;
use crate::error::ApiError;
use crate::http::Request;
use crate::state::App;
use rusqlite::Connection;

/// The cookie that carries the session token.
const SESSION_COOKIE: &str = "session";

pub struct Ctx<'a> {
    pub app: &'a App,
    pub db: &'a mut Connection,
}

/// The logged-in user of a request and the roots R(u) resolved for this request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub roots: Vec<i64>,
}

impl Viewer {
    pub fn sees_root(&self, root_id: i64) -> bool {
        self.roots.contains(&root_id)
    }
}

impl Ctx<'_> {
    /// A live session of an existing user, else -10001.
    pub fn authenticate(&mut self, request: &Request) -> Result<Viewer, ApiError> {
        let token = session_token(request).ok_or(ApiError::NotLoggedIn)?;
        let user_id = self.app.sessions.lookup(&token, crate::clock::unix_now()).ok_or(ApiError::NotLoggedIn)?;
        if !db::users::exists(self.db, user_id)? {
            self.app.sessions.end(&token);
            return Err(ApiError::NotLoggedIn);
        }
        let roots = db::users::root_ids(self.db, user_id)?;
        Ok(Viewer { user_id, roots })
    }
}

/// The session token the request carries, if any.
pub fn session_token(request: &Request) -> Option<String> {
    request.cookie(SESSION_COOKIE)
}

/// `Set-Cookie` value that starts a session.
pub fn set_session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax")
}

/// `Set-Cookie` value that clears the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly")
}
