//! Settings: `appConfigs.json` read once at start-up (`settings`) and the `isync config` tool
//! that edits it (`tool`), plus the names of the files that live in the app directory.

mod settings;
pub mod tool;

pub use settings::{Config, CONFIG_FILE, SCAN_CONFIG_FILE};
