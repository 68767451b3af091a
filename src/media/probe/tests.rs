//! Unit tests of the still-image probes (JPEG/EXIF, PNG, GIF, WebP, BMP, TIFF, HEIF). Fixtures are
//! built in code and written to a fresh directory under the system temp dir (see `fixtures`);
//! audio, video and robustness tests are in `av`.

mod av;
mod capture;
mod ffmpeg;
mod fixtures;

use super::*;
use crate::model::file_type;
use fixtures::*;

// ---------- JPEG ----------

#[test]
fn jpeg_with_orientation_6_swaps_width_and_height() {
    let info = probe_bytes("a.jpg", &orientation_jpeg(false, 6));
    let expected =
        MediaInfo { width: Some(3000), height: Some(4000), orientation: Some(6), ..MediaInfo::new(file_type::IMAGE) };
    assert_eq!(info, expected);
}

#[test]
fn big_endian_exif_with_orientation_6_also_swaps() {
    let info = probe_bytes("a.jpg", &orientation_jpeg(true, 6));
    assert_eq!((info.width, info.height, info.orientation), (Some(3000), Some(4000), Some(6)));
}

#[test]
fn jpeg_with_orientation_3_keeps_width_and_height_in_both_byte_orders() {
    for big_endian in [false, true] {
        let info = probe_bytes("a.jpeg", &orientation_jpeg(big_endian, 3));
        assert_eq!((info.width, info.height, info.orientation), (Some(4000), Some(3000), Some(3)));
    }
}

#[test]
fn jpeg_orientation_outside_1_to_8_is_not_stored() {
    for value in [0, 9, 600] {
        let info = probe_bytes("a.jpg", &orientation_jpeg(false, value));
        assert_eq!((info.file_type, info.orientation, info.width), (file_type::IMAGE, None, Some(4000)));
    }
}

#[test]
fn jpeg_without_exif_has_size_but_no_orientation() {
    let info = probe_bytes("no-exif.JPG", &jpeg(None, 640, 480));
    assert_eq!(info, MediaInfo::sized(file_type::IMAGE, 640, 480));
}

#[test]
fn jpeg_cut_before_its_frame_header_is_other() {
    let full = orientation_jpeg(false, 6);
    assert_eq!(probe_bytes("cut.jpg", &full[..60]), other());
}

// ---------- PNG, GIF, WebP, BMP, TIFF, HEIF ----------

#[test]
fn png_size_comes_from_ihdr() {
    assert_eq!(probe_bytes("a.png", &png(800, 600, None)), MediaInfo::sized(file_type::IMAGE, 800, 600));
}

#[test]
fn png_exif_chunk_orientation_8_swaps_the_size() {
    let info = probe_bytes("a.png", &png(800, 600, Some(tiff_block(true, &[(0x0112, 3, 8)]))));
    assert_eq!((info.width, info.height, info.orientation), (Some(600), Some(800), Some(8)));
}

#[test]
fn gif_duration_is_the_sum_of_all_frame_delays() {
    let info = probe_bytes("anim.gif", &gif(320, 200, &[Some(10), Some(20), Some(30)]));
    assert_eq!(
        (info.file_type, info.width, info.height, info.orientation),
        (file_type::GIF, Some(320), Some(200), None)
    );
    assert_duration(&info, 0.6);
}

#[test]
fn single_frame_gif_without_control_extension_is_a_gif_without_duration() {
    assert_eq!(probe_bytes("still.gif", &gif(16, 8, &[None])), MediaInfo::sized(file_type::GIF, 16, 8));
}

#[test]
fn gif_whose_delays_are_all_zero_has_no_duration() {
    assert_eq!(probe_bytes("z.gif", &gif(16, 8, &[Some(0), Some(0)])).duration, None);
}

#[test]
fn truncated_gif_keeps_its_size_and_the_delays_seen_so_far() {
    let full = gif(16, 8, &[Some(10), Some(20), Some(30)]);
    let info = probe_bytes("cut.gif", &full[..full.len() - 30]);
    assert_eq!((info.file_type, info.width), (file_type::GIF, Some(16)));
    assert_duration(&info, 0.3);
}

#[test]
fn webp_sizes_come_from_vp8_vp8l_and_vp8x_chunks() {
    let vp8 = chunk(b"VP8 ", &[0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01, 0, 0]);
    assert_eq!(probe_bytes("a.webp", &riff(b"WEBP", &[vp8])), MediaInfo::sized(file_type::IMAGE, 640, 480));
    let bits: u32 = 99 | (49 << 14);
    let vp8l = chunk(b"VP8L", &[[0x2F].as_slice(), &bits.to_le_bytes(), &[0; 4]].concat());
    assert_eq!(probe_bytes("b.webp", &riff(b"WEBP", &[vp8l])), MediaInfo::sized(file_type::IMAGE, 100, 50));
    let vp8x = chunk(b"VP8X", &[0x08, 0, 0, 0, 0x1F, 0x03, 0, 0xDF, 0x01, 0]);
    let exif = chunk(b"EXIF", &tiff_block(false, &[(0x0112, 3, 6)]));
    let info = probe_bytes("c.webp", &riff(b"WEBP", &[vp8x, chunk(b"VP8 ", &[0; 10]), exif]));
    assert_eq!((info.width, info.height, info.orientation), (Some(480), Some(800), Some(6)));
}

#[test]
fn bmp_size_comes_from_the_info_header_even_when_top_down() {
    let mut b = b"BM".to_vec();
    b.extend([0; 12]);
    b.extend(40u32.to_le_bytes());
    b.extend(300i32.to_le_bytes());
    b.extend((-200i32).to_le_bytes());
    b.extend([1, 0, 24, 0]);
    b.extend([0; 24]);
    assert_eq!(probe_bytes("a.bmp", &b), MediaInfo::sized(file_type::IMAGE, 300, 200));
}

#[test]
fn tiff_file_gives_size_and_orientation_from_ifd0() {
    let info = probe_bytes("a.tif", &tiff_block(true, &[(0x0100, 4, 5000), (0x0101, 3, 1000), (0x0112, 3, 5)]));
    assert_eq!((info.width, info.height, info.orientation), (Some(1000), Some(5000), Some(5)));
    let little = probe_bytes("b.tiff", &tiff_block(false, &[(0x0100, 3, 64), (0x0101, 3, 32)]));
    assert_eq!(little, MediaInfo::sized(file_type::IMAGE, 64, 32));
}

#[test]
fn heic_size_is_the_primary_items_ispe_and_its_irot_is_the_orientation() {
    let ispe = |w: u32, h: u32| bx(b"ispe", &[[0u8; 4].as_slice(), &w.to_be_bytes(), &h.to_be_bytes()].concat());
    let ipco = boxes(b"ipco", &[ispe(512, 512), ispe(4032, 3024), bx(b"irot", &[1])]);
    let ipma = bx(b"ipma", &[0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1, 0x81, 0, 2, 2, 0x82, 0x03]);
    let pitm = bx(b"pitm", &[0, 0, 0, 0, 0, 2]);
    let infe = |id: u8| bx(b"infe", &[2, 0, 0, 0, 0, id, 0, 0, b'h', b'v', b'c', b'1', 0]);
    let iinf = bx(b"iinf", &[[0u8, 0, 0, 0, 0, 2].as_slice(), &infe(1), &infe(2)].concat());
    let children = [[0u8; 4].as_slice(), &hdlr(b"pict"), &pitm, &iinf, &boxes(b"iprp", &[ipco, ipma])].concat();
    let file = [ftyp(b"heic", &[b"mif1", b"heic"]), bx(b"meta", &children), bx(b"mdat", &[0; 16])].concat();
    let info = probe_bytes("a.HEIC", &file);
    assert_eq!((info.file_type, info.width, info.height), (file_type::IMAGE, Some(3024), Some(4032)));
    assert_eq!(info.orientation, Some(8), "irot 90° anticlockwise is EXIF 8");
    let bare = [ftyp(b"mif1", &[b"heic"]), bx(b"mdat", &[0; 16])].concat();
    assert_eq!(probe_bytes("b.heif", &bare), MediaInfo::new(file_type::IMAGE));
}
