//! The server's own files, which are never media: the app directory (its database, settings
//! and scan configurations, with passwords, live directly in it), the thumbnail cache, and the
//! log file with its rotated siblings — wherever the settings put them. Paths are compared in
//! canonical form (symbolic links and `..` resolved), because a media root and the app dir can
//! name the same directory in different ways. The scanner asks here what to skip, uploads what
//! they may not write, and start-up what to warn about; this module only answers questions.
//!
//! Folders *inside* the app dir other than the cache are not the server's own: the default user
//! folders (`building/users`) and `make run`'s media live there. A walk from a root above the
//! app dir still never enters it.

use crate::config::Config;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// What a canonical path is to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Own {
    AppDir,
    /// An entry directly inside the app dir (the database, the settings, the journal…).
    AppDirFile,
    ThumbnailCache,
    Log,
}

impl Own {
    pub fn describe(self) -> &'static str {
        match self {
            Own::AppDir => "the app dir",
            Own::AppDirFile => "a file of the app dir",
            Own::ThumbnailCache => "the thumbnail cache",
            Own::Log => "the log",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OwnFiles {
    app_dir: PathBuf,
    thumbs: PathBuf,
    log_dir: PathBuf,
    log_name: PathBuf,
}

impl OwnFiles {
    pub fn of(config: &Config) -> OwnFiles {
        let log = canonical(&config.log_file);
        OwnFiles {
            app_dir: canonical(&config.app_dir),
            thumbs: canonical(&config.thumb_path),
            log_dir: log.parent().map(Path::to_path_buf).unwrap_or_default(),
            log_name: log.file_name().map(PathBuf::from).unwrap_or_default(),
        }
    }

    /// What the *file* at canonical `path` is to the server, if anything.
    pub fn file(&self, path: &Path) -> Option<Own> {
        if path.starts_with(&self.thumbs) {
            Some(Own::ThumbnailCache)
        } else if path.parent() == Some(self.log_dir.as_path()) && path.file_name().is_some_and(|n| self.is_log(n)) {
            Some(Own::Log)
        } else if path.parent() == Some(self.app_dir.as_path()) {
            Some(Own::AppDirFile)
        } else {
            None
        }
    }

    /// What the *directory* at canonical `path` is to the server, if anything: the app dir
    /// itself, or the thumbnail cache or a directory inside it.
    pub fn dir(&self, path: &Path) -> Option<Own> {
        if path == self.app_dir {
            Some(Own::AppDir)
        } else if path.starts_with(&self.thumbs) {
            Some(Own::ThumbnailCache)
        } else {
            None
        }
    }

    /// A file whose path is not canonical yet (its directory is resolved, the name kept).
    pub fn file_at(&self, path: &Path) -> Option<Own> {
        self.file(&canonical(path))
    }

    /// True when the canonical directory `dir` can hold files of the server's own: the app
    /// dir, the log's directory, the cache or a directory in it.
    pub fn may_hold_own_files(&self, dir: &Path) -> bool {
        dir == self.app_dir || dir == self.log_dir || dir.starts_with(&self.thumbs)
    }

    /// The server's own places that lie inside the canonical directory `root` (or are it): the
    /// app dir, and the cache and the log's directory unless they are inside the app dir.
    pub fn inside(&self, root: &Path) -> Vec<(Own, &Path)> {
        let app_dir_inside = self.app_dir.starts_with(root);
        [(Own::AppDir, &self.app_dir), (Own::ThumbnailCache, &self.thumbs), (Own::Log, &self.log_dir)]
            .into_iter()
            .filter(|(own, place)| {
                place.starts_with(root)
                    && (*own == Own::AppDir || !(app_dir_inside && place.starts_with(&self.app_dir)))
            })
            .map(|(own, place)| (own, place.as_path()))
            .collect()
    }

    /// `appLog.log` and its rotated siblings `appLog.log.1`, `appLog.log.2`, …
    fn is_log(&self, name: &OsStr) -> bool {
        let (name, log) = (name.as_encoded_bytes(), self.log_name.as_os_str().as_encoded_bytes());
        match name.strip_prefix(log) {
            Some([]) => true,
            Some([b'.', digits @ ..]) => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
            _ => false,
        }
    }
}

/// `path` with symbolic links and `..` resolved as far as it exists; the missing rest (a cache
/// not created yet) is appended as written.
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => canonical(parent).join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_files(app_dir: &Path, thumbs: &str, log: &str) -> OwnFiles {
        let mut config = Config::load(app_dir);
        config.thumb_path = app_dir.join(thumbs);
        config.log_file = app_dir.join(log);
        OwnFiles::of(&config)
    }

    #[test]
    fn the_app_dir_its_files_the_cache_and_the_logs_are_recognised_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir_all(app.join("building")).unwrap();
        std::os::unix::fs::symlink(&app, dir.path().join("link")).unwrap();
        let own = own_files(&app, "building/thumbs", "building/appLog.log");
        let via_link = dir.path().join("link");
        assert_eq!(own.dir(&canonical(&via_link)), Some(Own::AppDir));
        assert_eq!(own.file_at(&via_link.join("scanDiskConfig.json")), Some(Own::AppDirFile));
        assert_eq!(own.file_at(&via_link.join("building/../dataManager.db-wal")), Some(Own::AppDirFile));
        assert_eq!(own.file_at(&via_link.join("building/thumbs/3/thumb_7")), Some(Own::ThumbnailCache));
        assert_eq!(own.dir(&canonical(&via_link.join("building/thumbs/3"))), Some(Own::ThumbnailCache));
        for log in ["appLog.log", "appLog.log.1", "appLog.log.25"] {
            assert_eq!(own.file_at(&via_link.join("building").join(log)), Some(Own::Log), "{log}");
        }
        for media in ["appLog.log.x", "appLog.log.", "appLog.logs", "users/3/a.jpg", "users"] {
            assert_eq!(own.file_at(&app.join("building").join(media)), None, "{media}");
        }
        assert_eq!(own.dir(&canonical(&app.join("building/users/3"))), None, "default user folders are media");
    }

    #[test]
    fn places_inside_a_root_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("media/isync");
        std::fs::create_dir_all(&app).unwrap();
        let own = own_files(&app, "/var/cache/isync-thumbs", "building/appLog.log");
        let inside = own.inside(&canonical(&dir.path().join("media")));
        let kinds: Vec<Own> = inside.iter().map(|(own, _)| *own).collect();
        assert_eq!(kinds, [Own::AppDir], "the log inside the app dir is not named again");
        assert_eq!(own.inside(&canonical(&app.join("building")))[0].0, Own::Log);
        assert!(own.inside(&canonical(&app.join("building/users"))).is_empty());
        let apart = own_files(&app, "../thumbs", "/var/log/isync.log");
        let kinds: Vec<Own> = apart.inside(&canonical(&dir.path().join("media"))).iter().map(|(o, _)| *o).collect();
        assert_eq!(kinds, [Own::AppDir, Own::ThumbnailCache]);
    }
}
