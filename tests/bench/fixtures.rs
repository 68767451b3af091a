//! The bench's own media library, generated once per bench invocation in its temporary work
//! directory: photo-like JPEGs (smooth gradients, a low-frequency pattern and sensor-like noise,
//! quality 88, so decoding costs what a real photo costs), 10,000 small ones in nested folders for
//! the scanner and the API, a few 12 MP and 24 MP ones for thumbnails (one 12 MP with a camera's
//! 160×120 EXIF thumbnail), a 12 MP iPhone-like HEIC (512 px tiles and a 320×240 thumbnail item,
//! coded by ffmpeg's libx265), a 1 GiB file written from a repeated buffer for downloads, and the
//! nginx document root. It does not scan or serve anything.

use crate::heic::{self, Heic};
use crate::test_fixtures;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::RgbImage;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Small library: 10 top folders × 10 sub-folders × 100 JPEGs.
pub const TOP_DIRS: usize = 10;
pub const SUB_DIRS: usize = 10;
pub const PER_DIR: usize = 100;
pub const SMALL_FILES: usize = TOP_DIRS * SUB_DIRS * PER_DIR;
/// Copies of the 24 MP photo: one for the timed runs plus enough for a burst of 16 builds
/// (two levels each), so every build in a burst is a different thumbnail.
pub const BURST_PHOTOS: usize = 8;
/// Files in the big folder: the 12 MP photo, with and without an EXIF thumbnail, the HEIC,
/// the 24 MP copies and the 1 GiB file.
pub const BIG_FILES: usize = BURST_PHOTOS + 4;
pub const BLOB_SIZE: u64 = 1 << 30;
pub const BLOB_NAME: &str = "blob.bin";

pub struct Library {
    /// The 10,000 small JPEGs (scan bench, files.icc, catalogs.icc).
    pub photos: PathBuf,
    /// Large photos and the 1 GiB file.
    pub big: PathBuf,
    /// nginx's document root: the 1 GiB file (hard link) and, later, the static JSON.
    pub www: PathBuf,
}

impl Library {
    pub fn photo12(&self) -> PathBuf {
        self.big.join("p12.jpg")
    }

    /// The 12 MP photo with a 160×120 EXIF thumbnail, as cameras write it.
    pub fn photo12_exif(&self) -> PathBuf {
        self.big.join("p12_exif.jpg")
    }

    /// A 12 MP (4032×3024) photo as an iPhone stores it.
    pub fn heic12(&self) -> PathBuf {
        self.big.join("p12.heic")
    }

    /// The i-th copy of the 24 MP photo (`i < BURST_PHOTOS`).
    pub fn photo24(&self, i: usize) -> PathBuf {
        self.big.join(format!("p24_{i}.jpg"))
    }

    pub fn blob(&self) -> PathBuf {
        self.big.join(BLOB_NAME)
    }
}

/// Writes the whole library under `dir`.
pub fn build(dir: &Path) -> Result<Library, String> {
    let lib = Library { photos: dir.join("photos"), big: dir.join("big"), www: dir.join("www") };
    for d in [&lib.photos, &lib.big, &lib.www] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    small_photos(&lib.photos)?;
    let p12 = photo_jpeg(4000, 3000, 12)?;
    write(&lib.photo12(), &p12)?;
    let exif = image::imageops::resize(&photo_image(4000, 3000, 12), 160, 120, FilterType::Triangle);
    let exif = encode(&exif, 90)?;
    write(&lib.photo12_exif(), &test_fixtures::with_exif_thumbnail(&p12, &exif, None))?;
    let iphone = Heic { width: 4032, height: 3024, tile: Some(512), thumbnail: Some(320), ..Heic::default() };
    heic::write_picture(&lib.heic12(), &iphone, &photo_image(4032, 3024, 13));
    let p24 = photo_jpeg(6000, 4000, 24)?;
    for i in 0..BURST_PHOTOS {
        write(&lib.photo24(i), &p24)?;
    }
    blob(&lib.blob())?;
    let link = lib.www.join(BLOB_NAME);
    std::fs::hard_link(lib.blob(), &link)
        .or_else(|_| std::fs::copy(lib.blob(), &link).map(|_| ()))
        .map_err(|e| format!("{}: {e}", link.display()))?;
    Ok(lib)
}

/// Eight distinct small photos (64×48 … 320×240) written 10,000 times in nested folders.
fn small_photos(root: &Path) -> Result<(), String> {
    let sizes = [(64, 48), (96, 72), (120, 90), (160, 120), (200, 150), (240, 180), (280, 210), (320, 240)];
    let variants: Vec<Vec<u8>> =
        sizes.iter().enumerate().map(|(i, &(w, h))| photo_jpeg(w, h, i as u64 + 1)).collect::<Result<_, _>>()?;
    let mut n = 0;
    for top in 0..TOP_DIRS {
        for sub in 0..SUB_DIRS {
            let dir = root.join(format!("{top:02}")).join(format!("{sub:02}"));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for _ in 0..PER_DIR {
                write(&dir.join(format!("IMG_{n:05}.jpg")), &variants[n % variants.len()])?;
                n += 1;
            }
        }
    }
    Ok(())
}

/// A photo-like w×h JPEG at quality 88 (see [`photo_image`]).
pub fn photo_jpeg(w: u32, h: u32, seed: u64) -> Result<Vec<u8>, String> {
    encode(&photo_image(w, h, seed), 88)
}

/// A photo-like w×h picture: two gradients, a soft interference pattern (so there is structure
/// at several scales) and ±12 of xorshift noise per channel.
pub fn photo_image(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut img = RgbImage::new(w, h);
    let (fw, fh) = (w as f32, h as f32);
    let wave: Vec<f32> = (0..w.max(h)).map(|i| ((i as f32) * 0.02).sin() * 30.0).collect();
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 / fw, y as f32 / fh);
        let pattern = wave[x as usize] + wave[y as usize];
        let base =
            [40.0 + 170.0 * fx + pattern, 60.0 + 150.0 * fy - pattern * 0.5, 200.0 - 120.0 * fx * fy + pattern * 0.7];
        for (c, value) in base.iter().enumerate() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let noise = (rng % 25) as f32 - 12.0;
            px[c] = (value + noise).clamp(0.0, 255.0) as u8;
        }
    }
    img
}

fn encode(img: &RgbImage, quality: u8) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(img)
        .map_err(|e| format!("JPEG encoding {}x{}: {e}", img.width(), img.height()))?;
    Ok(bytes)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// 1 GiB of non-zero bytes from a repeated 1 MiB buffer (never the whole file in memory).
fn blob(path: &Path) -> Result<(), String> {
    let chunk: Vec<u8> = (0..1usize << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    for _ in 0..BLOB_SIZE / chunk.len() as u64 {
        file.write_all(&chunk).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    file.sync_all().map_err(|e| format!("cannot sync {}: {e}", path.display()))
}
