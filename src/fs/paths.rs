//! Where a catalog's files are on disk, and the file facts the catalog stores about them. Paths
//! built here join database values (a catalog's path, a file's stored name), never client text:
//! client text goes through `safe_path` first.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The physical file of a row: its real catalog's directory and its stored name.
pub fn physical_file(catalog_path: &str, file_name: &str) -> PathBuf {
    Path::new(catalog_path).join(file_name)
}

/// Size of a file, 0 when it does not exist.
pub fn size_or_zero(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// ⌊min(ctime, mtime, atime)⌋ of a path, or now when it cannot be read (protocol §3.5, §7.3).
pub fn earliest_time(path: &Path) -> i64 {
    match std::fs::metadata(path) {
        Ok(m) => m.ctime().min(m.mtime()).min(m.atime()),
        Err(_) => crate::clock::now(),
    }
}
