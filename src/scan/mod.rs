//! The scanner (protocol §7): reads the scan configuration (an array of entries with `paths`,
//! `users` and the merge flag), creates or updates users, registers root paths, walks them into
//! `Catalog`/`Files` rows, grants access and merges nested roots. `walk` does the directory
//! walking, which also keeps known rows in step with the disk (changed files probed again,
//! removed ones dropped at the second look that misses them, offline roots left alone); this
//! module does the configuration and the users, and `sweep` looks at every known root for the
//! running server (`sweeper` is its thread, `prebuild` the one that builds small thumbnails after
//! it). `own_rows` is the start-up check that forgets rows of the server's own files.

mod changes;
mod own_rows;
pub mod prebuild;
mod progress;
pub mod sweeper;
mod walk;
mod writer;

use crate::clock;
use crate::config::{Config, SCAN_CONFIG_FILE};
use crate::db;
use crate::fs::own_files::OwnFiles;
use crate::logging::shown_path;
use crate::password::hash_password;
use miniserde::json::{self, Object, Value};
pub use progress::Progress;
use rusqlite::Connection;
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;
pub use walk::{take_in_file, Look};

/// One scan instruction, in command-line order.
#[derive(Debug, PartialEq)]
pub enum ScanStep {
    /// No option: the default configuration file.
    DefaultConfig,
    ConfigFile(PathBuf),
    Path(PathBuf),
}

/// Runs the scan steps in command-line order. A failing entry (database errors included) is
/// reported and the next entry is processed; an unreadable configuration file, a failing `-p`
/// path scan or a failing statistics refresh ends the scan with an error. `by_operator`: an
/// explicit `isync scan`, which accepts a root found on another device than before (see
/// `walk::Look`); `serve --scan` at start-up does not (the disk may not be mounted yet).
pub fn run(conn: &mut Connection, config: &Config, steps: &[ScanStep], by_operator: bool) -> Result<Progress, String> {
    let mut progress = Progress::new();
    let own = OwnFiles::of(config);
    let look = Look {
        own: &own,
        thumbs: &config.thumb_path,
        accept_new_device: by_operator,
        settle: Duration::ZERO,
        removal_delay: Duration::ZERO,
        changed_dirs: None,
    };
    for step in steps {
        match step {
            ScanStep::DefaultConfig => {
                let mut file = config.app_dir.join(SCAN_CONFIG_FILE);
                if !file.exists() && config.app_dir.join("scanConfig.json").exists() {
                    file = config.app_dir.join("scanConfig.json");
                }
                run_config_file(conn, &file, &look, &mut progress)?;
            }
            ScanStep::ConfigFile(file) => run_config_file(conn, file, &look, &mut progress)?,
            ScanStep::Path(path) => {
                let path = absolute(path);
                if !path.is_dir() {
                    eprintln!("scan: {} is not a directory; skipped", shown_path(&path));
                    continue;
                }
                walk::scan_root_path(conn, &path, &look, &mut progress).map_err(|e| e.to_string())?;
            }
        }
    }
    db::refresh_statistics(conn).map_err(|e| e.to_string())?;
    progress.finish();
    Ok(progress)
}

/// One of the server's looks at every known root (the roots the scan configurations
/// registered): what `isync scan` does to them, without the configurations' users and grants,
/// quietly (a summary goes to the log), leaving files still being written (modified less than
/// `settle` ago) for a later look, and removing what went missing only `removal_delay` after the
/// first look that missed it. With `changed_dirs`, an incremental look (see `Look`).
pub fn sweep(
    conn: &mut Connection,
    config: &Config,
    settle: Duration,
    removal_delay: Duration,
    changed_dirs: Option<&HashSet<i64>>,
) -> Result<Progress, String> {
    let mut progress = Progress::new();
    progress.verbose = false;
    let own = OwnFiles::of(config);
    let look =
        Look { own: &own, thumbs: &config.thumb_path, accept_new_device: false, settle, removal_delay, changed_dirs };
    let roots = db::catalogs::root_paths(conn).map_err(|e| e.to_string())?;
    for root in roots {
        // One root's failure (the database busy too long, a damaged row) spares the others.
        if let Err(e) = walk::scan_root_path(conn, Path::new(&root), &look, &mut progress) {
            log::warn!("sweep of {} failed: {e}; the next look tries again", shown_path(Path::new(&root)));
            progress.failed += 1;
        }
    }
    if progress.changed_anything() {
        db::refresh_statistics(conn).map_err(|e| e.to_string())?;
    }
    Ok(progress)
}

/// Takes in a directory tree that a writer has just put in place inside a known catalog's
/// directory (a WebDAV COPY of a folder), now, as `isync scan` would walk it.
pub fn take_in_dir(conn: &mut Connection, config: &Config, dir: &Path) -> rusqlite::Result<()> {
    let own = OwnFiles::of(config);
    let look = Look {
        own: &own,
        thumbs: &config.thumb_path,
        accept_new_device: false,
        settle: Duration::ZERO,
        removal_delay: Duration::ZERO,
        changed_dirs: None,
    };
    let mut progress = Progress::new();
    progress.verbose = false;
    walk::scan_root_path(conn, dir, &look, &mut progress).map(|_| ())
}

/// The start-up check of `serve` and `scan` (see `own_rows`): warnings for media roots that
/// hold the server's own files, and the rows of such files forgotten.
pub fn check_own_files(conn: &mut Connection, config: &Config) -> Result<(), String> {
    own_rows::check(conn, &OwnFiles::of(config))
        .map_err(|e| format!("cannot check the database for the server's own files: {e}"))
}

fn run_config_file(conn: &mut Connection, file: &Path, look: &Look, progress: &mut Progress) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let Ok(Value::Array(entries)) = json::from_str::<Value>(&text) else {
        eprintln!("scan: {}: invalid format (expected a JSON array of entries)", shown_path(file));
        return Ok(());
    };
    for (index, entry) in entries.iter().enumerate() {
        let Value::Object(entry) = entry else {
            eprintln!("scan: entry {index} of {} is not an object; skipped", shown_path(file));
            continue;
        };
        if let Err(e) = run_entry(conn, entry, look, progress) {
            eprintln!("scan: entry {index} of {} failed: {e}", shown_path(file));
        }
    }
    Ok(())
}

/// Protocol §7.3 for one configuration entry.
fn run_entry(conn: &mut Connection, entry: &Object, look: &Look, progress: &mut Progress) -> rusqlite::Result<()> {
    let users = upsert_users(conn, entry.get("users"))?;
    let mut entry_roots = Vec::new();
    for path in string_array(entry.get("paths")) {
        let path = absolute(Path::new(&expand_home(&path)));
        if !path.is_dir() {
            eprintln!("scan: {} is not an existing directory; skipped", shown_path(&path));
            continue;
        }
        if let Some(root) = walk::scan_root_path(conn, &path, look, progress)? {
            entry_roots.push(root);
        }
    }
    db::in_transaction(conn, |tx| {
        for &user in &users {
            for &root in &entry_roots {
                db::users::associate(tx, user, root)?;
            }
        }
        if merge_flag(entry) {
            for &user in &users {
                merge_nested_roots(tx, user)?;
            }
        }
        Ok::<_, rusqlite::Error>(())
    })
}

/// Creates or updates the entry's users; returns their ids. Malformed users are skipped.
fn upsert_users(conn: &mut Connection, users: Option<&Value>) -> rusqlite::Result<Vec<i64>> {
    let mut ids = Vec::new();
    let Some(Value::Array(users)) = users else { return Ok(ids) };
    for user in users.iter() {
        let (name, password) = match user {
            Value::Object(o) => match o.get("name") {
                Some(Value::String(name)) if !name.is_empty() => {
                    let password = match o.get("password") {
                        Some(Value::String(p)) if !p.is_empty() => Some(hash_password(p)),
                        _ => None,
                    };
                    (name.clone(), password)
                }
                _ => (String::new(), None),
            },
            _ => (String::new(), None),
        };
        if name.is_empty() {
            eprintln!("scan: a user without a non-empty string \"name\" was skipped");
            continue;
        }
        ids.push(match db::users::by_name(conn, &name)? {
            Some(existing) => {
                if let Some(hash) = &password {
                    db::users::set_password(conn, existing.id, hash)?;
                }
                existing.id
            }
            None => db::users::create(conn, &name, password.as_deref(), clock::now())?,
        });
    }
    Ok(ids)
}

/// Protocol §7.3 step 5, with the D22 fix: a root is merged into the tree of its physical
/// parent only if every user of the root may also access that tree.
fn merge_nested_roots(tx: &Connection, user: i64) -> rusqlite::Result<()> {
    for root_id in db::users::root_ids(tx, user)? {
        let Some(root) = db::catalogs::by_id(tx, root_id)? else { continue };
        let Some(parent_dir) = Path::new(&root.path).parent().and_then(Path::to_str) else { continue };
        let Some(parent) = db::catalogs::by_path(tx, parent_dir)? else { continue };
        if parent.root_id == root.id {
            continue;
        }
        let parent_users = db::users::users_of_root(tx, parent.root_id)?;
        let root_users = db::users::users_of_root(tx, root.id)?;
        if root_users.iter().all(|u| parent_users.contains(u)) {
            db::catalogs::merge_root_into(tx, root.id, &parent)?;
            db::users::remove_root_associations(tx, root.id)?;
        } else {
            eprintln!(
                "scan: warning: {} stays a separate root: not all of its users may access {}",
                shown_path(Path::new(&root.path)),
                shown_path(Path::new(&parent.path))
            );
        }
    }
    Ok(())
}

/// `mergeRootPaths` (documented) or `merge` (what the original read); mergeRootPaths wins.
fn merge_flag(entry: &Object) -> bool {
    let value = entry.get("mergeRootPaths").filter(|v| !matches!(v, Value::Null)).or_else(|| entry.get("merge"));
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.to_string().parse::<f64>().is_ok_and(|f| f != 0.0),
        Some(Value::String(s)) => !matches!(s.trim(), "0" | "false"),
        Some(_) => true,
    }
}

fn string_array(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => {
            items.iter().filter_map(|v| if let Value::String(s) = v { Some(s.clone()) } else { None }).collect()
        }
        _ => Vec::new(),
    }
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
        _ => path.to_string(),
    }
}

/// An absolute, lexically normalised path (like Python's os.path.abspath: `.` and `..` are
/// resolved without following symbolic links).
pub fn absolute(path: &Path) -> PathBuf {
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut normal = PathBuf::from("/");
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::Normal(part) => normal.push(part),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Object {
        match json::from_str::<Value>(text) {
            Ok(Value::Object(o)) => o,
            _ => panic!("not an object: {text}"),
        }
    }

    #[test]
    fn both_merge_keys_are_read_and_merge_root_paths_wins() {
        assert!(merge_flag(&object("{}")));
        assert!(!merge_flag(&object(r#"{"merge": 0}"#)));
        assert!(!merge_flag(&object(r#"{"mergeRootPaths": "false", "merge": 1}"#)));
        assert!(merge_flag(&object(r#"{"mergeRootPaths": 1, "merge": 0}"#)));
        assert!(!merge_flag(&object(r#"{"mergeRootPaths": "0"}"#)));
        assert!(merge_flag(&object(r#"{"mergeRootPaths": null, "merge": "yes"}"#)));
    }

    #[test]
    fn paths_are_made_absolute_and_normalised_lexically() {
        assert_eq!(absolute(Path::new("/a/b/../c/./d/")), PathBuf::from("/a/c/d"));
        assert_eq!(absolute(Path::new("/../x")), PathBuf::from("/x"));
        assert!(absolute(Path::new("rel")).is_absolute());
    }
}
