//! `isync config --onlineThreshold=500 --thumbPath=/srv/thumbs`: edits `APPDIR/appConfigs.json`
//! as protocol §8.2 describes. Options are applied in order onto the existing object (unknown keys
//! are kept); numbers are checked, directories created, the log file opened for appending only.
//! Option syntax is checked by `cli`; this module only applies already-recognised settings.

use super::settings::{self, resolve, CONFIG_FILE, NUMERIC_KEYS, PATH_KEYS};
use crate::numbers::{int_of_json, parse_int};
use miniserde::json::{self, Number, Object, Value};
use std::path::Path;

/// True for the option names the tool accepts.
pub fn is_setting(key: &str) -> bool {
    NUMERIC_KEYS.iter().any(|(k, _)| *k == key) || PATH_KEYS.iter().any(|(k, _)| *k == key)
}

/// Applies `(key, value)` settings to the config file of `app_dir`; warnings go to stderr.
pub fn apply(app_dir: &Path, settings: &[(String, String)]) -> std::io::Result<()> {
    if settings.is_empty() {
        return Ok(());
    }
    let file = app_dir.join(CONFIG_FILE);
    let mut object = match settings::read_object(&file) {
        Ok(object) => object.unwrap_or_default(),
        Err(why) => {
            eprintln!("warning: {} {why}; it is replaced by the given settings", file.display());
            Object::new()
        }
    };
    for (key, value) in settings {
        if let Some(new_value) = checked_value(app_dir, &object, key, value) {
            object.insert(key.clone(), new_value);
        }
    }
    let text = json::to_string(&Value::Object(object));
    write_atomically(&file, text.as_bytes())
}

/// The value to store for one option, or None to keep the current one (after a warning).
fn checked_value(app_dir: &Path, object: &Object, key: &str, value: &str) -> Option<Value> {
    if let Some((_, default)) = NUMERIC_KEYS.iter().find(|(k, _)| *k == key) {
        let parsed = parse_int(value);
        if parsed.is_none() {
            eprintln!("warning: --{key}={value} is not an integer; keeping the current value");
        }
        let current = object.get(key).and_then(int_of_json).unwrap_or(*default);
        return Some(Value::Number(Number::I64(parsed.unwrap_or(current))));
    }
    let path = resolve(app_dir, Path::new(value));
    let usable = if key == "logFileName" { log_file_usable(&path) } else { dir_usable(&path) };
    if usable {
        Some(Value::String(value.to_string()))
    } else {
        eprintln!("warning: --{key}={value} cannot be used ({}); keeping the current value", path.display());
        None
    }
}

fn dir_usable(path: &Path) -> bool {
    let _ = std::fs::create_dir_all(path);
    path.is_dir()
}

fn log_file_usable(path: &Path) -> bool {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::OpenOptions::new().create(true).append(true).open(path).is_ok()
}

fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = file.with_extension("json.tmp");
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, file)
}
