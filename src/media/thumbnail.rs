//! Still-image thumbnails for the media server: decode the first frame of a
//! JPEG, PNG, GIF or HEIF/HEIC (recognised by magic bytes), shrink it to fit a square box,
//! turn it upright according to the EXIF orientation the caller passes in, and
//! encode it as JPEG (quality 80) or — when the source has alpha or a palette —
//! PNG.
//!
//! A camera JPEG's EXIF thumbnail is used instead of the photo where it is
//! large enough and shows the whole picture (the grid's level 0, mostly).
//! JPEGs are decoded with `jpeg-decoder` at 1/2, 1/4 or 1/8 scale in the DCT
//! domain straight from a buffered file reader, so a 24 MP photo never exists
//! in memory at full size (see `decode`); the rest of the reduction is done by
//! `resize`. PNG/GIF go through the `image` crate with an allocation limit.
//! Before anything is decoded, the cost read from the header must fit the
//! decode budget (`budget`): a decompression bomb is refused at once. Sources
//! are files the caller opened (without following links: `fs::open`); they are
//! read with positioned reads, so their offset is left where it was.
//! This module deliberately does not read EXIF itself, cache anything,
//! colour-manage (ICC profiles are ignored) or handle video — see
//! `video_frame` for that.

use super::budget::Header;
use super::decode;
use super::resize::{self, Pixels};
use image::ImageEncoder;
use std::fs::File;
use std::io::Write;

/// Level 0: grid thumbnails.
pub const SMALL_BOX: u32 = 160;
/// Level 1: screen-sized previews.
pub const SCREEN_BOX: u32 = 800;

/// JPEG quality of encoded thumbnails.
const JPEG_QUALITY: u8 = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbFormat {
    Jpeg,
    Png,
}

#[derive(Debug)]
pub enum ThumbError {
    Io(std::io::Error),
    Unsupported(String),
    Decode(String),
    /// The header declares more than the decode budget allows (`budget`).
    TooLarge(String),
    Encode(String),
}

impl std::fmt::Display for ThumbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThumbError::Io(e) => write!(f, "I/O error: {e}"),
            ThumbError::Unsupported(s) => write!(f, "unsupported image: {s}"),
            ThumbError::Decode(s) => write!(f, "cannot decode image: {s}"),
            ThumbError::TooLarge(s) => write!(f, "image too large to decode: {s}"),
            ThumbError::Encode(s) => write!(f, "cannot encode thumbnail: {s}"),
        }
    }
}

impl std::error::Error for ThumbError {}

/// Target size: (w,h) = source size AFTER applying orientation;
/// scale = min(1, max_box / max(w,h)); out = (max(1, floor(w*scale)),
/// max(1, floor(h*scale))). Never enlarges. Computed in exact integer math.
pub fn target_size(w: u32, h: u32, max_box: u32) -> (u32, u32) {
    let m = w.max(h);
    if m <= max_box {
        return (w.max(1), h.max(1));
    }
    let fit = |v: u32| ((u64::from(v) * u64::from(max_box)) / u64::from(m)).max(1) as u32;
    (fit(w), fit(h))
}

/// Decode the first frame of a JPEG/PNG/GIF, apply the EXIF `orientation`,
/// resize to [`target_size`] of the oriented dimensions and encode into `out`.
/// Output is PNG when the source has alpha or a palette (so every GIF), JPEG
/// (quality 80) otherwise. Nothing is written to `out` unless encoding worked.
/// A source whose header declares more than the decode budget is refused with
/// [`ThumbError::TooLarge`] before decoding.
pub fn build_image_thumbnail(
    src: &File,
    orientation: Option<i64>,
    max_box: u32,
    out: &mut dyn Write,
) -> Result<ThumbFormat, ThumbError> {
    let o = match orientation {
        Some(v @ 1..=8) => v as u8,
        _ => 1,
    };
    let opened = decode::open(src)?;
    // Target in the stored orientation: swapped for the quarter turns.
    let stored_target = |w: usize, h: usize| {
        let (w, h) = (w as u32, h as u32);
        if o >= 5 {
            let (tw, th) = target_size(h, w, max_box);
            (th as usize, tw as usize)
        } else {
            let (tw, th) = target_size(w, h, max_box);
            (tw as usize, th as usize)
        }
    };
    opened.header.cost(stored_target).within_budget()?;
    let (w, h) = opened.header.dimensions();
    let (tw, th) = stored_target(w as usize, h as usize);
    let (mut px, format) = match (&opened.header, opened.kind) {
        (Header::Jpeg(jpeg), _) => match decode::decode_exif_thumbnail(src, jpeg, (tw, th)) {
            Some(px) => (px, ThumbFormat::Jpeg),
            None => (decode::decode_jpeg(opened.reader, jpeg, stored_target)?, ThumbFormat::Jpeg),
        },
        (Header::Heif(still), _) => (decode::decode_heif(src, still, stored_target)?, ThumbFormat::Jpeg),
        (_, kind) => decode::decode_with_image(opened.reader, kind)?,
    };
    let alpha = px.channels == 4;
    if alpha {
        premultiply(&mut px.data);
    }
    px = resize::resize(&px, tw, th);
    if alpha {
        unpremultiply(&mut px.data);
    }
    let px = resize::orient(px, o);
    let bytes = encode(&px, format)?;
    out.write_all(&bytes).map_err(ThumbError::Io)?;
    Ok(format)
}

/// About the most memory building a thumbnail of `src` for `max_box` holds at once, from the
/// file header alone (`budget`); a source over the budget is an error here already.
pub fn build_memory(src: &File, max_box: u32) -> Result<u64, ThumbError> {
    let target = |w: usize, h: usize| {
        let (tw, th) = target_size(w as u32, h as u32, max_box);
        (tw as usize, th as usize)
    };
    Ok(decode::open(src)?.header.cost(target).within_budget()?.memory)
}

/// Pixel dimensions from the file header (as stored, not oriented).
pub fn stored_dimensions(src: &File) -> Result<(u32, u32), ThumbError> {
    Ok(decode::open(src)?.header.dimensions())
}

fn premultiply(rgba: &mut [u8]) {
    for p in rgba.chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        for c in &mut p[..3] {
            *c = ((u32::from(*c) * a + 127) / 255) as u8;
        }
    }
}

fn unpremultiply(rgba: &mut [u8]) {
    for p in rgba.chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        if a != 0 && a != 255 {
            for c in &mut p[..3] {
                *c = ((u32::from(*c) * 255 + a / 2) / a).min(255) as u8;
            }
        }
    }
}

fn encode(px: &Pixels, format: ThumbFormat) -> Result<Vec<u8>, ThumbError> {
    let color = if px.channels == 4 { image::ExtendedColorType::Rgba8 } else { image::ExtendedColorType::Rgb8 };
    let (w, h) = (px.width as u32, px.height as u32);
    let mut buf = Vec::with_capacity(px.data.len() / 4 + 1024);
    let res = match format {
        ThumbFormat::Jpeg => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, JPEG_QUALITY)
            .write_image(&px.data, w, h, color),
        ThumbFormat::Png => image::codecs::png::PngEncoder::new_with_quality(
            &mut buf,
            image::codecs::png::CompressionType::Fast,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(&px.data, w, h, color),
    };
    res.map_err(|e| ThumbError::Encode(e.to_string()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
    use std::path::{Path, PathBuf};

    const RED: Rgb<u8> = Rgb([230, 20, 20]);
    const BLUE: Rgb<u8> = Rgb([20, 20, 230]);

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("thumb-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    /// 64x48 stored pixels: red 16x12 block in the stored top-left corner, blue elsewhere.
    fn corner_image() -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| if x < 16 && y < 12 { RED } else { BLUE })
    }

    fn save(img: &DynamicImage, dir: &Path, name: &str, fmt: ImageFormat) -> PathBuf {
        let p = dir.join(name);
        img.save_with_format(&p, fmt).expect("write fixture");
        p
    }

    fn open(p: &Path) -> File {
        File::open(p).expect("open fixture")
    }

    fn thumb(src: &Path, o: Option<i64>, max_box: u32) -> (ThumbFormat, DynamicImage) {
        let mut out = Vec::new();
        let f = build_image_thumbnail(&open(src), o, max_box, &mut out).expect("thumbnail");
        (f, image::load_from_memory(&out).expect("decode output"))
    }

    fn is_red(p: Rgb<u8>) -> bool {
        p[0] > 160 && p[2] < 100
    }

    /// Checks one orientation: dimensions swap for 5–8 and the red corner lands where EXIF says.
    fn check_orientation(src: &Path, o: i64) {
        let (_, img) = thumb(src, Some(o), 32);
        let img = img.to_rgb8();
        let (w, h) = img.dimensions();
        assert_eq!((w, h), if o >= 5 { (24, 32) } else { (32, 24) }, "orientation {o}");
        let (l, r, t, b) = (1, w - 2, 1, h - 2);
        let (x, y) = match o {
            1 | 5 => (l, t),
            2 | 6 => (r, t),
            3 | 7 => (r, b),
            _ => (l, b),
        };
        assert!(is_red(*img.get_pixel(x, y)), "orientation {o}: {:?} at {x},{y}", img.get_pixel(x, y));
        assert!(!is_red(*img.get_pixel(w - 1 - x, h - 1 - y)), "orientation {o}: opposite corner");
    }

    #[test]
    fn target_size_fits_the_box_never_enlarges_and_never_returns_zero() {
        assert_eq!(target_size(4000, 3000, 160), (160, 120));
        assert_eq!(target_size(3000, 4000, 800), (600, 800));
        assert_eq!(target_size(64, 48, 160), (64, 48));
        assert_eq!(target_size(1, 1000, 160), (1, 160));
        assert_eq!(target_size(1000, 1, 160), (160, 1));
        assert_eq!(target_size(6000, 4000, 160), (160, 106));
    }

    #[test]
    fn every_orientation_puts_the_stored_top_left_corner_where_exif_says_for_jpeg() {
        let dir = temp_dir("orient-jpeg");
        let src = save(&corner_image().into(), &dir, "c.jpg", ImageFormat::Jpeg);
        for o in 1..=8 {
            check_orientation(&src, o);
        }
        for odd in [None, Some(0), Some(9), Some(-1)] {
            let (f, img) = thumb(&src, odd, 32);
            assert_eq!((f, img.width(), img.height()), (ThumbFormat::Jpeg, 32, 24));
            assert!(is_red(*img.to_rgb8().get_pixel(1, 1)));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn every_orientation_works_for_png_sources_too() {
        let dir = temp_dir("orient-png");
        let src = save(&corner_image().into(), &dir, "c.png", ImageFormat::Png);
        for o in 1..=8 {
            check_orientation(&src, o);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_png_with_alpha_stays_png_with_alpha() {
        let dir = temp_dir("alpha");
        let img = RgbaImage::from_fn(64, 48, |x, _| if x < 32 { Rgba([255, 0, 0, 0]) } else { Rgba([0, 200, 0, 255]) });
        let src = save(&img.into(), &dir, "a.png", ImageFormat::Png);
        let (f, out) = thumb(&src, Some(6), 32);
        assert_eq!(f, ThumbFormat::Png);
        assert!(out.color().has_alpha());
        let out = out.to_rgba8();
        assert_eq!(out.dimensions(), (24, 32));
        // Rotated 90° CW: the transparent left half is now the top half.
        assert_eq!(out.get_pixel(12, 1)[3], 0);
        assert_eq!(*out.get_pixel(12, 30), Rgba([0, 200, 0, 255]));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_gif_becomes_a_png() {
        let dir = temp_dir("gif");
        let src = save(&corner_image().into(), &dir, "c.gif", ImageFormat::Gif);
        let (f, out) = thumb(&src, None, 32);
        assert_eq!((f, out.width(), out.height()), (ThumbFormat::Png, 32, 24));
        assert!(is_red(*out.to_rgb8().get_pixel(1, 1)));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn sixteen_bit_grey_alpha_and_grey_sources_convert_instead_of_failing() {
        let dir = temp_dir("depths");
        let rgb16 = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(64, 48, Rgb([65535, 0, 0])));
        let la8 = DynamicImage::ImageLumaA8(image::ImageBuffer::from_pixel(64, 48, image::LumaA([128, 255])));
        let l8 = DynamicImage::ImageLuma8(image::ImageBuffer::from_pixel(64, 48, image::Luma([128])));
        let cases = [
            (save(&rgb16, &dir, "16.png", ImageFormat::Png), ThumbFormat::Jpeg),
            (save(&la8, &dir, "la.png", ImageFormat::Png), ThumbFormat::Png),
            (save(&l8, &dir, "l.jpg", ImageFormat::Jpeg), ThumbFormat::Jpeg),
        ];
        for (src, want) in cases {
            let (f, out) = thumb(&src, None, 32);
            assert_eq!((f, out.width(), out.height()), (want, 32, 24), "{src:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_one_pixel_wide_image_gives_a_one_pixel_wide_thumbnail() {
        let dir = temp_dir("thin");
        let img = RgbImage::from_pixel(1, 1000, RED);
        for (name, fmt) in [("t.jpg", ImageFormat::Jpeg), ("t.png", ImageFormat::Png)] {
            let src = save(&img.clone().into(), &dir, name, fmt);
            let (_, out) = thumb(&src, None, SMALL_BOX);
            assert_eq!((out.width(), out.height()), (1, 160), "{name}");
            let (_, out) = thumb(&src, Some(8), SMALL_BOX);
            assert_eq!((out.width(), out.height()), (160, 1), "{name} rotated");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_image_smaller_than_the_box_is_not_enlarged() {
        let dir = temp_dir("small");
        let src = save(&corner_image().into(), &dir, "c.jpg", ImageFormat::Jpeg);
        let (_, out) = thumb(&src, Some(6), SCREEN_BOX);
        assert_eq!((out.width(), out.height()), (48, 64));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn garbage_truncated_and_foreign_files_are_errors_not_panics() {
        let dir = temp_dir("garbage");
        let jpg = save(&corner_image().into(), &dir, "c.jpg", ImageFormat::Jpeg);
        let bytes = std::fs::read(&jpg).expect("fixture");
        let cases: [(&str, Vec<u8>); 5] = [
            ("garbage", (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect()),
            ("empty", Vec::new()),
            ("truncated.jpg", bytes[..bytes.len() / 3].to_vec()),
            ("fake.png", b"\x89PNG\r\n\x1a\nnot really a png at all".to_vec()),
            ("x.webp", b"RIFF\0\0\0\0WEBPVP8 ".to_vec()),
        ];
        for (name, data) in cases {
            let p = dir.join(name);
            std::fs::write(&p, data).expect("write");
            let r = build_image_thumbnail(&open(&p), None, 32, &mut Vec::new());
            match (name, r) {
                ("x.webp", Err(ThumbError::Unsupported(_))) => {}
                (_, Err(ThumbError::Decode(_))) if name != "x.webp" => {}
                (_, other) => panic!("{name}: {other:?}"),
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn stored_dimensions_reads_headers_of_all_three_formats() {
        let dir = temp_dir("dims");
        let img: DynamicImage = corner_image().into();
        for (name, fmt) in [("c.jpg", ImageFormat::Jpeg), ("c.png", ImageFormat::Png), ("c.gif", ImageFormat::Gif)] {
            let src = save(&img, &dir, name, fmt);
            assert_eq!(stored_dimensions(&open(&src)).expect(name), (64, 48), "{name}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn build_memory_follows_the_scale_the_decoder_will_use() {
        let dir = temp_dir("memory");
        let img: DynamicImage = RgbImage::from_pixel(640, 480, BLUE).into();
        let jpeg = save(&img, &dir, "m.jpg", ImageFormat::Jpeg);
        let png = save(&img, &dir, "m.png", ImageFormat::Png);
        // RGB planes and the RGB image: 6 bytes a pixel at the DCT scale that covers the box.
        assert_eq!(build_memory(&open(&jpeg), 160).expect("jpeg"), 160 * 120 * 6, "1/4 scale covers 160");
        assert_eq!(build_memory(&open(&jpeg), 300).expect("jpeg"), 320 * 240 * 6, "1/2 scale covers 300");
        assert_eq!(build_memory(&open(&jpeg), 800).expect("jpeg"), 640 * 480 * 6, "full size");
        // PNG: the whole RGB frame, then beside it the 2×2 box pre-shrink and the resize's rows and output.
        let png_memory = 640 * 480 * 3 + 320 * 240 * 3 + 160 * (26 + 4 + 120) * 3;
        assert_eq!(build_memory(&open(&png), 160).expect("png"), png_memory, "PNG decodes at full size");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_image_declaring_more_than_the_budget_is_refused_before_decoding() {
        let dir = temp_dir("bomb");
        let png = save(&RgbImage::from_pixel(64, 48, BLUE).into(), &dir, "b.png", ImageFormat::Png);
        let mut bytes = std::fs::read(&png).expect("fixture");
        bytes[16..24].copy_from_slice(&[0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]); // IHDR: 20000×20000
        std::fs::write(&png, bytes).expect("write");
        let mut out = Vec::new();
        let r = build_image_thumbnail(&open(&png), None, SMALL_BOX, &mut out);
        assert!(matches!(r, Err(ThumbError::TooLarge(_))), "{r:?}");
        assert!(out.is_empty());
        assert!(matches!(build_memory(&open(&png), SMALL_BOX), Err(ThumbError::TooLarge(_))));
        assert_eq!(stored_dimensions(&open(&png)).expect("dimensions"), (20000, 20000), "still measurable");
        let _ = std::fs::remove_dir_all(dir);
    }
}
