//! The decode budget of thumbnails: what decoding an image will cost, worked out from its header
//! alone (JPEG frame header, PNG IHDR and the chunks before the image data, GIF logical screen
//! and first frame), and the two limits every decode is held to before a pixel is decoded. A
//! decompression bomb — a tiny file declaring a huge image — is thereby refused at once instead
//! of costing seconds of CPU and hundreds of MiB.
//!
//! The memory model follows what the decoders really allocate: jpeg-decoder's component planes
//! at the DCT scale it decodes at, the coefficients of every block of a progressive JPEG (kept
//! at full size whatever the scale), its output and our conversion to RGB; the `image` crate's
//! frame at its native depth, the 8-bit RGB(A) copy `decode` makes of it, and the box
//! pre-shrink of `resize`. It reads headers with positioned reads (`pread`), so the caller's
//! file offset never moves. It does not decode, and it knows no format beyond these three.

use super::decode::Kind;
use super::heif::{Container, Still};
use super::thumbnail::ThumbError;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Most source pixels one thumbnail decode may have: 2^28 (16384 × 16384, 268 MP). This bounds
/// CPU time, as entropy decoding visits every block of a JPEG even at 1/8 scale; the largest
/// phone cameras make 200 MP.
pub const MAX_SOURCE_PIXELS: u64 = 1 << 28;
/// Most memory one decode may hold at once, as `Cost::memory` counts it: 96 MiB. Large enough
/// for what a family has: an RGBA Retina screenshot (2880×1800), a progressive JPEG from a
/// 24 MP camera (its coefficients alone take 3 bytes a pixel at 4:2:0, at full size whatever
/// the scale), a 16-bit phone PNG; small enough that a bomb (a 512 MB PNG, a 4 G-pixel JPEG)
/// is refused at once, and that a 1 GB board survives the largest. The build gate runs a
/// build larger than its share alone, so two such decodes never run together; baseline JPEGs
/// (decoded at 1/4 or 1/8 scale) stay far below it: 9 MB for a screen preview of 24 MP.
pub const MAX_DECODE_MEMORY: u64 = 96 << 20;

/// Markers walked looking for a JPEG frame header.
const MAX_JPEG_MARKERS: usize = 4096;
/// PNG chunks walked looking for tRNS before the image data.
const MAX_PNG_CHUNKS: usize = 1024;
/// GIF blocks and sub-blocks walked looking for the first image descriptor.
const MAX_GIF_STEPS: usize = 1 << 20;

/// What decoding an image will cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Pixels of the stored image (as the header declares them).
    pub source_pixels: u64,
    /// The most bytes the decode holds at once.
    pub memory: u64,
}

impl Cost {
    /// The cost itself when it is within both limits, else `ThumbError::TooLarge`.
    pub fn within_budget(self) -> Result<Cost, ThumbError> {
        if self.source_pixels > MAX_SOURCE_PIXELS {
            return Err(ThumbError::TooLarge(format!(
                "{} pixels, more than the {MAX_SOURCE_PIXELS} a thumbnail decodes",
                self.source_pixels
            )));
        }
        if self.memory > MAX_DECODE_MEMORY {
            return Err(ThumbError::TooLarge(format!(
                "decoding needs {} MiB, more than the {} MiB a thumbnail may use",
                self.memory.div_ceil(1 << 20),
                MAX_DECODE_MEMORY >> 20
            )));
        }
        Ok(self)
    }
}

/// How a JPEG frame is coded (from its SOFn marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    Sequential,
    Progressive,
    Lossless,
}

/// A JPEG frame header, and the metadata bytes jpeg-decoder keeps while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jpeg {
    pub width: u32,
    pub height: u32,
    precision: u8,
    process: Process,
    /// (horizontal, vertical) sampling factors of each component.
    sampling: Vec<(u8, u8)>,
    /// ICC profile segments (all kept) and the largest EXIF/XMP segment (the last one is kept).
    metadata: u64,
    /// Where the EXIF thumbnail (a JPEG inside the APP1 segment) lies: file offset and length.
    pub exif_thumbnail: Option<(u64, u64)>,
}

/// A PNG's IHDR, and whether a tRNS chunk adds an alpha channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Png {
    pub width: u32,
    pub height: u32,
    bit_depth: u8,
    colour_type: u8,
    transparency: bool,
}

/// A GIF's logical screen and its first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gif {
    pub width: u32,
    pub height: u32,
    frame: (u32, u32),
}

/// The header of an image `decode` can decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Jpeg(Jpeg),
    Png(Png),
    Gif(Gif),
    /// A HEIF still's container and pictures (`heif`).
    Heif(Still),
}

impl Header {
    /// Reads the header of `file`, whose format `kind` is already known.
    pub fn read(file: &File, kind: Kind) -> Result<Header, ThumbError> {
        let header = match kind {
            Kind::Jpeg => Header::Jpeg(read_jpeg(file)?),
            Kind::Png { .. } => Header::Png(read_png(file)?),
            Kind::Gif => Header::Gif(read_gif(file)?),
            Kind::Heif => Header::Heif(read_heif(file)?),
        };
        Ok(header)
    }

    /// Stored pixel dimensions (not oriented).
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Header::Jpeg(j) => (j.width, j.height),
            Header::Png(p) => (p.width, p.height),
            Header::Gif(g) => (g.width, g.height),
            Header::Heif(h) => h.dimensions(),
        }
    }

    /// The cost of building a thumbnail of stored-orientation size `target`: JPEGs decoded at
    /// the DCT scale `decode` picks for it, PNG and GIF whole.
    pub fn cost(&self, target: impl Fn(usize, usize) -> (usize, usize)) -> Cost {
        let (w, h) = self.dimensions();
        let target = target(w as usize, h as usize);
        match self {
            Header::Jpeg(j) => j.cost_at(super::decode::dct_scale(w as usize, h as usize, target.0, target.1), target),
            Header::Png(p) => p.cost(target),
            Header::Gif(g) => g.cost(target),
            Header::Heif(h) => heif_cost(h, target),
        }
    }
}

/// Decoding a HEIF still as `heif` plans it: the container, one tile at a time and the canvas,
/// then the canvas and what `resize` needs.
pub(crate) fn heif_cost(still: &Still, target: (usize, usize)) -> Cost {
    let plan = still.plan(target);
    let (w, h) = plan.output_size();
    let canvas = (w as u64).saturating_mul(h as u64).saturating_mul(3);
    let resizing = canvas.saturating_add(super::resize::working_memory(w, h, 3, target.0, target.1));
    Cost {
        source_pixels: plan.source_pixels(),
        memory: still.container_len().saturating_add(plan.memory().max(resizing)),
    }
}

impl Jpeg {
    /// The cost of decoding at `scale`/8 of the stored size (1, 2, 4 or 8; lossless JPEGs are
    /// always decoded whole) and resizing that to `target`. While decoding: the metadata, the
    /// coefficients of a progressive frame, the component planes and the decoder's output, or
    /// that output and its conversion to RGB; then the RGB image and what `resize` needs.
    pub fn cost_at(&self, scale: usize, target: (usize, usize)) -> Cost {
        let (w, h) = (u64::from(self.width), u64::from(self.height));
        let scale = if self.process == Process::Lossless { 8 } else { scale.clamp(1, 8) as u64 };
        let h_max = u64::from(self.sampling.iter().map(|s| s.0).max().unwrap_or(1));
        let v_max = u64::from(self.sampling.iter().map(|s| s.1).max().unwrap_or(1));
        let (mcus_x, mcus_y) = (w.div_ceil(8 * h_max), h.div_ceil(8 * v_max));
        let sample_bytes = if self.precision > 8 { 2 } else { 1 };
        let (mut planes, mut coefficients) = (0u64, 0u64);
        for &(hs, vs) in &self.sampling {
            let blocks = mcus_x * u64::from(hs) * mcus_y * u64::from(vs);
            planes += blocks * scale * scale * sample_bytes;
            if self.process == Process::Progressive {
                coefficients += blocks * 64 * 2;
            }
        }
        let (dw, dh) = ((w * scale).div_ceil(8), (h * scale).div_ceil(8));
        let pixel_bytes = match self.sampling.len() {
            1 => sample_bytes,
            4 => 4,
            _ => 3,
        };
        let (output, rgb) = (dw * dh * pixel_bytes, dw * dh * 3);
        let conversion = if self.sampling.len() == 3 && sample_bytes == 1 { 0 } else { output + rgb };
        let decoding = self.metadata + coefficients + (planes + output).max(conversion);
        let resizing = rgb + super::resize::working_memory(dw as usize, dh as usize, 3, target.0, target.1);
        Cost { source_pixels: w * h, memory: decoding.max(resizing) }
    }
}

impl Png {
    /// The frame at its native depth (below 8 bits and palettes are expanded to 8-bit samples,
    /// 16-bit ones stay 16-bit) with the decoder's two rows, and its 8-bit RGB(A) copy when it
    /// is not already that; then the 8-bit image and what `resize` needs.
    fn cost(&self, target: (usize, usize)) -> Cost {
        let pixels = u64::from(self.width) * u64::from(self.height);
        let channels: u64 = match self.colour_type {
            0 => 1,
            2 | 3 => 3,
            4 => 2,
            _ => 4,
        } + u64::from(self.transparency && matches!(self.colour_type, 0 | 2 | 3));
        let sample_bytes = if self.bit_depth == 16 { 2 } else { 1 };
        // Saturating: 2^31 × 2^31 pixels are refused by their count, not wrapped into budget.
        let native = pixels.saturating_mul(channels * sample_bytes);
        let rgba = if channels % 2 == 0 { 4 } else { 3 };
        let eight_bit = pixels.saturating_mul(rgba);
        let converted = if sample_bytes == 1 && channels == rgba { 0 } else { eight_bit };
        let rows = 2 * u64::from(self.width) * channels * sample_bytes;
        let (w, h) = (self.width as usize, self.height as usize);
        let resizing = eight_bit.saturating_add(super::resize::working_memory(w, h, rgba as usize, target.0, target.1));
        Cost { source_pixels: pixels, memory: rows.saturating_add(native).saturating_add(converted).max(resizing) }
    }
}

impl Gif {
    /// The RGBA screen and, when the first frame is not the whole screen, the RGBA frame it is
    /// composed from; then the screen and what `resize` needs.
    fn cost(&self, target: (usize, usize)) -> Cost {
        let screen = u64::from(self.width) * u64::from(self.height) * 4;
        let frame = u64::from(self.frame.0) * u64::from(self.frame.1) * 4;
        let frame_buffer = if self.frame == (self.width, self.height) { 0 } else { frame };
        let (w, h) = (self.width as usize, self.height as usize);
        let resizing = screen + super::resize::working_memory(w, h, 4, target.0, target.1);
        let pixels = u64::from(self.width) * u64::from(self.height);
        Cost { source_pixels: pixels.max(frame / 4), memory: (screen + frame_buffer).max(resizing) }
    }
}

/// The container and pictures of a HEIF still; other ISO-BMFF files (videos) are unsupported.
fn read_heif(file: &File) -> Result<Still, ThumbError> {
    let len = file.metadata().map_err(ThumbError::Io)?.len();
    let mut read = super::heif::file_reader(file);
    match Container::read(&mut read, len).map_err(ThumbError::Io)? {
        Some(container) => container.still(&mut read),
        None => Err(ThumbError::Unsupported("ISO-BMFF without a HEIF image (a video?)".into())),
    }
}

/// `buf.len()` bytes at `pos`; `Ok(false)` when the file ends first.
fn read_at(file: &File, pos: u64, buf: &mut [u8]) -> Result<bool, ThumbError> {
    match file.read_exact_at(buf, pos) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(ThumbError::Io(e)),
    }
}

fn truncated(what: &str) -> ThumbError {
    ThumbError::Decode(format!("{what}: header truncated or missing"))
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn le16(b: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([b[0], b[1]]))
}

/// Walks the markers up to the start of scan: the first SOFn frame header, and the APP1/APP2
/// segments jpeg-decoder keeps in memory.
fn read_jpeg(file: &File) -> Result<Jpeg, ThumbError> {
    let (mut pos, mut frame, mut icc, mut largest_app1) = (2u64, None, 0u64, 0u64);
    let mut exif_thumbnail = None;
    for _ in 0..MAX_JPEG_MARKERS {
        let mut m = [0u8; 4];
        if !read_at(file, pos, &mut m)? || m[0] != 0xFF {
            break;
        }
        match m[1] {
            0xFF => pos += 1,
            0x01 | 0xD0..=0xD8 => pos += 2,
            0xD9 | 0xDA => break,
            marker => {
                let len = u64::from(be16(&m[2..]));
                if len < 2 {
                    break;
                }
                match marker {
                    0xE1 => {
                        largest_app1 = largest_app1.max(len);
                        if exif_thumbnail.is_none() {
                            exif_thumbnail = read_exif_thumbnail(file, pos + 4, len - 2)?;
                        }
                    }
                    0xE2 => icc += len,
                    0xC0..=0xCF if frame.is_none() && !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                        frame = Some(read_sof(file, pos + 4, marker)?);
                    }
                    _ => {}
                }
                pos += 2 + len;
            }
        }
    }
    let mut jpeg = frame.ok_or_else(|| truncated("JPEG"))?;
    jpeg.metadata = icc + largest_app1;
    jpeg.exif_thumbnail = exif_thumbnail;
    Ok(jpeg)
}

/// The file offset and length of the JPEG thumbnail in the APP1 segment of `len` bytes at `at`,
/// if it is an EXIF one that has a thumbnail.
fn read_exif_thumbnail(file: &File, at: u64, len: u64) -> Result<Option<(u64, u64)>, ThumbError> {
    const EXIF: &[u8] = b"Exif\0\0";
    let mut segment = vec![0u8; len as usize];
    if !read_at(file, at, &mut segment)? || !segment.starts_with(EXIF) {
        return Ok(None);
    }
    let tiff_at = at + EXIF.len() as u64;
    Ok(super::probe::exif_thumbnail(&segment[EXIF.len()..]).map(|(offset, len)| (tiff_at + offset, len)))
}

/// A SOFn body: precision, height, width, and (id, sampling, table) per component.
fn read_sof(file: &File, at: u64, marker: u8) -> Result<Jpeg, ThumbError> {
    let mut b = [0u8; 6];
    if !read_at(file, at, &mut b)? {
        return Err(truncated("JPEG"));
    }
    let (height, width, count) = (u32::from(be16(&b[1..])), u32::from(be16(&b[3..])), usize::from(b[5]));
    if width == 0 || height == 0 || !(1..=4).contains(&count) {
        return Err(ThumbError::Decode(format!("JPEG: frame of {width}×{height} with {count} components")));
    }
    let mut components = vec![0u8; 3 * count];
    if !read_at(file, at + 6, &mut components)? {
        return Err(truncated("JPEG"));
    }
    let sampling = components.chunks_exact(3).map(|c| ((c[1] >> 4).clamp(1, 4), (c[1] & 15).clamp(1, 4))).collect();
    let process = match marker & 3 {
        2 => Process::Progressive,
        3 => Process::Lossless,
        _ => Process::Sequential,
    };
    Ok(Jpeg { width, height, precision: b[0], process, sampling, metadata: 0, exif_thumbnail: None })
}

/// IHDR, then the chunks up to the image data for a tRNS (which must come before it).
fn read_png(file: &File) -> Result<Png, ThumbError> {
    let mut ihdr = [0u8; 25];
    if !read_at(file, 8, &mut ihdr)? || &ihdr[4..8] != b"IHDR" {
        return Err(truncated("PNG"));
    }
    let (width, height) = (be32(&ihdr[8..]), be32(&ihdr[12..]));
    let mut png = Png { width, height, bit_depth: ihdr[16], colour_type: ihdr[17], transparency: false };
    let mut pos = 8u64;
    for _ in 0..MAX_PNG_CHUNKS {
        let mut h = [0u8; 8];
        if !read_at(file, pos, &mut h)? {
            break;
        }
        match &h[4..8] {
            b"tRNS" => png.transparency = true,
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        pos += 12 + u64::from(be32(&h));
    }
    Ok(png)
}

/// The logical screen descriptor, then the blocks up to the first image descriptor.
fn read_gif(file: &File) -> Result<Gif, ThumbError> {
    let mut head = [0u8; 13];
    if !read_at(file, 0, &mut head)? {
        return Err(truncated("GIF"));
    }
    let (width, height) = (le16(&head[6..]), le16(&head[8..]));
    let mut pos = 13 + colour_table_len(head[10]);
    let mut steps = 0;
    while steps < MAX_GIF_STEPS {
        steps += 1;
        let mut intro = [0u8; 2];
        if !read_at(file, pos, &mut intro)? {
            break;
        }
        match intro[0] {
            0x2C => {
                let mut d = [0u8; 9];
                if !read_at(file, pos + 1, &mut d)? {
                    break;
                }
                return Ok(Gif { width, height, frame: (le16(&d[4..]), le16(&d[6..])) });
            }
            0x21 => {
                // Extension: introducer, label, then sub-blocks until a zero length.
                pos += 2;
                loop {
                    let mut n = [0u8; 1];
                    steps += 1;
                    if steps >= MAX_GIF_STEPS || !read_at(file, pos, &mut n)? {
                        return Err(truncated("GIF"));
                    }
                    pos += 1 + u64::from(n[0]);
                    if n[0] == 0 {
                        break;
                    }
                }
            }
            _ => break,
        }
    }
    Err(truncated("GIF"))
}

/// Size of the colour table announced by a GIF packed-fields byte.
fn colour_table_len(packed: u8) -> u64 {
    if packed & 0x80 == 0 {
        return 0;
    }
    3 << ((packed & 7) + 1)
}

#[cfg(test)]
mod tests;
