//! "Ensuring a user has a root" (protocol §3.5): a user without any root gets the default folder
//! `<defaultUserPath>/<userId>`, created on disk and registered as a root catalog named
//! iSyncRoot. Run at login and by catalogs.icc. A default folder that lies inside a scanned tree
//! is refused (-100) rather than granting that whole tree (D18).

use crate::clock;
use crate::config::Config;
use crate::db::{self, catalogs::NewCatalog};
use crate::error::ApiError;
use crate::fs::paths::earliest_time;
use crate::logging::shown_path;
use rusqlite::Connection;

pub const DEFAULT_ROOT_NAME: &str = "iSyncRoot";

pub fn ensure_root(conn: &mut Connection, config: &Config, user_id: i64) -> Result<(), ApiError> {
    if !db::users::root_ids(conn, user_id)?.is_empty() {
        return Ok(());
    }
    let dir = config.default_user_path.join(user_id.to_string());
    if std::fs::create_dir_all(&dir).is_err() || !dir.is_dir() {
        log::error!("cannot create the default user folder {}", shown_path(&dir));
        return Err(ApiError::NoRootFolder);
    }
    let Some(path) = dir.to_str().map(str::to_string) else {
        log::error!("the default user folder {} is not UTF-8", shown_path(&dir));
        return Err(ApiError::NoRootFolder);
    };
    let created = earliest_time(&dir);
    db::in_transaction(conn, |tx| {
        let root_id = match db::catalogs::by_path(tx, &path)? {
            Some(existing) if existing.is_root() => {
                db::catalogs::set_name(tx, existing.id, DEFAULT_ROOT_NAME)?;
                existing.id
            }
            Some(_) => {
                log::error!("configuration error: the default folder {} lies inside a scanned tree", shown_path(&dir));
                return Err(ApiError::NoRootFolder);
            }
            None => {
                let new = NewCatalog {
                    path: &path,
                    parent: None,
                    name: Some(DEFAULT_ROOT_NAME),
                    create_time: created,
                    last_modify_time: clock::now(),
                };
                db::catalogs::insert(tx, &new)?.id
            }
        };
        db::users::associate(tx, user_id, root_id)?;
        Ok(())
    })
}
