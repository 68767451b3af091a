//! The media on disk: where a row's file lives (`paths`), opening a media file without following
//! symbolic links out of its root (`open`), turning client text into a path that stays inside
//! its root (`safe_path`), the catalog tree's changes on disk and in the database
//! together (`tree`), uploads (`upload`), the default folder of a user without one
//! (`default_root`), the server's own files that are never media (`own_files`), and noticing
//! changes in the media folders as they happen (`watch`). Handlers
//! call in here for every rule that touches both disk and catalog.

pub mod default_root;
pub mod open;
pub mod own_files;
pub mod paths;
pub mod safe_path;
pub mod tree;
pub mod upload;
pub mod watch;
