//! The `isync` library: every layer of the server, the scanner and the tools, for the `isync`
//! binary (`main.rs` and `cli.rs` turn argv into a command and run it) and the fuzz targets
//! (`tests/fuzz/`). It is not an API for other programs: a module is public only where the
//! binary names it, and `fuzzing` holds the few hidden entry points the fuzz targets call.

pub mod allocator;
pub mod api;
mod clock;
pub mod config;
mod dav;
pub mod db;
mod error;
mod fs;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod logging;
mod media;
mod model;
mod numbers;
mod password;
mod random;
// Public only for the binary: clippy now sees `scan::Progress::new` as exported and asks for a
// `Default`, which would be a second way to start a scan's clock.
#[allow(clippy::new_without_default)]
pub mod scan;
pub mod setup;
pub mod state;
mod sync;
mod thumb_cache;
mod web;

/// For the binary: finishes a deleteCatalog that a crash interrupted (at `serve` and `scan`).
pub use fs::tree::finish_interrupted_delete;
