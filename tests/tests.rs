//! Integration tests: every test starts the real `isync` binary on 127.0.0.1:0 with its own
//! temporary app dir and generated media, and speaks HTTP to it.

mod common;

mod account;
mod broken_settings;
mod browser;
mod catalogs;
mod cli;
mod connections;
mod dav;
mod delete_crash;
mod downloads;
mod edits;
mod files;
mod heic;
mod hostile;
mod install;
mod keep_alive;
mod layers;
mod library;
mod limits;
mod log_limits;
mod media_safety;
mod own_files;
mod packaging;
mod scanner;
mod thumbnails;
mod upload_resume;
mod uploads;
mod web;

use common::{fixtures, media_dir, scan_config, TestServer};
use std::path::Path;

/// Two users with their own roots:
/// terry/123 → `terry/` (a.jpg 64×48, b.png, sub/c.gif, notes.txt, sub/deeper/d.jpg),
/// anna/456 → `anna/` (x.jpg).
pub fn family_library() -> TestServer {
    TestServer::start_with(family_setup)
}

/// Prepares the app dir of [`family_library`].
pub fn family_setup(dir: &Path) {
    let terry = media_dir(dir, "terry");
    fixtures::jpeg(&terry.join("a.jpg"), 64, 48, None);
    fixtures::png_with_alpha(&terry.join("b.png"), 40, 30);
    std::fs::create_dir_all(terry.join("sub/deeper")).unwrap();
    fixtures::gif(&terry.join("sub/c.gif"), 20, 10, 3, 10);
    std::fs::write(terry.join("notes.txt"), b"hello notes").unwrap();
    fixtures::jpeg(&terry.join("sub/deeper/d.jpg"), 30, 20, Some(6));
    let anna = media_dir(dir, "anna");
    fixtures::jpeg(&anna.join("x.jpg"), 16, 16, None);
    scan_config(dir, &[("terry", "123", &[terry.as_path()]), ("anna", "456", &[anna.as_path()])]);
}

/// The id of the file with this display name among the user's files.
pub fn file_id(client: &mut common::Client, name: &str) -> i64 {
    let list = client.get("/files.icc?pageIndex=0").data()["list"].clone();
    list.as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no file named {name} in {list}"))["id"]
        .as_i64()
        .unwrap()
}

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}
