//! The state shared by every worker (settings, sessions, share links) and the per-request
//! context a handler receives: that state plus the worker's own database connection. Also the
//! authentication step every "Login: yes" endpoint starts with.

use crate::call::Call;
use crate::config::Config;
use crate::db;
use crate::error::ApiError;
use crate::session::Sessions;
use crate::shares::Shares;
use crate::thumbs::Thumbnails;
use crate::upload::UploadLocks;
use rusqlite::Connection;
use std::sync::{Mutex, MutexGuard};

pub struct App {
    pub config: Config,
    pub sessions: Sessions,
    pub shares: Shares,
    pub thumbnails: Thumbnails,
    /// Serialises the requests that reshape the catalog tree on disk and in the database
    /// (create/move/delete catalogs, delete files; protocol §3.8).
    pub tree_lock: Mutex<()>,
    /// File ids with an upload in progress (protocol §3.8).
    pub uploads: UploadLocks,
    pub listing_totals: db::files::ListingTotals,
}

impl App {
    pub fn new(config: Config) -> App {
        let sessions = Sessions::new(config.online_threshold, config.online_timeout);
        let shares = Shares::new(config.share_url_threshold, config.share_url_timeout);
        let thumbnails = Thumbnails::new(config.ffmpeg.clone());
        App { config, sessions, shares, thumbnails, tree_lock: Mutex::new(()), uploads: UploadLocks::new(), listing_totals: Default::default() }
    }

    /// Holds the tree lock until the guard is dropped. A panic while holding it (caught by the
    /// worker) leaves nothing half-locked, so a poisoned lock is simply taken over.
    pub fn lock_tree(&self) -> MutexGuard<'_, ()> {
        self.tree_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What a handler works with.
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
    /// The session check of protocol §2.2: a live token of an existing user, else -10001.
    pub fn authenticate(&mut self, call: &Call) -> Result<Viewer, ApiError> {
        let token = call.session_token().ok_or(ApiError::NotLoggedIn)?;
        let now = unix_now();
        let user_id = self.app.sessions.user_of(&token, now).ok_or(ApiError::NotLoggedIn)?;
        if !db::users::exists(self.db, user_id)? {
            self.app.sessions.end(&token);
            return Err(ApiError::NotLoggedIn);
        }
        let roots = db::users::root_ids(self.db, user_id)?;
        Ok(Viewer { user_id, roots })
    }
}

pub fn unix_now() -> u64 {
    db::now().max(0) as u64
}
