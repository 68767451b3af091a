//! The state every worker shares for the life of the process: the settings, the session and
//! share-link tables, the login guard, WebDAV's remembered credentials and locks, the thumbnail builder, the locks that serialise tree changes and uploads,
//! and the cache of listing totals. Created once by `main`, read by the API's handlers.

pub mod credentials;
pub mod dav_locks;
mod expiring;
pub mod login_guard;
pub mod tokens;

use crate::config::Config;
use crate::db;
use crate::fs::own_files::OwnFiles;
use crate::fs::upload::UploadLocks;
use crate::thumb_cache::Thumbnails;
use credentials::Credentials;
use dav_locks::DavLocks;
use login_guard::LoginGuard;
use std::sync::{Arc, Mutex, MutexGuard};
use tokens::Tokens;

pub struct App {
    pub config: Config,
    pub sessions: Tokens,
    pub shares: Tokens,
    pub logins: LoginGuard,
    /// WebDAV's verified name and password pairs (`dav::auth`).
    pub credentials: Credentials,
    /// WebDAV's write locks.
    pub dav_locks: DavLocks,
    /// Shared with the background builder (`scan::prebuild`), so both go through one gate.
    pub thumbnails: Arc<Thumbnails>,
    /// Serialises the requests that reshape the catalog tree on disk and in the database
    /// (create/move/delete catalogs, delete files; protocol §3.8).
    tree_lock: Mutex<()>,
    /// File ids with an upload in progress (protocol §3.8).
    pub uploads: UploadLocks,
    pub listing_totals: db::files::ListingTotals,
    /// The app dir, thumbnail cache and log, which uploads must never write.
    pub own_files: OwnFiles,
}

impl App {
    pub fn new(config: Config) -> App {
        App {
            sessions: Tokens::sessions(config.online_threshold, config.online_timeout),
            shares: Tokens::shares(config.share_url_threshold, config.share_url_timeout),
            logins: LoginGuard::default(),
            credentials: Credentials::default(),
            dav_locks: DavLocks::default(),
            thumbnails: Arc::new(Thumbnails::new(config.ffmpeg.clone())),
            tree_lock: Mutex::new(()),
            uploads: UploadLocks::new(),
            listing_totals: Default::default(),
            own_files: OwnFiles::of(&config),
            config,
        }
    }

    /// Holds the tree lock until the guard is dropped.
    pub fn lock_tree(&self) -> MutexGuard<'_, ()> {
        crate::sync::lock(&self.tree_lock)
    }
}
