//! `isync scan`: what gets recorded, what is skipped, users, merging, and adopting a database
//! built by the original iSyncServer.

use crate::common::{fixtures, isync_command, media_dir, run_isync, scan_config, Client, TestServer};
use rusqlite::Connection;
use serde_json::Value;
use std::path::Path;

fn all_files(client: &mut Client) -> Vec<Value> {
    client.get("/files.icc?pageIndex=0&maxPerPage=10000").data()["list"].as_array().unwrap().clone()
}

fn names(files: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = files.iter().map(|f| f["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

#[test]
fn media_metadata_is_recorded_with_display_oriented_dimensions() {
    let server = crate::family_library();
    let mut client = server.client();
    client.login("terry", "123");
    let files = all_files(&mut client);
    let by_name = |name: &str| files.iter().find(|f| f["name"] == name).unwrap().clone();
    let a = by_name("a.jpg");
    assert_eq!((a["type"].as_i64(), a["width"].as_i64(), a["height"].as_i64()), (Some(1), Some(64), Some(48)));
    assert!(a.get("orientation").is_none());
    let d = by_name("d.jpg");
    assert_eq!((d["width"].as_i64(), d["height"].as_i64(), d["orientation"].as_i64()), (Some(20), Some(30), Some(6)));
    let gif = by_name("c.gif");
    assert_eq!((gif["type"].as_i64(), gif["width"].as_i64()), (Some(2), Some(20)));
    assert!((gif["duration"].as_f64().unwrap() - 0.3).abs() < 1e-6, "{gif}");
    assert_eq!(by_name("b.png")["type"], 1);
    assert_eq!(by_name("notes.txt")["ext"], "txt");
}

#[test]
fn dot_entries_and_symlinked_directories_are_skipped_and_odd_names_are_data() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"top secret").unwrap();
    let outside_path = outside.path().to_path_buf();
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "m");
        std::fs::write(media.join(".DS_Store"), b"x").unwrap();
        std::fs::create_dir(media.join(".Trash")).unwrap();
        std::fs::write(media.join(".Trash/hidden.txt"), b"x").unwrap();
        std::os::unix::fs::symlink(&outside_path, media.join("escape")).unwrap();
        std::os::unix::fs::symlink(&media, media.join("loop")).unwrap();
        std::os::unix::fs::symlink(outside_path.join("secret.txt"), media.join("secret-link.txt")).unwrap();
        std::fs::write(media.join("inside.txt"), b"ok").unwrap();
        std::os::unix::fs::symlink(media.join("inside.txt"), media.join("inside-link.txt")).unwrap();
        for odd in ["it's \"quoted\".txt", "$(touch pwned).txt", "`id`.txt", "фото 照片.txt"] {
            std::fs::write(media.join(odd), b"odd").unwrap();
        }
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let names = names(&all_files(&mut client));
    assert_eq!(
        names,
        ["$(touch pwned).txt", "`id`.txt", "inside-link.txt", "inside.txt", "it's \"quoted\".txt", "фото 照片.txt"]
    );
    assert!(!Path::new("pwned").exists() && !server.app_dir().join("pwned").exists());
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    assert_eq!(client.get(&format!("/catalogs.icc?pids={root}")).data(), serde_json::json!([]));
}

#[test]
fn rescanning_adds_new_files_refreshes_changed_ones_and_p_rescans_one_path() {
    let dir = tempfile::tempdir().unwrap();
    let media = media_dir(dir.path(), "m");
    std::fs::write(media.join("one.txt"), b"1").unwrap();
    scan_config(dir.path(), &[("terry", "123", &[media.as_path()])]);
    std::fs::write(media.join("one.txt"), b"changed size").unwrap();
    std::fs::write(media.join("two.txt"), b"2").unwrap();
    let (code, _, stderr) = run_isync(dir.path(), &["scan"]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::create_dir(media.join("later")).unwrap();
    std::fs::write(media.join("later/three.txt"), b"3").unwrap();
    let (code, _, stderr) = run_isync(dir.path(), &["scan", "-p", media.join("later").to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("directories"), "progress is reported: {stderr}");
    let conn = Connection::open(dir.path().join("dataManager.db")).unwrap();
    let rows: Vec<(String, i64)> = conn
        .prepare("SELECT fileName, size FROM Files ORDER BY fileName")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let changed = ("one.txt".to_string(), b"changed size".len() as i64);
    assert_eq!(rows, [changed, ("three.txt".to_string(), 1), ("two.txt".to_string(), 1)]);
}

#[test]
fn a_missing_path_is_skipped_but_the_entry_still_grants_the_others() {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "m");
        std::fs::write(media.join("a.txt"), b"a").unwrap();
        let config = serde_json::json!([{"paths": ["/does/not/exist", media], "users": [{"name": "terry", "password": "123"}, {"nope": 1}, 7]}]);
        std::fs::write(dir.join("scanDiskConfig.json"), config.to_string()).unwrap();
        let (code, _, stderr) = run_isync(dir, &["scan"]);
        assert_eq!(code, 0);
        assert!(stderr.contains("/does/not/exist"), "{stderr}");
    });
    let mut client = server.client();
    client.login("terry", "123");
    assert_eq!(names(&all_files(&mut client)), ["a.txt"]);
}

#[test]
fn nested_roots_merge_only_when_every_user_keeps_access() {
    let server = TestServer::start_with(|dir| {
        let family = media_dir(dir, "family");
        let kid = media_dir(dir, "family/kid");
        std::fs::write(kid.join("k.txt"), b"k").unwrap();
        std::fs::write(family.join("f.txt"), b"f").unwrap();
        // The kid's folder is scanned first as its own root, then the parent's tree.
        scan_config(dir, &[("kid", "1", &[kid.as_path()])]);
        let config = serde_json::json!([
            {"paths": [kid], "users": [{"name": "kid"}]},
            {"paths": [family], "users": [{"name": "mum", "password": "2"}], "mergeRootPaths": 1},
            {"paths": [kid], "users": [{"name": "kid"}], "merge": 1}
        ]);
        std::fs::write(dir.join("scanDiskConfig.json"), config.to_string()).unwrap();
        assert_eq!(run_isync(dir, &["scan"]).0, 0);
    });
    let mut kid = server.client();
    kid.login("kid", "1");
    assert_eq!(names(&all_files(&mut kid)), ["k.txt"], "the kid kept access to their folder");
    let mut mum = server.client();
    mum.login("mum", "2");
    assert_eq!(names(&all_files(&mut mum)), ["f.txt"], "no merge: the kid cannot see the parent tree");
}

#[test]
fn a_config_that_is_not_an_array_does_nothing_and_unknown_options_fail() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scanDiskConfig.json"), r#"{"paths": []}"#).unwrap();
    let (code, _, stderr) = run_isync(dir.path(), &["scan"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("invalid format"), "{stderr}");
    let (code, _, stderr) = run_isync(dir.path(), &["scan", "-x"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("-x"), "{stderr}");
}

/// The schema the original iSyncServer created (dataManager.py), with plaintext passwords and
/// case-insensitive paths.
fn create_original_database(db: &Path, media: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "Create Table if not exists User(id integer primary key autoIncrement, name varchar(100) collate nocase UNIQUE,
            password varchar(32), createTime integer, lastLoginDate integer, lastModifyTime integer, helpInt integer, helpText text);
         Create Table if not exists Catalog(id integer primary key autoIncrement, path varchar(200) collate nocase UNIQUE,
            rootId integer, parentId integer, name varchar(100) collate nocase, createTime integer, lastModifyTime integer,
            memo varchar(1024), helpInt integer, helpText text);
         Create Table if not exists UserAssociate(id integer primary key autoIncrement, userId integer not null,
            rootCatalogId integer not null, unique(userId, rootCatalogId));
         Create Table if not exists Files(id integer primary key autoIncrement, uploadUserId integer, rootCatalogId integer,
            catalogId integer, realCatalogId integer, fileName varchar(100) collate nocase, ext varchar(10) collate nocase,
            name varchar(100) collate nocase, createTime integer, uploadTime integer, importTime integer, lastModifyTime integer,
            size integer, type integer, duration float, width integer, height integer, statusForThumb integer,
            statusForScreen integer, statusForOrigin integer, orientation integer, memo varchar(1024), helpInt integer,
            helpText text, unique(realCatalogId, fileName));",
    )
    .unwrap();
    let path = media.to_str().unwrap();
    conn.execute("INSERT INTO User(id, name, password, createTime, lastLoginDate, lastModifyTime) VALUES (7, 'Terry', '123', 1499000000, 1499000000, 1499000000)", []).unwrap();
    conn.execute("INSERT INTO Catalog(id, path, rootId, parentId, createTime, lastModifyTime, helpInt) VALUES (40, ?1, 40, -1, 1498000000, 1499000000, '12')", [path]).unwrap();
    conn.execute("INSERT INTO UserAssociate(userId, rootCatalogId) VALUES (7, 40)", []).unwrap();
    conn.execute(
        "INSERT INTO Files(id, rootCatalogId, catalogId, realCatalogId, fileName, ext, createTime, importTime, lastModifyTime,
         size, type, statusForThumb, statusForScreen, statusForOrigin) VALUES (300, 40, 40, 40, 'A.txt', 'txt', 1499000000.75, 1, 1, 5, 16, 0, 0, 0)",
        [],
    )
    .unwrap();
    conn.execute("DELETE FROM Files WHERE id > 300", []).unwrap();
    conn.execute("UPDATE sqlite_sequence SET seq = 500 WHERE name = 'Files'", []).unwrap();
}

#[test]
fn an_original_database_is_adopted_in_place_keeping_ids_and_hashing_passwords() {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "old");
        std::fs::write(media.join("A.txt"), b"upper").unwrap();
        std::fs::write(media.join("a.txt"), b"lower").unwrap();
        create_original_database(&dir.join("dataManager.db"), &media);
        let (code, _, stderr) = run_isync(dir, &["scan", "-p", media.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
    });
    let mut client = server.client();
    let user = client.login("terry", "123");
    assert_eq!(user["id"], 7);
    let roots = client.get("/catalogs.icc?pids=-1").data();
    assert_eq!((roots[0]["id"].as_i64(), roots[0]["helpInt"].as_i64()), (Some(40), Some(12)));
    let files = all_files(&mut client);
    let upper = files.iter().find(|f| f["name"] == "A.txt").unwrap();
    assert_eq!((upper["id"].as_i64(), upper["createTime"].as_i64()), (Some(300), Some(1499000000)));
    assert!(files.iter().any(|f| f["name"] == "a.txt"), "a.txt differs from A.txt only in case: {files:?}");
    assert!(
        files.iter().all(|f| f["id"].as_i64().unwrap() == 300 || f["id"].as_i64().unwrap() > 500),
        "ids are not reused"
    );
    let conn = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let stored: String = conn.query_row("SELECT password FROM User WHERE id = 7", [], |r| r.get(0)).unwrap();
    assert_ne!(stored, "123");
    assert!(stored.starts_with("pbkdf2-sha1$"), "{stored}");
}

/// 2023-05-14 10:15:00 UTC.
const MAY_14_UTC: i64 = 1_684_059_300;

#[test]
fn capture_dates_come_from_exif_movies_and_names_and_the_place_is_stored() {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        let plain = media.join("plain.jpg");
        fixtures::jpeg(&plain, 32, 24, None);
        let jpeg = std::fs::read(&plain).unwrap();
        let paris = Some(((48, 51), (2, 21), false));
        std::fs::write(
            media.join("zoned.jpg"),
            fixtures::with_exif_capture(&jpeg, "2023:05:14 12:15:00", Some("+02:00"), paris),
        )
        .unwrap();
        std::fs::write(
            media.join("unzoned.jpg"),
            fixtures::with_exif_capture(&jpeg, "2023:05:14 10:15:00", None, None),
        )
        .unwrap();
        std::fs::write(media.join("IMG_20230514_101500.jpg"), &jpeg).unwrap();
        let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_880_000); // 2020-01-01 12:00 UTC
        let times = std::fs::FileTimes::new().set_accessed(long_ago).set_modified(long_ago);
        std::fs::File::options().write(true).open(&plain).unwrap().set_times(times).unwrap();
        if fixtures::have_ffmpeg() {
            let status = std::process::Command::new("ffmpeg")
                .args([
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc=size=64x48:rate=10",
                ])
                .args([
                    "-t",
                    "1",
                    "-pix_fmt",
                    "yuv420p",
                    "-c:v",
                    "mpeg4",
                    "-metadata",
                    "creation_time=2023-05-14T10:15:00Z",
                ])
                .arg(media.join("clip.mp4"))
                .status()
                .expect("ffmpeg runs");
            assert!(status.success(), "ffmpeg made no clip.mp4");
        }
        let config = serde_json::json!([{"paths": [media], "users": [{"name": "terry", "password": "123"}]}]);
        std::fs::write(dir.join("scanDiskConfig.json"), config.to_string()).unwrap();
        // Three hours east of UTC (POSIX TZ), so that a reading without a zone is told from UTC.
        let scanned = isync_command().env("TZ", "XYZ-3").arg("--app-dir").arg(dir).arg("scan").output().unwrap();
        assert!(scanned.status.success(), "{}", String::from_utf8_lossy(&scanned.stderr));
    });
    let mut client = server.client();
    client.login("terry", "123");
    let files = all_files(&mut client);
    let taken = |name: &str| {
        files.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no {name}"))["createTime"].as_i64()
    };
    let three_hours = 3 * 3600;
    assert_eq!(taken("zoned.jpg"), Some(MAY_14_UTC), "DateTimeOriginal 12:15 at +02:00");
    assert_eq!(taken("unzoned.jpg"), Some(MAY_14_UTC - three_hours), "10:15 in the server's zone (UTC+3)");
    assert_eq!(
        taken("IMG_20230514_101500.jpg"),
        Some(MAY_14_UTC - three_hours),
        "the name's 10:15, in the server's zone"
    );
    assert_eq!(taken("plain.jpg"), Some(1_577_880_000), "the file time, as the last resort");
    if fixtures::have_ffmpeg() {
        assert_eq!(taken("clip.mp4"), Some(MAY_14_UTC), "the movie header's creation time (UTC)");
    } else {
        crate::common::skipped("no ffmpeg to make a movie with a creation time");
    }
    let db = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let place = |name: &str| -> (Option<f64>, Option<f64>) {
        db.query_row("SELECT latitude, longitude FROM Files WHERE fileName = ?1", [name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    };
    let (latitude, longitude) = place("zoned.jpg");
    assert!(latitude.is_some_and(|l| (l - (48.0 + 51.0 / 60.0)).abs() < 1e-9), "{latitude:?}");
    assert!(longitude.is_some_and(|l| (l - (2.0 + 21.0 / 60.0)).abs() < 1e-9), "{longitude:?}");
    assert_eq!(place("unzoned.jpg"), (None, None), "no GPS, no place");
}
