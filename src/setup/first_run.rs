//! `isync serve --init`: on an app directory without users, set up a working default — a
//! `media/` folder to drop photos into and a scan configuration with a first user `family` and a
//! random password — and print the login. What `make run` uses; harmless on later starts.

use super::starter::FIRST_USER;
use crate::config::{Config, SCAN_CONFIG_FILE};
use crate::db;

/// Returns true when it wrote a new scan configuration (which the caller then scans).
pub fn prepare(conn: &mut rusqlite::Connection, config: &Config) -> Result<bool, String> {
    let scan_config = config.app_dir.join(SCAN_CONFIG_FILE);
    let users = db::users::count(conn).map_err(|e| e.to_string())?;
    if users > 0 || scan_config.exists() {
        eprintln!("isync: log in with a user from {}", scan_config.display());
        return Ok(false);
    }
    let media = config.app_dir.join("media");
    std::fs::create_dir_all(&media).map_err(|e| format!("cannot create {}: {e}", media.display()))?;
    let password = super::starter::write(&scan_config, std::slice::from_ref(&media))?;
    eprintln!("isync: first start: put photos and videos into {}", media.display());
    eprintln!("isync: first start: log in as user \"{FIRST_USER}\" with password \"{password}\"");
    eprintln!("isync: (users and folders are in {}; run `isync scan` after editing it)", scan_config.display());
    Ok(true)
}
