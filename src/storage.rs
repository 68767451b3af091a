//! Where things live on disk: the physical file of a row, and the thumbnail cache files
//! `THUMBDIR/<realCatalogId>/thumb_<id>` and `thumbScreen_<id>` (protocol §5.2). Names built here
//! come from ids and from database paths, never from client text.

use crate::media::thumbnail;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The two thumbnail levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Level 0: 160 px box, `thumb_<id>`, statusForThumb.
    Small,
    /// Any other level: 800 px box, `thumbScreen_<id>`, statusForScreen.
    Screen,
}

impl Level {
    pub fn from_param(level: i64) -> Level {
        if level == 0 {
            Level::Small
        } else {
            Level::Screen
        }
    }

    pub fn max_box(self) -> u32 {
        match self {
            Level::Small => thumbnail::SMALL_BOX,
            Level::Screen => thumbnail::SCREEN_BOX,
        }
    }
}

pub fn physical_file(catalog_path: &str, file_name: &str) -> PathBuf {
    Path::new(catalog_path).join(file_name)
}

pub fn thumb_dir(thumb_root: &Path, real_catalog_id: i64) -> PathBuf {
    thumb_root.join(real_catalog_id.to_string())
}

pub fn thumb_file(thumb_root: &Path, real_catalog_id: i64, file_id: i64, level: Level) -> PathBuf {
    let name = match level {
        Level::Small => format!("thumb_{file_id}"),
        Level::Screen => format!("thumbScreen_{file_id}"),
    };
    thumb_dir(thumb_root, real_catalog_id).join(name)
}

/// Size of a file, 0 when it does not exist.
pub fn size_or_zero(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// ⌊min(ctime, mtime, atime)⌋ of a path, or now when it cannot be read (protocol §3.5, §7.3).
pub fn earliest_time(path: &std::path::Path) -> i64 {
    match std::fs::metadata(path) {
        Ok(m) => m.ctime().min(m.mtime()).min(m.atime()),
        Err(_) => crate::db::now(),
    }
}
