//! The server's settings: `appConfigs.json` in APPDIR (protocol §8.1) with the original's keys and
//! defaults, paths resolved against APPDIR, numbers accepted as JSON numbers or numeric strings.
//! Read once at start-up. Editing the file is `config::tool`'s job; command-line parsing is `cli`'s.

use crate::numbers::int_of_json;
use miniserde::json::{self, Object, Value};
use std::fmt;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "appConfigs.json";
pub const DATABASE_FILE: &str = "dataManager.db";
pub const SCAN_CONFIG_FILE: &str = "scanDiskConfig.json";

/// The numeric settings with their defaults, in the order the protocol lists them, then ours:
/// `sweepInterval`, the seconds between the server's looks at every root (0 = never), and
/// `watchFolders`, 1 to notice changes in the folders as they happen (0 = sweeps only).
pub const NUMERIC_KEYS: [(&str, i64); 6] = [
    ("shareUrlThreshold", 1000),
    ("shareUrlTimeout", 1800),
    ("onlineThreshold", 100),
    ("onlineTimeout", 3600),
    ("sweepInterval", 3600),
    ("watchFolders", 1),
];
/// The path settings with their defaults relative to APPDIR.
pub const PATH_KEYS: [(&str, &str); 3] =
    [("logFileName", "building/appLog.log"), ("thumbPath", "building/thumbs"), ("defaultUserPath", "building/users")];

#[derive(Debug, Clone)]
pub struct Config {
    pub app_dir: PathBuf,
    pub database: PathBuf,
    pub log_file: PathBuf,
    pub thumb_path: PathBuf,
    pub default_user_path: PathBuf,
    pub share_url_threshold: i64,
    pub share_url_timeout: i64,
    pub online_threshold: i64,
    pub online_timeout: i64,
    /// Seconds between the server's looks at every root for changes on the disk (0 = never).
    pub sweep_interval: i64,
    /// Whether the server watches the folders for changes (inotify) between sweeps.
    pub watch_folders: bool,
    /// The program run to grab video frames (looked up on PATH unless absolute).
    pub ffmpeg: PathBuf,
    /// What `load` ignored or could not use, for `main` to report once logging runs.
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads `APPDIR/appConfigs.json`; a missing file means all defaults. A broken file, an
    /// unknown key or an unusable value falls back to the default and says so in `warnings`.
    pub fn load(app_dir: &Path) -> Config {
        let file = app_dir.join(CONFIG_FILE);
        let mut warnings = Vec::new();
        let object = match read_object(&file) {
            Ok(object) => object.unwrap_or_default(),
            Err(why) => {
                warnings.push(format!("{} {why}: it is ignored and every setting has its default", file.display()));
                Object::new()
            }
        };
        for key in object.keys() {
            if !NUMERIC_KEYS.iter().any(|(k, _)| k == key) && !PATH_KEYS.iter().any(|(k, _)| k == key) {
                warnings.push(format!("{CONFIG_FILE}: unknown setting {key:?} ignored"));
            }
        }
        let mut path = |key: &str| path_setting(&object, key, app_dir, &mut warnings);
        let (log_file, thumb_path, default_user_path) =
            (path("logFileName"), path("thumbPath"), path("defaultUserPath"));
        let mut number = |key: &str| number_setting(&object, key, &mut warnings);
        let (share_url_threshold, share_url_timeout) = (number("shareUrlThreshold"), number("shareUrlTimeout"));
        let (online_threshold, online_timeout) = (number("onlineThreshold"), number("onlineTimeout"));
        let sweep_interval = number("sweepInterval").max(0);
        let watch_folders = number("watchFolders") != 0;
        Config {
            app_dir: app_dir.to_path_buf(),
            database: app_dir.join(DATABASE_FILE),
            log_file,
            thumb_path,
            default_user_path,
            share_url_threshold,
            share_url_timeout,
            online_threshold,
            online_timeout,
            sweep_interval,
            watch_folders,
            ffmpeg: PathBuf::from("ffmpeg"),
            warnings,
        }
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "app dir {}, database {}, thumbs {}, user folders {}, log {}, sessions {}×{}s, shares {}×{}s",
            self.app_dir.display(),
            self.database.display(),
            self.thumb_path.display(),
            self.default_user_path.display(),
            self.log_file.display(),
            self.online_threshold,
            self.online_timeout,
            self.share_url_threshold,
            self.share_url_timeout
        )
    }
}

/// The top-level object of a JSON file: None when the file does not exist, an error when it
/// cannot be read or is not a JSON object.
pub fn read_object(file: &Path) -> Result<Option<Object>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read ({e})")),
    };
    match json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => Ok(Some(object)),
        Ok(_) => Err("is not a JSON object".to_string()),
        Err(_) => Err("is not valid JSON".to_string()),
    }
}

fn path_setting(object: &Object, key: &str, app_dir: &Path, warnings: &mut Vec<String>) -> PathBuf {
    let default = PATH_KEYS.iter().find(|(k, _)| *k == key).map_or("", |(_, d)| d);
    let chosen = match object.get(key) {
        Some(Value::String(text)) if !text.is_empty() => text.as_str(),
        None | Some(Value::Null) => default,
        Some(Value::String(_)) => default, // empty means default (protocol §8.1)
        Some(_) => {
            warnings.push(format!("{CONFIG_FILE}: {key} is not a path; using {default}"));
            default
        }
    };
    resolve(app_dir, Path::new(chosen))
}

/// A relative path is taken relative to APPDIR.
pub fn resolve(app_dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        app_dir.join(path)
    }
}

fn number_setting(object: &Object, key: &str, warnings: &mut Vec<String>) -> i64 {
    let default = NUMERIC_KEYS.iter().find(|(k, _)| *k == key).map_or(0, |(_, d)| *d);
    match object.get(key) {
        None | Some(Value::Null) => default,
        Some(value) => int_of_json(value).unwrap_or_else(|| {
            warnings.push(format!("{CONFIG_FILE}: {key} is not a number; using {default}"));
            default
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(json: &str) -> Config {
        let dir = std::env::temp_dir().join(format!("isync-config-{}", crate::random::hex_token::<16>()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(CONFIG_FILE), json).unwrap();
        let config = Config::load(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        config
    }

    #[test]
    fn defaults_apply_when_the_file_is_missing_or_broken() {
        let config = load_with("{not json");
        assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
        assert!(config.warnings[0].contains("is not valid JSON: it is ignored"), "{:?}", config.warnings);
        assert!(load_with("[1, 2]").warnings[0].contains("is not a JSON object"));
        assert_eq!(config.share_url_threshold, 1000);
        assert_eq!(config.share_url_timeout, 1800);
        assert_eq!(config.online_threshold, 100);
        assert_eq!(config.online_timeout, 3600);
        assert!(config.thumb_path.ends_with("building/thumbs"));
        assert!(config.log_file.ends_with("building/appLog.log"));
    }

    #[test]
    fn numeric_strings_are_accepted_and_garbage_falls_back() {
        let config =
            load_with(r#"{"onlineThreshold": "500", "onlineTimeout": "x", "shareUrlTimeout": 60.9, "typo": 1}"#);
        assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
        assert!(config.warnings.iter().any(|w| w.contains("onlineTimeout is not a number")));
        assert!(config.warnings.iter().any(|w| w.contains("unknown setting \"typo\"")));
        assert_eq!(config.online_threshold, 500);
        assert_eq!(config.online_timeout, 3600);
        assert_eq!(config.share_url_timeout, 60);
    }

    #[test]
    fn relative_paths_resolve_against_the_app_dir_and_empty_means_default() {
        let config = load_with(r#"{"thumbPath": "t", "defaultUserPath": "", "logFileName": "/var/log/x.log"}"#);
        assert!(config.thumb_path.is_absolute() && config.thumb_path.ends_with("t"));
        assert!(config.default_user_path.ends_with("building/users"));
        assert_eq!(config.log_file, PathBuf::from("/var/log/x.log"));
    }
}
