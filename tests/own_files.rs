//! The server's own files are never media (issue 12 item 5): an app dir inside a scanned root,
//! a thumbnail cache or log inside one, a root that is the app dir or the cache, rows of the
//! app dir's files left by an older scan, and uploads or downloads aimed at them.

use crate::common::served::Served;
use crate::common::upload::{file, upload, Data};
use crate::common::{fixtures, run_isync, scan_config, Client, TestServer};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What no listing may show and no download may return.
const OWN_NAMES: [&str; 6] =
    ["scanDiskConfig.json", "dataManager.db", "appConfigs.json", "appLog.log", "appLog.log.1", "thumbs"];

/// `media/` (a.jpg, sub/b.jpg) with the app dir at `media/isync`, which holds its database,
/// settings, scan configuration, a thumbnail and two log files; scanned.
fn app_dir_inside_the_media(top: &Path) -> (PathBuf, PathBuf) {
    let media = top.join("media");
    let app_dir = media.join("isync");
    std::fs::create_dir_all(media.join("sub")).unwrap();
    std::fs::create_dir_all(app_dir.join("building/thumbs/1")).unwrap();
    fixtures::jpeg(&media.join("a.jpg"), 16, 16, None);
    fixtures::jpeg(&media.join("sub/b.jpg"), 16, 16, None);
    std::fs::write(app_dir.join("appConfigs.json"), r#"{"onlineTimeout": 3600}"#).unwrap();
    std::fs::write(app_dir.join("building/thumbs/1/thumb_1"), b"cached").unwrap();
    std::fs::write(app_dir.join("building/appLog.log"), b"old log\n").unwrap();
    std::fs::write(app_dir.join("building/appLog.log.1"), b"older log\n").unwrap();
    scan_config(&app_dir, &[("terry", "123", &[media.as_path()])]);
    (media, app_dir)
}

/// Every file and catalog name terry can list, walking the catalogs from the roots down.
fn everything_listed(client: &mut Client) -> Vec<String> {
    let files = client.get("/files.icc?pageIndex=0&maxPerPage=10000").data()["list"].clone();
    let mut names: Vec<String> =
        files.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect();
    let mut parents = vec![-1];
    while let Some(parent) = parents.pop() {
        for catalog in client.get(&format!("/catalogs.icc?pids={parent}")).data().as_array().unwrap() {
            names.push(catalog["name"].as_str().unwrap().to_string());
            parents.push(catalog["id"].as_i64().unwrap());
        }
    }
    names.sort();
    names
}

/// The Files rows whose physical file lies inside `dir`, as (id, path).
fn rows_inside(app_dir: &Path, dir: &Path) -> Vec<(i64, String)> {
    let conn = Connection::open(app_dir.join("dataManager.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT f.id, c.path || '/' || f.fileName FROM Files f JOIN Catalog c ON c.id = f.realCatalogId")
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?))).unwrap();
    rows.map(Result::unwrap).filter(|(_, path)| Path::new(path).starts_with(dir)).collect()
}

#[test]
fn an_app_dir_inside_a_scanned_root_is_never_listed_or_served_and_is_warned_about() {
    let top = tempfile::tempdir().unwrap();
    let (media, app_dir) = app_dir_inside_the_media(top.path());
    let (code, _, scan_err) = run_isync(&app_dir, &["scan"]);
    assert_eq!(code, 0, "{scan_err}");
    assert!(rows_inside(&app_dir, &app_dir).is_empty(), "the scan indexed the app dir");
    assert!(scan_err.contains("the app dir") && scan_err.contains("lies inside the media folder"), "{scan_err}");

    let server = Served::start(&app_dir, top.path().join("stderr"));
    let mut client = server.client("terry", "123");
    assert_eq!(everything_listed(&mut client), ["a.jpg", "b.jpg", "media", "sub"]);
    let own: Vec<Vec<u8>> =
        ["scanDiskConfig.json", "appConfigs.json", "building/appLog.log.1", "building/thumbs/1/thumb_1"]
            .iter()
            .map(|name| std::fs::read(app_dir.join(name)).unwrap())
            .collect();
    for id in 1..=20 {
        let response = client.get(&format!("/downFile.icc?id={id}"));
        if response.status == 200 {
            assert!(!own.contains(&response.body) && !response.body.starts_with(b"SQLite format"), "file {id}");
        }
    }
    let log = std::fs::read_to_string(app_dir.join("building/appLog.log")).unwrap();
    let warning = format!("lies inside the media folder \"{}\"", media.display());
    assert!(log.contains(&warning), "the log warns: {log}");
    assert!(server.stderr().contains(&warning), "stderr warns: {}", server.stderr());
}

#[test]
fn rows_an_older_scan_made_of_the_app_dir_are_forgotten_and_cannot_be_downloaded_or_overwritten() {
    let top = tempfile::tempdir().unwrap();
    let (media, app_dir) = app_dir_inside_the_media(top.path());
    let stale = insert_rows_of_the_app_dir(&app_dir, &media);
    let config_before = std::fs::read(app_dir.join("scanDiskConfig.json")).unwrap();

    // Rows that appear while the server runs (an older scanner, an edited database).
    let server = Served::start(&app_dir, top.path().join("stderr-1"));
    let stale_later = insert_rows_of_the_app_dir(&app_dir, &media);
    let mut client = server.client("terry", "123");
    for id in stale_later {
        assert_eq!(client.get(&format!("/downFile.icc?id={id}")).status, 404, "download of row {id}");
        let overwrite = upload(&client, &format!("id={id}"), &[file("origin", Data::Bytes(b"[]".to_vec()))]);
        assert_eq!(overwrite.code(), -10003, "upload to row {id}");
    }
    assert_eq!(std::fs::read(app_dir.join("scanDiskConfig.json")).unwrap(), config_before);
    assert!(std::fs::read(app_dir.join("dataManager.db")).unwrap().starts_with(b"SQLite format"));
    drop(server);

    // At the next start they are deleted too (those inserted before the first start already were).
    let server = Served::start(&app_dir, top.path().join("stderr-2"));
    assert!(rows_inside(&app_dir, &app_dir).is_empty(), "{:?}", rows_inside(&app_dir, &app_dir));
    assert!(server.stderr().contains("file rows that pointed at the server's own files"), "{}", server.stderr());
    let mut client = server.client("terry", "123");
    for id in stale {
        assert_eq!(client.get(&format!("/downFile.icc?id={id}")).status, 404);
    }
    let listed = everything_listed(&mut client);
    assert!(OWN_NAMES.iter().all(|own| !listed.iter().any(|name| name == own)), "{listed:?}");
}

/// What iSyncServer's scanner made of an app dir inside its root: a catalog for it and rows for
/// its files. Returns the new rows' ids.
fn insert_rows_of_the_app_dir(app_dir: &Path, media: &Path) -> Vec<i64> {
    let conn = Connection::open(app_dir.join("dataManager.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let root: i64 =
        conn.query_row("SELECT id FROM Catalog WHERE path = ?1", [media.to_str().unwrap()], |r| r.get(0)).unwrap();
    let dir = app_dir.to_str().unwrap();
    conn.execute(
        "INSERT OR IGNORE INTO Catalog(path, rootId, parentId) VALUES (?1, ?2, ?2)",
        rusqlite::params![dir, root],
    )
    .unwrap();
    let catalog: i64 = conn.query_row("SELECT id FROM Catalog WHERE path = ?1", [dir], |r| r.get(0)).unwrap();
    let mut ids = Vec::new();
    for name in ["scanDiskConfig.json", "dataManager.db"] {
        conn.execute("DELETE FROM Files WHERE realCatalogId = ?1 AND fileName = ?2", rusqlite::params![catalog, name])
            .unwrap();
        conn.execute(
            "INSERT INTO Files(rootCatalogId, catalogId, realCatalogId, fileName, size, type, statusForThumb, \
             statusForScreen, statusForOrigin) VALUES (?1, ?2, ?2, ?3, 10, 16, 0, 0, 0)",
            rusqlite::params![root, catalog, name],
        )
        .unwrap();
        ids.push(conn.last_insert_rowid());
    }
    ids
}

#[test]
fn a_root_that_is_the_app_dir_or_inside_the_thumbnail_cache_is_refused_with_a_clear_message() {
    let server = TestServer::start_with(|dir| {
        std::fs::create_dir_all(dir.join("building/thumbs/1")).unwrap();
        std::fs::write(dir.join("building/thumbs/1/thumb_1"), b"cached").unwrap();
        let own: [&Path; 2] = [dir, &dir.join("building/thumbs/1")];
        let json = serde_json::json!([{"paths": own, "users": [{"name": "terry", "password": "123"}]}]);
        std::fs::write(dir.join("scanDiskConfig.json"), json.to_string()).unwrap();
        let (code, _, stderr) = run_isync(dir, &["scan"]);
        assert_eq!(code, 0, "{stderr}");
        for (path, what) in [(dir.to_path_buf(), "the app dir"), (dir.join("building/thumbs/1"), "the thumbnail cache")]
        {
            let refusal = format!("{:?} is {what} (or inside it); refused", path.display().to_string());
            assert!(stderr.contains(&refusal), "{refusal} in {stderr}");
        }
    });
    let conn = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let catalogs: i64 = conn.query_row("SELECT count(*) FROM Catalog", [], |r| r.get(0)).unwrap();
    let files: i64 = conn.query_row("SELECT count(*) FROM Files", [], |r| r.get(0)).unwrap();
    assert_eq!((catalogs, files), (0, 0));
}

#[test]
fn a_thumbnail_cache_and_a_log_inside_a_media_root_are_skipped_and_warned_about() {
    let server = TestServer::start_with(|dir| {
        let media = dir.join("media");
        std::fs::create_dir_all(&media).unwrap();
        fixtures::jpeg(&media.join("a.jpg"), 800, 600, None);
        let settings =
            serde_json::json!({"thumbPath": media.join("cache"), "logFileName": media.join("logs/isync.log")});
        std::fs::write(dir.join("appConfigs.json"), settings.to_string()).unwrap();
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let id = crate::file_id(&mut client, "a.jpg");
    assert_eq!(client.get(&format!("/thumbnail.icc?id={id}")).status, 200, "a cached thumbnail now exists");
    let media = server.app_dir().join("media");
    let cached = walk(&media.join("cache"));
    assert!(!cached.is_empty() && media.join("logs/isync.log").is_file());
    std::fs::write(media.join("logs/isync.log.1"), b"an older log\n").unwrap();
    let (code, _, stderr) = run_isync(server.app_dir(), &["scan"]);
    assert_eq!(code, 0, "{stderr}");
    for what in ["the thumbnail cache", "the log"] {
        assert!(stderr.contains(&format!("{what} ")) && stderr.contains("lies inside the media folder"), "{stderr}");
    }
    assert_eq!(everything_listed(&mut client), ["a.jpg", "logs", "media"], "the log's folder is an empty catalog");
    assert!(rows_inside(server.app_dir(), &media.join("cache")).is_empty());
    assert!(rows_inside(server.app_dir(), &media.join("logs")).is_empty());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
