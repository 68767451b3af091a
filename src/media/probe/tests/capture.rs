//! Capture times and places: EXIF DateTimeOriginal (with and without OffsetTimeOriginal, and
//! DateTimeDigitized as the fallback) and GPS in JPEG and TIFF files of both byte orders; the
//! QuickTime creation time of `mvhd` and Apple's creation-date key.

use super::super::*;
use super::fixtures::*;
use crate::clock::WallClock;
use crate::model::file_type;

/// 2023-05-14 10:15:00 UTC.
const MAY_14_UTC: i64 = 1_684_059_300;

/// A TIFF block: IFD0 (width, height, EXIF and GPS pointers), an EXIF IFD with `exif` ASCII
/// entries (tag, text), and a GPS IFD for 48°51'29.6" N, 2°17'40.2" W when `gps`.
fn exif_block(big_endian: bool, exif: &[(u16, &str)], gps: bool) -> Vec<u8> {
    let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut data: Vec<u8> = Vec::new(); // values stored after the three IFDs, at DATA
    const DATA: u32 = 512;
    let mut ifd = |entries: &[(u16, u16, u32, Vec<u8>)]| {
        let mut table = u16b(entries.len() as u16).to_vec();
        for (tag, kind, count, bytes) in entries {
            table.extend(u16b(*tag));
            table.extend(u16b(*kind));
            table.extend(u32b(*count));
            if bytes.len() <= 4 {
                let mut inline = bytes.clone();
                inline.resize(4, 0);
                table.extend(inline);
            } else {
                table.extend(u32b(DATA + data.len() as u32));
                data.extend(bytes);
            }
        }
        table.extend([0; 4]); // no next IFD
        table
    };
    let short = |v: u16| u16b(v).to_vec();
    let long = |v: u32| u32b(v).to_vec();
    let ascii = |t: &str| [t.as_bytes(), &[0]].concat();
    let rationals = |values: &[(u32, u32)]| values.iter().flat_map(|&(n, d)| [u32b(n), u32b(d)].concat()).collect();
    let (ifd0_at, exif_at, gps_at) = (8u32, 128u32, 320u32);
    let mut ifd0_entries =
        vec![(0x0100, 3, 1, short(4000)), (0x0101, 3, 1, short(3000)), (0x8769, 4, 1, long(exif_at))];
    if gps {
        ifd0_entries.push((0x8825, 4, 1, long(gps_at)));
    }
    let ifd0 = ifd(&ifd0_entries);
    let exif_entries: Vec<_> = exif.iter().map(|&(tag, text)| (tag, 2, text.len() as u32 + 1, ascii(text))).collect();
    let exif_ifd = ifd(&exif_entries);
    let gps_ifd = ifd(&[
        (1, 2, 2, ascii("N")),
        (2, 5, 3, rationals(&[(48, 1), (51, 1), (296, 10)])),
        (3, 2, 2, ascii("W")),
        (4, 5, 3, rationals(&[(2, 1), (17, 1), (402, 10)])),
    ]);
    let mut block = if big_endian { b"MM\0*".to_vec() } else { b"II*\0".to_vec() };
    block.extend(u32b(ifd0_at));
    for (at, table) in [(ifd0_at, ifd0), (exif_at, exif_ifd), (gps_at, gps_ifd)] {
        block.resize(at as usize, 0);
        block.extend(table);
    }
    block.resize(DATA as usize, 0);
    block.extend(data);
    block
}

fn jpeg_with(block: Vec<u8>) -> MediaInfo {
    probe_bytes("a.jpg", &jpeg(Some(block), 4000, 3000))
}

#[test]
fn date_time_original_with_its_offset_is_the_capture_time_in_both_byte_orders() {
    for big_endian in [false, true] {
        let block = exif_block(big_endian, &[(0x9003, "2023:05:14 12:15:00"), (0x9011, "+02:00")], false);
        let info = jpeg_with(block);
        assert_eq!(info.taken, Some(MAY_14_UTC), "big endian: {big_endian}");
        assert_eq!((info.width, info.height, info.place), (Some(4000), Some(3000), None));
    }
    let west = exif_block(false, &[(0x9003, "2023:05:14 06:15:00"), (0x9011, "-04:00")], false);
    assert_eq!(jpeg_with(west).taken, Some(MAY_14_UTC));
}

#[test]
fn without_an_offset_the_reading_is_in_the_servers_zone_and_digitized_is_the_fallback() {
    let local = WallClock::new((2023, 5, 14), (10, 15, 0)).unwrap().local();
    let block = exif_block(false, &[(0x9003, "2023:05:14 10:15:00")], false);
    assert_eq!(jpeg_with(block).taken, Some(local));
    let digitized = exif_block(true, &[(0x9004, "2023:05:14 12:15:00"), (0x9012, "+0200")], false);
    assert_eq!(jpeg_with(digitized).taken, Some(MAY_14_UTC));
}

#[test]
fn blank_or_impossible_dates_are_no_capture_time() {
    for text in ["    :  :     :  :  ", "0000:00:00 00:00:00", "2023:02:30 10:00:00", "2023-05-14", "yesterday"] {
        let block = exif_block(false, &[(0x9003, text), (0x9011, "+02:00")], false);
        assert_eq!(jpeg_with(block).taken, None, "{text:?}");
    }
}

#[test]
fn gps_coordinates_are_degrees_with_south_and_west_negative() {
    for big_endian in [false, true] {
        let info = jpeg_with(exif_block(big_endian, &[(0x9003, "2023:05:14 12:15:00")], true));
        let (latitude, longitude) = info.place.expect("a place");
        assert!((latitude - (48.0 + 51.0 / 60.0 + 29.6 / 3600.0)).abs() < 1e-9, "{latitude}");
        assert!((longitude + (2.0 + 17.0 / 60.0 + 40.2 / 3600.0)).abs() < 1e-9, "{longitude}");
    }
}

#[test]
fn a_tiff_file_gives_its_capture_time_and_place_from_its_own_ifds() {
    let block = exif_block(true, &[(0x9003, "2023:05:14 12:15:00"), (0x9011, "+02:00")], true);
    let info = probe_bytes("scan.tif", &block);
    assert_eq!((info.file_type, info.width, info.taken), (file_type::IMAGE, Some(4000), Some(MAY_14_UTC)));
    assert!(info.place.is_some());
}

/// An MP4 whose `mvhd` says it was created `since_1904` seconds after 1904-01-01, with a
/// QuickTime `meta` holding `apple` as com.apple.quicktime.creationdate when given.
fn movie(since_1904: u32, apple: Option<&str>) -> Vec<u8> {
    let mut mvhd = vec![0, 0, 0, 0];
    mvhd.extend(since_1904.to_be_bytes());
    mvhd.extend([0; 4]);
    mvhd.extend(1000u32.to_be_bytes());
    mvhd.extend(2500u32.to_be_bytes());
    mvhd.extend([0; 80]);
    let mut moov = vec![bx(b"mvhd", &mvhd), trak(tkhd(0, 1920, 1080, IDENTITY), b"vide")];
    if let Some(date) = apple {
        let other_key = [&16u32.to_be_bytes()[..], b"mdta", b"location"].concat();
        let key = b"com.apple.quicktime.creationdate";
        let date_key = [&(8 + key.len() as u32).to_be_bytes()[..], b"mdta", key].concat();
        let keys = bx(b"keys", &[&[0u8; 4][..], &2u32.to_be_bytes(), &other_key, &date_key].concat());
        let data = bx(b"data", &[&1u32.to_be_bytes()[..], &[0; 4], date.as_bytes()].concat());
        let ilst = boxes(b"ilst", &[bx(&1u32.to_be_bytes(), b"ignored"), boxes(&2u32.to_be_bytes(), &[data])]);
        moov.push(boxes(b"meta", &[hdlr(b"mdta"), keys, ilst]));
    }
    [ftyp(b"qt  ", &[b"qt  "]), boxes(b"moov", &moov)].concat()
}

#[test]
fn a_movie_is_taken_at_apples_creation_date_else_at_its_mvhd_creation_time() {
    let since_1904 = (MAY_14_UTC + 2_082_844_800) as u32;
    assert_eq!(probe_bytes("a.mp4", &movie(since_1904, None)).taken, Some(MAY_14_UTC));
    let apple = movie(since_1904 + 3600, Some("2023-05-14T12:15:00+0200"));
    let info = probe_bytes("a.mov", &apple);
    assert_eq!((info.file_type, info.taken), (file_type::VIDEO, Some(MAY_14_UTC)), "the key wins over mvhd");
    assert_eq!(probe_bytes("b.mov", &movie(since_1904, Some("2023-05-14T10:15:00Z"))).taken, Some(MAY_14_UTC));
    assert_eq!(probe_bytes("zero.mp4", &movie(0, None)).taken, None, "0 (1904) means unknown");
}
