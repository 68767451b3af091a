//! The library follows the disk (issue 14), through the real binary: `isync scan` and the
//! server's own sweeps remove a file or folder gone from the disk at the second look that misses
//! it (with its thumbnails), probe a changed file again and drop its thumbnails, backfill the
//! capture time of rows from before, leave an offline root (renamed away, or empty where it held
//! files, or on another device than before) untouched so that it comes back intact, never touch
//! an upload in progress, and take a file still being written only once it is complete.

use crate::common::upload::Tmpfs;
use crate::common::{fixtures, media_dir, run_isync, scan_config, Client, TestServer};
use rusqlite::Connection;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a test waits for a sweep to show a change (a removal takes two looks 20 s apart).
const SWEPT: Duration = Duration::from_secs(60);

/// `isync scan` of the app dir's scan configuration; its stderr.
fn rescan(app_dir: &Path) -> String {
    let (code, _, stderr) = run_isync(app_dir, &["scan"]);
    assert_eq!(code, 0, "scan failed: {stderr}");
    stderr
}

/// (name, id, width) of every file terry sees, sorted by name.
fn listed(client: &mut Client) -> Vec<(String, i64, Option<i64>)> {
    let list = client.get("/files.icc?pageIndex=0&maxPerPage=1000").data()["list"].clone();
    let mut files: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["id"].as_i64().unwrap(), f["width"].as_i64()))
        .collect();
    files.sort();
    files
}

fn names(client: &mut Client) -> Vec<String> {
    listed(client).into_iter().map(|(name, _, _)| name).collect()
}

/// The cached level-0 thumbnail files under the app dir's thumbnail cache.
fn cached_thumbnails(app_dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![app_dir.join("building/thumbs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found
}

/// terry's library: a.jpg and b.jpg at the top, trip/c.jpg below (each larger than a level-0
/// thumbnail, so their thumbnails are cached), scanned.
fn library(dir: &Path) -> PathBuf {
    let media = media_dir(dir, "terry");
    fixtures::jpeg(&media.join("a.jpg"), 640, 480, None);
    fixtures::jpeg(&media.join("b.jpg"), 480, 360, None);
    std::fs::create_dir_all(media.join("trip")).unwrap();
    fixtures::jpeg(&media.join("trip/c.jpg"), 400, 200, None);
    scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    media
}

fn logged_in(server: &TestServer) -> Client {
    let mut client = server.client();
    client.login("terry", "123");
    client
}

/// Waits until `check` holds, at most SWEPT.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < SWEPT, "{what}: not within {SWEPT:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_removed_file_and_folder_leave_at_the_second_look_with_their_thumbnails() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    for (_, id, _) in listed(&mut client) {
        assert_eq!(client.get(&format!("/thumbnail.icc?id={id}&level=0")).status, 200);
    }
    assert_eq!(cached_thumbnails(server.app_dir()).len(), 3);
    let media = server.app_dir().join("terry");
    std::fs::remove_file(media.join("a.jpg")).unwrap();
    std::fs::remove_dir_all(media.join("trip")).unwrap();

    let first = rescan(server.app_dir());
    assert!(first.contains("2 missing once"), "{first}");
    assert_eq!(names(&mut client), ["a.jpg", "b.jpg", "c.jpg"], "one look that misses them removes nothing");
    let second = rescan(server.app_dir());
    assert!(second.contains("a.jpg\" is gone from the disk: removed"), "{second}");
    assert!(second.contains("trip\" is gone from the disk: removed with its 1 files"), "{second}");
    assert_eq!(names(&mut client), ["b.jpg"]);
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    assert_eq!(client.get(&format!("/catalogs.icc?pids={root}")).data(), Value::Array(vec![]), "trip is gone");
    assert_eq!(cached_thumbnails(server.app_dir()).len(), 1, "only b.jpg's thumbnail is left");
}

#[test]
fn a_changed_file_is_probed_again_and_its_old_thumbnail_dropped() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    let (_, id, width) = listed(&mut client).into_iter().find(|(name, _, _)| name == "a.jpg").unwrap();
    assert_eq!(width, Some(640));
    let before = client.get(&format!("/thumbnail.icc?id={id}&level=0")).body;
    fixtures::jpeg(&server.app_dir().join("terry/a.jpg"), 900, 300, None);
    let stderr = rescan(server.app_dir());
    assert!(stderr.contains("1 changed"), "{stderr}");
    let (_, same_id, width) = listed(&mut client).into_iter().find(|(name, _, _)| name == "a.jpg").unwrap();
    assert_eq!((same_id, width), (id, Some(900)), "the same row, probed again");
    let after = client.get(&format!("/thumbnail.icc?id={id}&level=0")).body;
    assert_ne!(before, after, "the thumbnail was built again from the new picture");
    let thumb = image::load_from_memory(&after).unwrap();
    assert_eq!(thumb.width() / thumb.height(), 3, "of the new 3:1 picture");
}

#[test]
fn an_offline_root_removes_nothing_and_comes_back_intact() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    let before = listed(&mut client);
    let media = server.app_dir().join("terry");
    let away = server.app_dir().join("terry-away");

    // Renamed away (a disk that is gone): skipped, twice.
    std::fs::rename(&media, &away).unwrap();
    for _ in 0..2 {
        let stderr = rescan(server.app_dir());
        assert!(stderr.contains("is not an existing directory; skipped"), "{stderr}");
    }
    assert_eq!(listed(&mut client), before);

    // An empty directory where the files were (a mount point without its disk): offline, twice.
    std::fs::create_dir(&media).unwrap();
    for _ in 0..2 {
        let stderr = rescan(server.app_dir());
        assert!(stderr.contains("is offline (empty, where 3 files were)"), "{stderr}");
    }
    assert_eq!(listed(&mut client), before);

    std::fs::remove_dir(&media).unwrap();
    std::fs::rename(&away, &media).unwrap();
    let stderr = rescan(server.app_dir());
    assert!(!stderr.contains("is offline") && stderr.contains("0 removed"), "{stderr}");
    assert_eq!(listed(&mut client), before, "back with the same ids");
}

#[test]
fn uploads_in_progress_are_never_touched() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let form = format!("cid={root}&name=clip.mov&size=100&type=4&ext=MOV");
    let id = client.post_form("/uploadFileInfo.icc", &form).data()["id"].as_i64().unwrap();
    let db = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let name: String = db.query_row("SELECT fileName FROM Files WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    std::fs::remove_file(server.app_dir().join("terry").join(&name)).unwrap();
    rescan(server.app_dir());
    rescan(server.app_dir());
    let uploading = client.get("/uploadingInfo.icc").data();
    assert!(uploading.as_array().unwrap().iter().any(|f| f["id"] == id), "{uploading}");
}

#[test]
fn the_first_look_at_rows_from_before_backfills_their_capture_time() {
    let server = TestServer::start_with(|dir| {
        let media = library(dir);
        let plain = std::fs::read(media.join("b.jpg")).unwrap();
        let exif = fixtures::with_exif_capture(&plain, "2023:05:14 12:15:00", Some("+02:00"), None);
        std::fs::write(media.join("b.jpg"), exif).unwrap();
        // As a database from before this knew it: no look has probed it yet.
        let db = Connection::open(dir.join("dataManager.db")).unwrap();
        db.execute_batch("UPDATE Files SET createTime = 7, size = (SELECT size FROM DiskFile WHERE fileId = Files.id); DELETE FROM DiskFile;").unwrap();
        // ... and an older version could not build its thumbnails.
        db.execute_batch("UPDATE Files SET statusForThumb = 1, statusForScreen = 1 WHERE fileName = 'a.jpg'").unwrap();
    });
    let mut client = logged_in(&server);
    let created = |client: &mut Client, name: &str| {
        let list = client.get("/files.icc?pageIndex=0").data()["list"].clone();
        list.as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["createTime"].as_i64()
    };
    rescan(server.app_dir());
    assert_eq!(created(&mut client, "b.jpg"), Some(1_684_059_300), "EXIF 12:15 at +02:00");
    assert_eq!(created(&mut client, "a.jpg"), Some(7), "no capture time: the date it had is kept");
    let id = crate::file_id(&mut client, "a.jpg");
    for level in [0, 1] {
        let thumbnail = client.get(&format!("/thumbnail.icc?id={id}&level={level}"));
        assert_eq!(thumbnail.status, 200, "a failed build of level {level} is tried again after the first look");
    }
}

#[test]
fn the_servers_sweeps_follow_files_copied_written_slowly_changed_and_removed_without_a_restart() {
    let server = TestServer::start_with(|dir| {
        library(dir);
        std::fs::write(dir.join("appConfigs.json"), r#"{"sweepInterval": 1, "watchFolders": 0}"#).unwrap();
    });
    let mut client = logged_in(&server);
    let media = server.app_dir().join("terry");

    // A file copied in appears; one still being written (a partial name, then growing) only
    // when it is complete, and once.
    fixtures::jpeg(&media.join("new.jpg"), 16, 16, None);
    let partial = media.join("slow.jpg.part");
    let whole = {
        let scratch = tempfile::tempdir().unwrap();
        fixtures::jpeg(&scratch.path().join("slow.jpg"), 48, 16, None);
        std::fs::read(scratch.path().join("slow.jpg")).unwrap()
    };
    std::fs::write(&partial, &whole[..whole.len() / 2]).unwrap();
    eventually("new.jpg is listed", || names(&mut client).contains(&"new.jpg".to_string()));
    assert!(!names(&mut client).iter().any(|n| n.starts_with("slow")), "a partial file is not listed");
    std::fs::write(&partial, &whole).unwrap();
    std::fs::rename(&partial, media.join("slow.jpg")).unwrap();
    eventually("slow.jpg is listed", || names(&mut client).contains(&"slow.jpg".to_string()));
    let slow: Vec<_> = listed(&mut client).into_iter().filter(|(name, _, _)| name == "slow.jpg").collect();
    assert_eq!(slow.len(), 1, "listed once: {slow:?}");
    assert_eq!(slow[0].2, Some(48), "probed complete");

    // Changed, then removed.
    fixtures::jpeg(&media.join("b.jpg"), 90, 30, None);
    eventually("b.jpg is probed again", || listed(&mut client).iter().any(|(n, _, w)| n == "b.jpg" && *w == Some(90)));
    std::fs::remove_file(media.join("a.jpg")).unwrap();
    eventually("a.jpg is gone", || !names(&mut client).contains(&"a.jpg".to_string()));
    assert_eq!(names(&mut client), ["b.jpg", "c.jpg", "new.jpg", "slow.jpg"]);
}

#[test]
fn a_root_found_on_another_device_is_offline_for_the_server_and_accepted_by_isync_scan() {
    if !crate::common::running_as_root() {
        return crate::common::skipped("mounting a tmpfs (the disk of the root) needs root");
    }
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        fixtures::jpeg(&media.join("stray.jpg"), 640, 480, None); // on the disk under the mount point
        let disk = Tmpfs::mount(&media, "4m");
        fixtures::jpeg(&media.join("a.jpg"), 640, 480, None);
        fixtures::jpeg(&media.join("b.jpg"), 640, 480, None);
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
        std::fs::write(dir.join("appConfigs.json"), r#"{"sweepInterval": 1}"#).unwrap();
        drop(disk); // the USB disk is gone; its mount point shows what the SD card holds there
    });
    let mut client = logged_in(&server);
    let log = server.app_dir().join("building/appLog.log");
    eventually("the server says the root is offline", || {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("is offline (on another device than before"))
    });
    std::thread::sleep(Duration::from_secs(4)); // more looks
    assert_eq!(names(&mut client), ["a.jpg", "b.jpg"], "nothing removed, nothing added");
    let stderr = rescan(server.app_dir());
    assert!(
        !stderr.contains("is offline") && stderr.contains("1 new files") && stderr.contains("2 missing once"),
        "{stderr}"
    );
}

#[test]
fn with_the_default_settings_the_watches_bring_copies_new_folders_and_removals_within_seconds() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    let media = server.app_dir().join("terry");
    // Past the start-up look, so that only an event can bring what follows.
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    fixtures::jpeg(&media.join("copied.jpg"), 640, 480, None);
    // A camera's clock a day ahead: a time in the future is no sign of a copy in progress.
    let ahead = std::time::SystemTime::now() + Duration::from_secs(86_400);
    fixtures::jpeg(&media.join("ahead.jpg"), 640, 480, None);
    std::fs::File::options().write(true).open(media.join("ahead.jpg")).unwrap().set_modified(ahead).unwrap();
    std::fs::create_dir(media.join("party")).unwrap();
    fixtures::jpeg(&media.join("party/cake.jpg"), 640, 480, None);
    eventually("the copies are listed", || {
        let names = names(&mut client);
        names.contains(&"copied.jpg".to_string())
            && names.contains(&"cake.jpg".to_string())
            && names.contains(&"ahead.jpg".to_string())
    });
    let copied = started.elapsed();
    std::fs::remove_file(media.join("b.jpg")).unwrap();
    std::fs::remove_dir_all(media.join("trip")).unwrap();
    eventually("the removals are gone", || names(&mut client) == ["a.jpg", "ahead.jpg", "cake.jpg", "copied.jpg"]);
    assert!(copied < Duration::from_secs(15), "listed after {copied:?}");
    eprintln!("library: copies listed {:.1} s after they were made", copied.as_secs_f64());
}

#[test]
fn with_watching_off_and_no_sweep_due_a_copy_waits_for_isync_scan() {
    let server = TestServer::start_with(|dir| {
        library(dir);
        std::fs::write(dir.join("appConfigs.json"), r#"{"watchFolders": 0}"#).unwrap();
    });
    let mut client = logged_in(&server);
    std::thread::sleep(Duration::from_secs(1)); // past the start-up look
    fixtures::jpeg(&server.app_dir().join("terry/copied.jpg"), 640, 480, None);
    std::thread::sleep(Duration::from_secs(6));
    assert!(!names(&mut client).contains(&"copied.jpg".to_string()), "no watch, no sweep due: not listed yet");
    rescan(server.app_dir());
    assert!(names(&mut client).contains(&"copied.jpg".to_string()));
}

#[test]
fn a_folder_renamed_or_moved_on_the_disk_keeps_its_catalog_and_file_ids() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    let id_of =
        |client: &mut Client, name: &str| listed(client).into_iter().find(|(n, _, _)| n == name).map(|(_, id, _)| id);
    let cake = id_of(&mut client, "c.jpg").expect("c.jpg");
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let trip = client.get(&format!("/catalogs.icc?pids={root}")).data()[0]["id"].as_i64().unwrap();
    let thumbnail = client.get(&format!("/thumbnail.icc?id={cake}&level=0")).body;
    let media = server.app_dir().join("terry");

    std::fs::rename(media.join("trip"), media.join("trip 2024")).unwrap();
    let stderr = rescan(server.app_dir());
    assert!(stderr.contains("was moved to") && stderr.contains("0 removed"), "{stderr}");
    let children = client.get(&format!("/catalogs.icc?pids={root}")).data();
    assert_eq!(
        (children[0]["id"].as_i64(), children[0]["name"].as_str()),
        (Some(trip), Some("trip 2024")),
        "{children}"
    );
    assert_eq!(id_of(&mut client, "c.jpg"), Some(cake));

    std::fs::create_dir(media.join("archive")).unwrap();
    std::fs::rename(media.join("trip 2024"), media.join("archive/trip 2024")).unwrap();
    let stderr = rescan(server.app_dir());
    assert!(stderr.contains("was moved to") && stderr.contains("0 removed"), "{stderr}");
    rescan(server.app_dir()); // a second look removes nothing either
    let archive = client.get(&format!("/catalogs.icc?pids={root}")).data();
    assert_eq!(archive.as_array().unwrap().len(), 1, "only archive at the top: {archive}");
    let archive = archive[0]["id"].as_i64().unwrap();
    let inside = client.get(&format!("/catalogs.icc?pids={archive}")).data();
    assert_eq!(inside[0]["id"].as_i64(), Some(trip), "{inside}");
    assert_eq!(id_of(&mut client, "c.jpg"), Some(cake), "the same file row");
    let again = client.get(&format!("/thumbnail.icc?id={cake}&level=0"));
    assert_eq!((again.status, again.body == thumbnail), (200, true), "its thumbnail still serves");
}

#[test]
fn a_folder_the_configuration_names_inside_another_is_looked_at_once_per_look() {
    let server = TestServer::start_with(|dir| {
        let media = library(dir);
        let kids = media.join("kids");
        std::fs::create_dir(&kids).unwrap();
        fixtures::jpeg(&kids.join("k.jpg"), 640, 480, None);
        fixtures::jpeg(&kids.join("l.jpg"), 640, 480, None);
        scan_config(dir, &[("terry", "123", &[media.as_path()]), ("anna", "456", &[kids.as_path()])]);
    });
    let mut client = logged_in(&server);
    let has = |client: &mut Client, name: &str| names(client).contains(&name.to_string());
    std::fs::remove_file(server.app_dir().join("terry/kids/k.jpg")).unwrap();
    let stderr = rescan(server.app_dir());
    assert!(!stderr.contains("k.jpg\" is gone"), "{stderr}");
    assert!(has(&mut client, "k.jpg"), "one look missed it: kept");
    let stderr = rescan(server.app_dir());
    assert!(stderr.contains("k.jpg\" is gone from the disk: removed"), "{stderr}");
    assert!(!has(&mut client, "k.jpg") && has(&mut client, "l.jpg"));
}

#[test]
fn a_disk_mounted_inside_a_root_that_goes_away_removes_nothing() {
    if !crate::common::running_as_root() {
        return crate::common::skipped("mounting a tmpfs (the disk inside the root) needs root");
    }
    let disk = std::sync::Mutex::new(None);
    let server = TestServer::start_with(|dir| {
        let media = library(dir);
        let usb = media.join("usb");
        std::fs::create_dir(&usb).unwrap();
        *disk.lock().unwrap() = Some(Tmpfs::mount(&usb, "4m"));
        fixtures::jpeg(&usb.join("u.jpg"), 640, 480, None);
        rescan(dir);
    });
    let mut client = logged_in(&server);
    assert!(names(&mut client).contains(&"u.jpg".to_string()));
    drop(disk.lock().unwrap().take()); // unmounted: an empty mount point on the root's disk
    for _ in 0..2 {
        let stderr = rescan(server.app_dir());
        assert!(stderr.contains("usb\" is on another device than before"), "{stderr}");
    }
    std::fs::remove_dir(server.app_dir().join("terry/usb")).unwrap(); // and its mount point gone too
    for _ in 0..2 {
        let stderr = rescan(server.app_dir());
        assert!(stderr.contains("usb\" was another disk and is gone: offline"), "{stderr}");
    }
    assert!(names(&mut client).contains(&"u.jpg".to_string()), "nothing removed");
}

#[test]
fn small_thumbnails_are_built_in_the_background_for_the_library_and_for_copies() {
    let server = TestServer::start_with(|dir| {
        library(dir);
    });
    let mut client = logged_in(&server);
    let cached = |name: &str, id: i64| {
        cached_thumbnails(server.app_dir())
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == format!("{name}_{id}").as_str()))
    };
    let ids: Vec<(String, i64)> = listed(&mut client).into_iter().map(|(name, id, _)| (name, id)).collect();
    for (name, id) in &ids {
        eventually(&format!("{name}'s small thumbnail, never asked for"), || cached("thumb", *id));
    }
    let media = server.app_dir().join("terry");
    fixtures::jpeg(&media.join("copied.jpg"), 640, 480, None);
    eventually("the copy is listed", || names(&mut client).contains(&"copied.jpg".to_string()));
    let copied = listed(&mut client).into_iter().find(|(name, _, _)| name == "copied.jpg").unwrap().1;
    eventually("the copy's small thumbnail", || cached("thumb", copied));
    for (_, id) in ids.iter().chain([(String::new(), copied)].iter()) {
        assert!(!cached("thumbScreen", *id), "only level 0 is built ahead of time");
    }
    let thumbnail = client.get(&format!("/thumbnail.icc?id={copied}&level=0"));
    assert_eq!(thumbnail.status, 200);
    assert_eq!(image::load_from_memory(&thumbnail.body).unwrap().to_rgb8().dimensions(), (160, 120));
}

/// The server log's sweep lines so far.
fn sweep_lines(app_dir: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(app_dir.join("building/appLog.log")).unwrap_or_default();
    log.lines().filter(|l| l.contains("sweep: ")).map(str::to_string).collect()
}

#[test]
fn later_sweeps_list_only_changed_folders_and_still_see_a_file_rewritten_in_place_where_watched() {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "terry");
        for folder in ["trip", "old"] {
            std::fs::create_dir_all(media.join(folder)).unwrap();
        }
        for file in ["a.jpg", "trip/c.jpg", "old/d.jpg"] {
            fixtures::jpeg(&media.join(file), 320, 240, None);
        }
        // Copied an hour ago: nothing is still being written when the server first looks.
        for path in ["a.jpg", "trip/c.jpg", "old/d.jpg", "trip", "old", "."] {
            let touched = std::process::Command::new("touch").args(["-d", "1 hour ago"]).arg(media.join(path)).status();
            assert!(touched.is_ok_and(|s| s.success()), "touch {path}");
        }
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = logged_in(&server);
    let app = server.app_dir().to_path_buf();
    eventually("the first, full, look", || sweep_lines(&app).iter().any(|l| l.contains("full sweep: ")));
    let first = sweep_lines(&app);
    assert!(first.iter().all(|l| l.contains("0 still being written")), "{first:#?}");
    // Rewritten in place: the folder's listing (and so its time) stays the same; only the watch
    // on trip/ says where to look.
    std::fs::write(app.join("terry/trip/c.jpg"), {
        let scratch = tempfile::tempdir().unwrap();
        fixtures::jpeg(&scratch.path().join("c.jpg"), 600, 200, None);
        std::fs::read(scratch.path().join("c.jpg")).unwrap()
    })
    .unwrap();
    eventually("c.jpg probed again", || listed(&mut client).iter().any(|(n, _, w)| n == "c.jpg" && *w == Some(600)));
    // A new file in a folder: its time changed, so it is listed again.
    fixtures::jpeg(&app.join("terry/old/e.jpg"), 320, 240, None);
    eventually("e.jpg is listed", || names(&mut client).contains(&"e.jpg".to_string()));
    let incremental: Vec<String> = sweep_lines(&app).into_iter().filter(|l| !l.contains("full sweep: ")).collect();
    assert!(
        incremental.iter().any(|l| l.contains("1 changed") && l.contains("(1 unchanged)")),
        "the look that found c.jpg left old/ unlisted: {incremental:#?}"
    );
    assert!(
        incremental.iter().any(|l| l.contains("1 new files") && l.contains("(1 unchanged)")),
        "the look that found e.jpg left trip/ unlisted: {incremental:#?}"
    );
}
