//! iPhone photos (HEIC): type, size, orientation from `irot`/`imir`, capture date and place from
//! the EXIF item, and upright thumbnails — level 0 from the embedded thumbnail item, level 1 from
//! the tiles — on fixtures made by `common::heic` (ffmpeg's libx265 in a HEIF container).

use crate::common::heic::{self, Heic};
use crate::common::{fixtures, Client, TestServer};
use crate::file_id;
use rusqlite::Connection;
use std::path::Path;

fn library(setup: impl FnOnce(&Path)) -> (TestServer, Client) {
    assert!(fixtures::have_ffmpeg(), "ffmpeg (with libx265) makes the HEIC fixtures (make test installs it)");
    crate::thumbnails::library(setup)
}

/// An iPhone-like photo: 1200×900 in 512×512 tiles (a 3×2 grid cropped), a 320×240 thumbnail.
fn iphone(rotation: u8, mirror: Option<u8>) -> Heic {
    Heic { width: 1200, height: 900, tile: Some(512), rotation, mirror, thumbnail: Some(320), ..Heic::default() }
}

fn thumbnail(client: &mut Client, id: i64, level: u32) -> image::RgbImage {
    let response = client.get(&format!("/thumbnail.icc?id={id}&level={level}"));
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.header("Content-Type"), Some("image/jpeg"));
    image::load_from_memory(&response.body).expect("a JPEG").to_rgb8()
}

fn is_red(p: &image::Rgb<u8>) -> bool {
    p[0] > 180 && p[1] < 90 && p[2] < 90
}

/// The colour away from the red corner: which picture the thumbnail was made from.
fn fill(img: &image::RgbImage) -> &'static str {
    let p = img.get_pixel(img.width() / 2, img.height() / 2);
    match (p[0] < 90, p[1] > 150, p[2] > 150) {
        (true, true, false) => "green (the thumbnail item)",
        (true, false, true) => "blue (the tiles)",
        _ => "something else",
    }
}

#[test]
fn an_iphone_photo_gets_its_type_size_orientation_date_and_place() {
    let paris = Some(((48, 51), (2, 21), false));
    let (server, mut client) = library(|media| {
        let exif = fixtures::exif_capture("2023:05:14 12:15:00", Some("+02:00"), paris);
        heic::write(&media.join("IMG_0001.HEIC"), &Heic { exif: Some(exif), ..iphone(3, None) });
    });
    let list = client.get("/files.icc?pageIndex=0").data()["list"].clone();
    let photo = &list[0];
    assert_eq!(photo["name"], "IMG_0001.HEIC");
    assert_eq!(photo["type"].as_i64(), Some(1), "a photo: {photo}");
    assert_eq!((photo["width"].as_i64(), photo["height"].as_i64()), (Some(900), Some(1200)), "upright size");
    assert_eq!(photo["orientation"].as_i64(), Some(6), "irot 270° anticlockwise is EXIF 6: {photo}");
    assert_eq!(photo["createTime"].as_i64(), Some(1_684_059_300), "12:15 at +02:00 is 10:15 UTC");
    let db = Connection::open(server.app_dir().join("dataManager.db")).unwrap();
    let (latitude, longitude): (Option<f64>, Option<f64>) = db
        .query_row("SELECT latitude, longitude FROM Files WHERE fileName = 'IMG_0001.HEIC'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(latitude.is_some_and(|l| (l - (48.0 + 51.0 / 60.0)).abs() < 1e-9), "{latitude:?}");
    assert!(longitude.is_some_and(|l| (l - (2.0 + 21.0 / 60.0)).abs() < 1e-9), "{longitude:?}");
}

#[test]
fn heic_thumbnails_are_upright_the_grid_one_from_the_embedded_thumbnail_the_screen_one_from_the_tiles() {
    // (irot, imir, where the stored top-left corner lands: right?, bottom?, quarter turn?)
    let cases = [
        (0, None, (false, false), false),
        (1, None, (false, true), true),
        (2, Some(0), (false, true), false),
        (3, Some(1), (true, true), true),
    ];
    let (_server, mut client) = library(|media| {
        for (i, (rotation, mirror, _, _)) in cases.iter().enumerate() {
            heic::write(&media.join(format!("p{i}.heic")), &iphone(*rotation, *mirror));
        }
        let single = Heic { width: 640, height: 480, rotation: 1, ..Heic::default() };
        heic::write(&media.join("single.heic"), &single);
    });
    for (i, (rotation, mirror, (right, bottom), quarter)) in cases.into_iter().enumerate() {
        let id = file_id(&mut client, &format!("p{i}.heic"));
        for (level, long, source) in [(0, 160, "green (the thumbnail item)"), (1, 800, "blue (the tiles)")] {
            let img = thumbnail(&mut client, id, level);
            let short = long * 3 / 4;
            let want = if quarter { (short, long) } else { (long, short) };
            let case = format!("irot {rotation}, imir {mirror:?}, level {level}");
            assert_eq!(img.dimensions(), want, "{case}");
            assert_eq!(fill(&img), source, "{case}");
            let x = if right { img.width() - 6 } else { 5 };
            let y = if bottom { img.height() - 6 } else { 5 };
            assert!(is_red(img.get_pixel(x, y)), "{case}: ({x},{y}) is {:?}", img.get_pixel(x, y));
            let opposite = img.get_pixel(img.width() - 1 - x, img.height() - 1 - y);
            assert!(!is_red(opposite), "{case}: the opposite corner is {opposite:?}");
        }
    }
    // One coded picture, no grid and no thumbnail item: decoded whole for both levels.
    let id = file_id(&mut client, "single.heic");
    let small = thumbnail(&mut client, id, 0);
    assert_eq!(small.dimensions(), (120, 160));
    assert_eq!(fill(&small), "blue (the tiles)");
    assert!(is_red(small.get_pixel(5, small.height() - 6)), "irot 90° anticlockwise puts the corner bottom left");
}

#[test]
fn a_truncated_or_garbled_heic_fails_its_thumbnail_and_nothing_else() {
    let (mut server, mut client) = library(|media| {
        let whole = media.join("whole.heic");
        heic::write(&whole, &iphone(0, None));
        let bytes = std::fs::read(&whole).unwrap();
        std::fs::write(media.join("cut.heic"), &bytes[..bytes.len() * 2 / 3]).unwrap();
        let mut garbled = bytes.clone();
        let middle = garbled.len() / 2;
        garbled[middle..].iter_mut().for_each(|b| *b = b.wrapping_mul(31).wrapping_add(7));
        std::fs::write(media.join("garbled.heic"), garbled).unwrap();
    });
    for name in ["cut.heic", "garbled.heic"] {
        let id = file_id(&mut client, name);
        let response = client.get(&format!("/thumbnail.icc?id={id}&level=1"));
        let body = String::from_utf8_lossy(&response.body);
        assert!(
            response.status != 200 || response.header("Content-Type") == Some("image/jpeg"),
            "{name}: an error envelope or a (damaged) picture, got {body}"
        );
        if response.status != 200 {
            assert!(response.code() < 0, "{name}: {body}");
        }
    }
    assert!(server.is_running(), "the server survived");
    let whole = file_id(&mut client, "whole.heic");
    assert_eq!(thumbnail(&mut client, whole, 1).dimensions(), (800, 600));
}

#[test]
fn a_heic_whose_picture_is_coded_larger_than_it_declares_is_refused_before_decoding() {
    let (mut server, mut client) = library(|media| {
        let honest = media.join("honest.heic");
        heic::write(&honest, &Heic { width: 1024, height: 1024, ..Heic::default() });
        // The same file declaring 300×300 (ispe): the decoder would allocate the 1024×1024 its
        // parameter sets code, past the budget worked out for 300×300.
        let mut bytes = std::fs::read(&honest).unwrap();
        let ispe = bytes.windows(4).position(|w| w == b"ispe").expect("an ispe box");
        for side in [ispe + 8, ispe + 12] {
            bytes[side..side + 4].copy_from_slice(&300u32.to_be_bytes());
        }
        std::fs::write(media.join("liar.heic"), bytes).unwrap();
    });
    let liar = crate::file_id(&mut client, "liar.heic");
    let response = client.get(&format!("/thumbnail.icc?id={liar}&level=0"));
    assert_eq!(response.code(), -10008, "{}", String::from_utf8_lossy(&response.body));
    let honest = crate::file_id(&mut client, "honest.heic");
    assert_eq!(thumbnail(&mut client, honest, 0).dimensions(), (160, 160));
    assert!(server.is_running());
}
