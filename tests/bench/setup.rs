//! The app dir every serving benchmark shares: the small library and the big files scanned once
//! for the user `bench`, and the ids the benchmarks request (found through the API itself, like a
//! client would: catalogs.icc for the roots, files.icc for the big files). Servers are started on
//! it one at a time; none of the benchmarks changes it except for thumbnail cache files.

use crate::fixtures::{BIG_FILES, BLOB_NAME, BURST_PHOTOS, SMALL_FILES};
use crate::http::{get_data, login};
use crate::procs::Server;
use crate::scan::{files_in_database, run_scan, write_config};
use crate::{progress, Bench};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench";
pub const START_LIMIT: Duration = Duration::from_secs(20);

pub struct Setup {
    pub app: PathBuf,
    /// Root catalog of the small library (its children are the 10 top folders).
    pub photos_root: i64,
    pub p12: i64,
    /// The 12 MP photo with an EXIF thumbnail.
    pub p12_exif: i64,
    /// The 12 MP iPhone-like HEIC.
    pub heic12: i64,
    /// The copies of the 24 MP photo, `p24_0` first.
    pub p24: Vec<i64>,
    pub blob: i64,
}

impl Setup {
    /// Starts a fresh server on the shared app dir and logs in; returns it with the cookie line.
    pub fn serve(&self, b: &Bench) -> Result<(Server, String), String> {
        let (server, _) = Server::start(&b.bin, &self.app, &[], START_LIMIT)?;
        let cookie = login(server.addr, USER, PASSWORD)?;
        Ok((server, cookie))
    }

    /// Removes every cached thumbnail, so the next thumbnail request is a cold build.
    pub fn clear_thumbnails(&self) -> Result<(), String> {
        clear_thumbnails(&self.app)
    }
}

/// Removes every cached thumbnail of the app dir `app` (its building/thumbs stays).
pub fn clear_thumbnails(app: &Path) -> Result<(), String> {
    let thumbs = app.join("building/thumbs");
    let Ok(entries) = std::fs::read_dir(&thumbs) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Scans the library into a new app dir and looks up the ids.
pub fn prepare(b: &Bench) -> Result<Setup, String> {
    let app = b.work.join("apps/serve");
    write_config(&app, &[&b.lib.photos, &b.lib.big], Some((USER, PASSWORD)))?;
    let elapsed = run_scan(&b.bin, &app)?;
    let files = files_in_database(&app)?;
    progress(&format!("shared app dir scanned: {files} files in {:.1} s", elapsed.as_secs_f64()));
    let expected = (SMALL_FILES + BIG_FILES) as i64;
    if files != expected {
        return Err(format!("the shared app dir has {files} files, expected {expected}"));
    }
    let mut setup = Setup { app, photos_root: 0, p12: 0, p12_exif: 0, heic12: 0, p24: Vec::new(), blob: 0 };
    let (server, cookie) = setup.serve(b)?;
    let roots = get_data(server.addr, "/catalogs.icc?pids=-1", &cookie)?;
    let root_id = |name: &str| {
        roots
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name)
            .and_then(|c| c["id"].as_i64())
            .ok_or_else(|| format!("no root catalog named {name} in {roots}"))
    };
    setup.photos_root = root_id("photos")?;
    let big_root = root_id("big")?;
    let listing = get_data(server.addr, &format!("/files.icc?pageIndex=0&maxPerPage=100&pids={big_root}"), &cookie)?;
    let ids: HashMap<String, i64> = listing["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f["name"].as_str()?.to_string(), f["id"].as_i64()?)))
        .collect();
    let id =
        |name: &str| ids.get(name).copied().ok_or_else(|| format!("{name} is not listed in the big folder: {listing}"));
    setup.p12 = id("p12.jpg")?;
    setup.p12_exif = id("p12_exif.jpg")?;
    setup.heic12 = id("p12.heic")?;
    setup.blob = id(BLOB_NAME)?;
    setup.p24 = (0..BURST_PHOTOS).map(|i| id(&format!("p24_{i}.jpg"))).collect::<Result<_, _>>()?;
    Ok(setup)
}
