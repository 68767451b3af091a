//! The two thumbnail levels and their cache files `THUMBDIR/<realCatalogId>/thumb_<id>` and
//! `thumbScreen_<id>` (protocol §5.2). Names come from ids, never from client text.

use crate::media::thumbnail;
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
