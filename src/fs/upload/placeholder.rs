//! The empty placeholder file `uploadFileInfo.icc` creates (protocol §3.7, §4.15): a generated
//! `YYYY-MM-DD_N[.S(ext)]` name from `safe_path` (the one place client text becomes a path),
//! created exclusively (`create_new`) directly inside the catalog's physical directory with a
//! bounded number of attempts (D11), and made durable. It does not touch the database; the
//! caller inserts the row and removes the placeholder when that fails.

use crate::error::ApiError;
use crate::fs::safe_path;
use std::fs::OpenOptions;
use std::path::Path;

/// Creates the placeholder inside `dir` and returns its file name.
pub fn create(dir: &Path, ext: &str) -> Result<String, ApiError> {
    let (path, file) =
        safe_path::create_unique(dir, None, ext, |p| OpenOptions::new().write(true).create_new(true).open(p))?;
    file.sync_all()?;
    sync_dir(dir);
    let name = path.file_name().and_then(|n| n.to_str()).ok_or(ApiError::Data)?;
    Ok(name.to_string())
}

/// Makes a new directory entry durable; failures (some file systems refuse) are only logged.
pub fn sync_dir(dir: &Path) {
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        log::debug!("cannot fsync directory {}: {e}", dir.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_extensions_never_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        for ext in ["../../x", "/etc/passwd", "a\0b", "..", "", "照片", "x/../../y"] {
            let name = create(dir.path(), ext).unwrap();
            assert!(dir.path().join(&name).is_file(), "{ext:?} → {name}");
            assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 7);
    }
}
