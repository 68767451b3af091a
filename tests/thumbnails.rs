//! `thumbnail.icc`: the §5.3 decision table, all eight EXIF orientations, alpha, GIF, video
//! frames through ffmpeg, failures and waiting states, and one build for concurrent requests.

use crate::common::http::Response;
use crate::common::{fixtures, media_dir, scan_config, Client, TestServer};
use crate::file_id;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

fn decode(bytes: &[u8]) -> image::RgbaImage {
    image::load_from_memory(bytes).expect("a decodable image").to_rgba8()
}

fn is_red(p: &image::Rgba<u8>) -> bool {
    p[0] > 180 && p[1] < 80 && p[2] < 80
}

/// A server whose user terry (password 123) has one root, filled by `setup`, and terry's client.
pub fn library(setup: impl FnOnce(&Path)) -> (TestServer, Client) {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "m");
        setup(&media);
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    (server, client)
}

fn set_status(server: &TestServer, id: i64, column: &str, value: i64) {
    let conn = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    conn.execute(&format!("UPDATE Files SET {column} = ?1 WHERE id = ?2"), [value, id]).unwrap();
}

#[test]
fn every_exif_orientation_puts_the_stored_top_left_corner_where_it_belongs() {
    let (_server, mut client) = library(|media| {
        for o in 1..=8u16 {
            fixtures::jpeg(&media.join(format!("o{o}.jpg")), 320, 240, Some(o));
        }
    });
    // Where the stored top-left corner lands after the transform (x right, y down).
    let expected_corner = [
        (false, false),
        (true, false),
        (true, true),
        (false, true),
        (false, false),
        (true, false),
        (true, true),
        (false, true),
    ];
    for o in 1..=8usize {
        let id = file_id(&mut client, &format!("o{o}.jpg"));
        let response = client.get(&format!("/thumbnail.icc?id={id}&level=0"));
        assert_eq!(response.status, 200, "orientation {o}");
        assert_eq!(response.header("Content-Type"), Some("image/jpeg"));
        let img = decode(&response.body);
        let want = if o >= 5 { (120, 160) } else { (160, 120) };
        assert_eq!(img.dimensions(), want, "orientation {o}");
        let (right, bottom) = expected_corner[o - 1];
        let x = if right { img.width() - 5 } else { 4 };
        let y = if bottom { img.height() - 5 } else { 4 };
        assert!(is_red(img.get_pixel(x, y)), "orientation {o}: corner ({x},{y}) is {:?}", img.get_pixel(x, y));
        let opposite = img.get_pixel(img.width() - 1 - x, img.height() - 1 - y);
        assert!(!is_red(opposite), "orientation {o}: the opposite corner is not red");
    }
}

#[test]
fn the_screen_level_uses_an_800_box_and_any_nonzero_level_means_screen() {
    let (server, mut client) = library(|media| fixtures::jpeg(&media.join("big.jpg"), 2000, 1000, None));
    let id = file_id(&mut client, "big.jpg");
    assert_eq!(decode(&client.get(&format!("/thumbnail.icc?id={id}&level=1")).body).dimensions(), (800, 400));
    assert_eq!(decode(&client.get(&format!("/thumbnail.icc?id={id}&level=7")).body).dimensions(), (800, 400));
    assert_eq!(decode(&client.get(&format!("/thumbnail.icc?id={id}&level=x")).body).dimensions(), (160, 80));
    let thumbs = server.app_dir().join("building/thumbs");
    let catalog_dir = std::fs::read_dir(&thumbs).unwrap().next().unwrap().unwrap().path();
    let mut names: Vec<String> =
        std::fs::read_dir(catalog_dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, [format!("thumbScreen_{id}"), format!("thumb_{id}")]);
}

#[test]
fn a_camera_jpegs_exif_thumbnail_makes_the_grid_thumbnail_when_it_covers_the_whole_picture() {
    let (_server, mut client) = library(|media| {
        let camera = |name: &str, (w, h): (u32, u32), (tw, th): (u32, u32), orientation: Option<u16>| {
            let path = media.join(name);
            fixtures::jpeg(&path, w, h, None);
            let photo = std::fs::read(&path).unwrap();
            std::fs::write(&path, fixtures::with_exif_thumbnail(&photo, &fixtures::green_jpeg(tw, th), orientation))
                .unwrap();
        };
        camera("camera.jpg", (1200, 900), (160, 120), Some(6));
        camera("letterboxed.jpg", (640, 360), (160, 120), None);
        camera("tiny_thumbnail.jpg", (1600, 1200), (80, 60), None);
    });
    let green = |p: &image::Rgba<u8>| p[0] < 80 && p[1] > 150 && p[2] < 80;
    let blue = |p: &image::Rgba<u8>| p[0] < 80 && p[1] < 80 && p[2] > 180;
    let level = |client: &mut Client, name: &str, level: u32| {
        let id = file_id(client, name);
        decode(&client.get(&format!("/thumbnail.icc?id={id}&level={level}")).body)
    };
    let small = level(&mut client, "camera.jpg", 0);
    assert_eq!(small.dimensions(), (120, 160), "turned by EXIF orientation 6");
    assert!(green(small.get_pixel(60, 100)), "made from the EXIF thumbnail: {:?}", small.get_pixel(60, 100));
    assert!(is_red(small.get_pixel(small.width() - 5, 4)), "the stored top-left corner is top right");
    let screen = level(&mut client, "camera.jpg", 1);
    assert_eq!(screen.dimensions(), (600, 800));
    assert!(blue(screen.get_pixel(300, 500)), "the screen level is made from the photo");
    let letterboxed = level(&mut client, "letterboxed.jpg", 0);
    assert_eq!(letterboxed.dimensions(), (160, 90));
    assert!(blue(letterboxed.get_pixel(80, 60)), "a 4:3 thumbnail of a 16:9 photo is not the whole picture");
    let tiny = level(&mut client, "tiny_thumbnail.jpg", 0);
    assert_eq!(tiny.dimensions(), (160, 120));
    assert!(blue(tiny.get_pixel(80, 80)), "an 80×60 thumbnail does not cover a 160×120 one");
}

#[test]
fn small_images_are_served_unchanged_and_alpha_and_gifs_become_png() {
    let (server, mut client) = library(|media| {
        fixtures::jpeg(&media.join("small.jpg"), 64, 48, None);
        fixtures::png_with_alpha(&media.join("alpha.png"), 400, 200);
        fixtures::gif(&media.join("anim.gif"), 100, 50, 3, 10);
    });
    let id = file_id(&mut client, "small.jpg");
    let small = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!(small.body, std::fs::read(server.app_dir().join("m/small.jpg")).unwrap());
    assert_eq!(small.header("Content-Type"), Some("image/jpeg"));
    let id = file_id(&mut client, "alpha.png");
    let alpha = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!(alpha.header("Content-Type"), Some("image/png"));
    let img = decode(&alpha.body);
    assert_eq!(img.dimensions(), (160, 80));
    assert_eq!(img.get_pixel(150, 40)[3], 0, "transparency is kept");
    assert_eq!(img.get_pixel(10, 40)[3], 255);
    let id = file_id(&mut client, "anim.gif");
    let gif = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!(gif.header("Content-Type"), Some("image/png"), "GIFs are built (never the shortcut), as PNG");
    assert_eq!(decode(&gif.body).dimensions(), (100, 50), "never enlarged");
}

#[test]
fn a_broken_image_fails_once_and_stays_failed() {
    let (server, mut client) = library(|media| fixtures::jpeg(&media.join("bad.jpg"), 400, 300, None));
    let id = file_id(&mut client, "bad.jpg");
    std::fs::write(server.app_dir().join("m/bad.jpg"), vec![0xFFu8; 5000]).unwrap();
    let first = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!((first.status, first.code()), (404, -10008));
    let conn = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let status: i64 = conn.query_row("SELECT statusForThumb FROM Files WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    assert_eq!(status, 1, "the build error is recorded");
    fixtures::jpeg(&server.app_dir().join("m/bad.jpg"), 400, 300, None);
    assert_eq!(client.get(&format!("/thumbnail.icc?id={id}")).code(), -10008, "status 1 means no new attempt");
    set_status(&server, id, "statusForThumb", 0);
    assert_eq!(client.get(&format!("/thumbnail.icc?id={id}")).status, 200, "resetting to 0 rebuilds");
}

#[test]
fn waiting_and_uploaded_states_follow_the_decision_table() {
    let (server, mut client) = library(|media| fixtures::jpeg(&media.join("p.jpg"), 400, 300, None));
    let id = file_id(&mut client, "p.jpg");
    set_status(&server, id, "statusForThumb", 2);
    let waiting = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!((waiting.status, waiting.code()), (404, -10009));
    set_status(&server, id, "statusForThumb", 3);
    let missing = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!((missing.status, missing.code()), (200, -10004), "an uploaded thumbnail that is missing");
    let real_catalog: i64 = Connection::open(server.app_dir().join("dataManager.db"))
        .unwrap()
        .query_row("SELECT realCatalogId FROM Files WHERE id = ?1", [id], |r| r.get(0))
        .unwrap();
    let dir = server.app_dir().join(format!("building/thumbs/{real_catalog}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("thumb_{id}")), b"GIF89a-uploaded").unwrap();
    let uploaded = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!((uploaded.status, uploaded.body.as_slice()), (200, &b"GIF89a-uploaded"[..]));
    assert_eq!(uploaded.header("Content-Type"), Some("image/gif"), "sniffed from the bytes");
    set_status(&server, id, "statusForThumb", 0);
    set_status(&server, id, "statusForOrigin", 2);
    assert_eq!(client.get(&format!("/thumbnail.icc?id={id}&level=1")).code(), -10009);
    set_status(&server, id, "statusForScreen", 9);
    let odd = client.get(&format!("/thumbnail.icc?id={id}&level=1"));
    assert_eq!((odd.status, odd.code()), (404, -10008), "unknown statuses count as build errors");
}

#[test]
fn thumbnail_errors_for_parameters_types_and_visibility() {
    let (server, mut client) = library(|media| {
        std::fs::write(media.join("t.txt"), b"text").unwrap();
        fixtures::jpeg(&media.join("p.jpg"), 400, 300, None);
    });
    assert_eq!(client.get("/thumbnail.icc").code(), -10003);
    assert_eq!(client.get("/thumbnail.icc?id=99999").code(), -10004);
    let text = file_id(&mut client, "t.txt");
    assert_eq!(client.get(&format!("/thumbnail.icc?id={text}")).code(), -10005);
    let photo = file_id(&mut client, "p.jpg");
    let mut stranger = server.client();
    assert_eq!(stranger.get(&format!("/thumbnail.icc?id={photo}")).code(), -10001);
    std::fs::remove_file(server.app_dir().join("m/p.jpg")).unwrap();
    let gone = client.get(&format!("/thumbnail.icc?id={photo}"));
    assert_eq!((gone.status, gone.code()), (200, -10006));
}

/// Eight requests for one thumbnail, all sent before the first is answered (eight workers, so
/// the server handles them at once): the log shows one build of its cache file, and a second
/// thumbnail of the same image counts as a build of its own.
#[test]
fn concurrent_requests_for_one_thumbnail_share_one_build_and_one_file() {
    let server = TestServer::start_with_args(&["--workers", "8"], |dir| {
        let media = media_dir(dir, "m");
        fixtures::jpeg(&media.join("big.jpg"), 3000, 2000, None);
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "big.jpg");
    let path = format!("/thumbnail.icc?id={id}&level=0");
    let start = Barrier::new(8);
    let answers: Vec<(Instant, Instant, Response)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                // A connection that is already being served, so only the thumbnail waits.
                let mut connection = client.keep_alive();
                assert_eq!(connection.get("/").status, 200);
                let (start, path) = (&start, &path);
                scope.spawn(move || {
                    start.wait();
                    let sent = Instant::now();
                    let response = connection.get(path);
                    (sent, Instant::now(), response)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let last_sent = answers.iter().map(|(sent, _, _)| *sent).max().unwrap();
    let first_answer = answers.iter().map(|(_, answered, _)| *answered).min().unwrap();
    assert!(last_sent < first_answer, "all eight requests were in flight together");
    let body = &answers[0].2.body;
    for (_, _, response) in &answers {
        assert_eq!(response.status, 200);
        assert!(!response.body.is_empty() && &response.body == body, "everyone got the same thumbnail");
    }
    let thumbs = server.app_dir().join("building/thumbs");
    let files: Vec<_> = walk(&thumbs);
    assert_eq!(files.len(), 1, "one cache file, no temporary leftovers: {files:?}");
    let small = files[0].clone();
    assert!(small.ends_with(format!("thumb_{id}")), "{}", small.display());
    assert_eq!(builds_logged(&server, &small), 1, "eight requests, one build");

    assert_eq!(client.get(&path).body, *body, "served from the cache");
    assert_eq!(client.get(&format!("/thumbnail.icc?id={id}&level=1")).status, 200);
    let screen = small.with_file_name(format!("thumbScreen_{id}"));
    assert_eq!(builds_logged(&server, &screen), 1, "the screen thumbnail is a build of its own");
    assert_eq!(builds_logged(&server, &small), 1, "the cached one was not built again");
}

/// How many `built thumbnail <cache> in <N> ms` lines the server logged for `cache` (in
/// `building/appLog.log`). Every build logs before its request is answered; the log is line
/// buffered, so this waits briefly for a first line.
fn builds_logged(server: &TestServer, cache: &Path) -> usize {
    let cache = cache.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", cache.display()));
    let log = server.app_dir().join("building/appLog.log");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let count = text
            .lines()
            .filter_map(|line| line.split_once("built thumbnail ")?.1.rsplit_once(" in "))
            .filter(|(logged, ms)| ms.ends_with(" ms") && Path::new(logged).canonicalize().is_ok_and(|p| p == cache))
            .count();
        if count > 0 || Instant::now() > deadline {
            return count;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[test]
fn video_thumbnails_are_frames_honouring_rotation() {
    assert!(fixtures::have_ffmpeg(), "ffmpeg is required for video tests (make test installs it)");
    let (_server, mut client) = library(|media| {
        fixtures::mp4(&media.join("clip.mp4"), 320, 240, 2.0, None);
        fixtures::mp4(&media.join("rotated.mp4"), 320, 240, 2.0, Some(90));
        fixtures::mp4(&media.join("short.mp4"), 320, 240, 0.5, None);
    });
    for (name, want) in [("clip.mp4", (160, 120)), ("rotated.mp4", (120, 160)), ("short.mp4", (160, 120))] {
        let id = file_id(&mut client, name);
        let response = client.get(&format!("/thumbnail.icc?id={id}&level=0"));
        assert_eq!(response.status, 200, "{name}: {}", String::from_utf8_lossy(&response.body));
        assert_eq!(response.header("Content-Type"), Some("image/jpeg"));
        assert_eq!(decode(&response.body).dimensions(), want, "{name}");
    }
    let files = client.get("/files.icc?pageIndex=0&types=4").data();
    let rotated = files["list"].as_array().unwrap().iter().find(|f| f["name"] == "rotated.mp4").unwrap().clone();
    assert_eq!((rotated["width"].as_i64(), rotated["height"].as_i64()), (Some(240), Some(320)), "display-oriented");
    // The protocol maps the container rotation 90° → 8 and 270° → 6 (as ffprobe reports it);
    // which of the two ffmpeg's `rotate=90` tag yields depends on the ffmpeg version.
    assert!(matches!(rotated["orientation"].as_i64(), Some(6 | 8)), "{rotated}");
    assert!((rotated["duration"].as_f64().unwrap() - 2.0).abs() < 0.2, "{rotated}");
}

#[test]
fn without_ffmpeg_video_thumbnails_fail_without_being_marked_failed() {
    assert!(fixtures::have_ffmpeg(), "ffmpeg is required to make the fixture");
    let server = TestServer::start_with_args(&["--ffmpeg", "/nonexistent/ffmpeg"], |dir| {
        let media = media_dir(dir, "m");
        fixtures::mp4(&media.join("clip.mp4"), 320, 240, 2.0, None);
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    let id = file_id(&mut client, "clip.mp4");
    let response = client.get(&format!("/thumbnail.icc?id={id}"));
    assert_eq!((response.status, response.code()), (404, -10008));
    let conn = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let status: i64 = conn.query_row("SELECT statusForThumb FROM Files WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    assert_eq!(status, 0, "not persisted: thumbnails appear once ffmpeg is installed");
}
