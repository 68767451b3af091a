//! The starter scan configuration both set-ups write when there is none yet: the given media
//! folders, one first user `family` with a random password, readable by the owner only
//! (passwords are stored as written until the first scan hashes them into the database).

use crate::random;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const FIRST_USER: &str = "family";

/// Writes `file` (which must not exist yet) and returns the first user's password.
pub fn write(file: &Path, media: &[PathBuf]) -> Result<String, String> {
    let secret = random::hex_token::<6>();
    let password = format!("{}-{}-{}", &secret[0..4], &secret[4..8], &secret[8..12]);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .and_then(|mut f| f.write_all(text(media, &password).as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(password)
}

fn text(media: &[PathBuf], password: &str) -> String {
    let paths: Vec<String> = media.iter().map(|m| json_string(&m.to_string_lossy())).collect();
    let (user, password) = (json_string(FIRST_USER), json_string(password));
    format!(
        "[\n  {{\"paths\": [{}],\n   \"users\": [{{\"name\": {user}, \"password\": {password}}}]}}\n]\n",
        paths.join(", ")
    )
}

fn json_string(text: &str) -> String {
    miniserde::json::to_string(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_configuration_is_valid_json_with_the_folders_and_the_first_user() {
        let media = [PathBuf::from("/mnt/a \"b\""), PathBuf::from("/mnt/c")];
        let parsed: miniserde::json::Value = miniserde::json::from_str(&text(&media, "p-w")).unwrap();
        let shown = miniserde::json::to_string(&parsed);
        assert!(shown.contains(r#""/mnt/a \"b\"""#) && shown.contains("/mnt/c"), "{shown}");
        assert!(shown.contains(r#""name":"family""#) && shown.contains(r#""password":"p-w""#), "{shown}");
    }

    #[test]
    fn an_existing_configuration_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("scan.json");
        let password = write(&file, &[dir.path().to_path_buf()]).unwrap();
        assert_eq!(password.len(), 14);
        assert!(write(&file, &[]).is_err());
        assert!(std::fs::read_to_string(&file).unwrap().contains(&password));
    }
}
