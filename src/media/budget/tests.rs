//! The decode budget's header readers and cost model, on crafted headers.

use super::*;
use std::io::Write;

fn file_of(bytes: &[u8]) -> File {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    file
}

/// SOI, an ICC APP2 segment of `icc` bytes, a SOFn of w×h with `sampling`, SOS.
fn jpeg_header(marker: u8, w: u16, h: u16, sampling: &[u8], icc: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    if icc > 0 {
        out.extend([0xFF, 0xE2]);
        out.extend(((icc + 2) as u16).to_be_bytes());
        out.extend(std::iter::repeat_n(0u8, icc));
    }
    out.extend([0xFF, marker]);
    out.extend(((8 + 3 * sampling.len()) as u16).to_be_bytes());
    out.push(8);
    out.extend(h.to_be_bytes());
    out.extend(w.to_be_bytes());
    out.push(sampling.len() as u8);
    for (i, s) in sampling.iter().enumerate() {
        out.extend([i as u8 + 1, *s, 0]);
    }
    out.extend([0xFF, 0xDA, 0, 2]);
    out
}

fn jpeg(marker: u8, w: u16, h: u16, sampling: &[u8]) -> Jpeg {
    match Header::read(&file_of(&jpeg_header(marker, w, h, sampling, 0)), Kind::Jpeg).unwrap() {
        Header::Jpeg(j) => j,
        other => panic!("{other:?}"),
    }
}

/// The stored-orientation target of a thumbnail in a `max_box` box.
fn boxed(max_box: u32) -> impl Fn(usize, usize) -> (usize, usize) {
    move |w, h| {
        let (tw, th) = crate::media::thumbnail::target_size(w as u32, h as u32, max_box);
        (tw as usize, th as usize)
    }
}

fn png_header(w: u32, h: u32, depth: u8, colour_type: u8, trns: bool) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    out.extend(w.to_be_bytes());
    out.extend(h.to_be_bytes());
    out.extend([depth, colour_type, 0, 0, 0, 0, 0, 0, 0]);
    if trns {
        out.extend(b"\0\0\0\x02tRNS\0\0\0\0\0\0");
    }
    out.extend(b"\0\0\0\0IDAT\0\0\0\0");
    out
}

fn png_cost(w: u32, h: u32, depth: u8, colour_type: u8, trns: bool, max_box: u32) -> Cost {
    let file = file_of(&png_header(w, h, depth, colour_type, trns));
    Header::read(&file, Kind::Png { palette: colour_type == 3 }).unwrap().cost(boxed(max_box))
}

#[test]
fn a_24_mp_phone_jpeg_fits_at_the_scales_thumbnails_use_and_not_whole() {
    let photo = Header::Jpeg(jpeg(0xC0, 6000, 4000, &[0x22, 0x11, 0x11]));
    let screen = photo.cost(boxed(800)).within_budget().expect("a screen preview at 1/4");
    // Planes: Y 1500×1000 and two 750×500 chroma planes, then the RGB output 1500×1000.
    assert_eq!(screen.memory, 1500 * 1000 + 2 * 750 * 500 + 1500 * 1000 * 3);
    assert!(photo.cost(boxed(160)).within_budget().is_ok(), "a grid thumbnail at 1/8");
    let Header::Jpeg(frame) = &photo else { unreachable!() };
    assert!(matches!(frame.cost_at(8, (800, 533)).within_budget(), Err(ThumbError::TooLarge(_))), "not whole");
    let huge = Header::Jpeg(jpeg(0xC0, 16320, 12240, &[0x22, 0x11, 0x11]));
    assert!(huge.cost(boxed(800)).within_budget().is_ok(), "200 MP at 1/8");
}

#[test]
fn a_jpeg_declaring_65535_squared_is_refused_for_its_pixels_at_any_scale() {
    let bomb = Header::Jpeg(jpeg(0xC0, 65535, 65535, &[0x11, 0x11, 0x11]));
    for max_box in [160, 800] {
        let cost = bomb.cost(boxed(max_box));
        assert_eq!(cost.source_pixels, 65535 * 65535);
        assert!(matches!(cost.within_budget(), Err(ThumbError::TooLarge(_))));
    }
}

#[test]
fn progressive_jpegs_count_their_full_size_coefficients() {
    let baseline = jpeg(0xC0, 4000, 3000, &[0x22, 0x11, 0x11]).cost_at(1, (160, 120));
    let progressive = jpeg(0xC2, 4000, 3000, &[0x22, 0x11, 0x11]).cost_at(1, (160, 120));
    // Two bytes per coefficient, 64 per block, blocks padded to whole MCUs of 16×16.
    assert_eq!(progressive.memory - baseline.memory, (4000 * 3008 + 2 * 2000 * 1504) * 2);
    assert!(progressive.within_budget().is_ok(), "12 MP progressive: 36 MB of coefficients");
    let huge = jpeg(0xC2, 12000, 9000, &[0x22, 0x11, 0x11]).cost_at(1, (160, 120));
    assert!(huge.within_budget().is_err(), "108 MP progressive: 324 MB of coefficients");
}

#[test]
fn icc_segments_before_the_frame_count_as_memory() {
    let file = file_of(&jpeg_header(0xC0, 64, 64, &[0x11], 60_000));
    let Header::Jpeg(j) = Header::read(&file, Kind::Jpeg).unwrap() else { panic!() };
    assert_eq!(j.metadata, 60_002);
    assert_eq!(j.cost_at(8, (64, 64)).memory, 60_002 + 64 * 64 + 64 * 64 * 3, "grey: output and its RGB copy");
}

#[test]
fn png_costs_follow_bit_depth_channels_and_transparency() {
    let bomb = png_cost(8000, 8000, 16, 6, false, 160);
    assert_eq!(bomb.memory, 2 * 8000 * 8 + 8000 * 8000 * (8 + 4), "RGBA16 and its RGBA8 copy");
    assert!(matches!(bomb.within_budget(), Err(ThumbError::TooLarge(_))));
    let phone = png_cost(1290, 2796, 8, 6, false, 800);
    assert!(phone.within_budget().is_ok(), "a phone screenshot: {phone:?}");
    assert!(png_cost(2880, 1800, 8, 6, false, 800).within_budget().is_ok(), "a Retina screenshot");
    assert!(png_cost(6000, 4000, 8, 6, false, 800).within_budget().is_err(), "24 MP of RGBA is over");
    // Smaller than the box: the resize copies the image, which dominates.
    assert_eq!(png_cost(100, 100, 8, 2, true, 160).memory, 2 * 100 * 100 * 4, "tRNS adds alpha");
    assert_eq!(png_cost(100, 100, 8, 2, false, 160).memory, 2 * 100 * 100 * 3);
    assert_eq!(png_cost(100, 100, 1, 0, false, 160).memory, 2 * 100 * 100 * 3, "grey becomes RGB");
}

#[test]
fn gif_costs_count_the_screen_and_a_smaller_first_frame() {
    let mut gif = b"GIF89a".to_vec();
    gif.extend([0x40, 0x1F, 0x40, 0x1F, 0x80, 0, 0]); // 8000×8000, 2-colour global table
    gif.extend([0; 6]);
    gif.extend([0x21, 0xF9, 4, 0, 0, 0, 0, 0]); // graphic control extension
    gif.extend([0x2C, 0, 0, 0, 0, 10, 0, 20, 0, 0]);
    let header = Header::read(&file_of(&gif), Kind::Gif).unwrap();
    assert_eq!(header, Header::Gif(Gif { width: 8000, height: 8000, frame: (10, 20) }));
    let cost = header.cost(boxed(160));
    // The RGBA screen beside the RGBA first frame, or beside what resizing it needs.
    let resizing = crate::media::resize::working_memory(8000, 8000, 4, 160, 160);
    assert_eq!(cost.memory, 8000 * 8000 * 4 + resizing.max(10 * 20 * 4));
    assert!(cost.within_budget().is_err());
}

#[test]
fn truncated_headers_are_decode_errors() {
    for (bytes, kind) in [
        (&b"\xFF\xD8\xFF\xE0\0\x10"[..], Kind::Jpeg),
        (&b"\x89PNG\r\n\x1a\n\0\0"[..], Kind::Png { palette: false }),
        (&b"GIF89a\x10\0\x10\0\0\0\0"[..], Kind::Gif),
    ] {
        assert!(matches!(Header::read(&file_of(bytes), kind), Err(ThumbError::Decode(_))), "{kind:?}");
    }
}
