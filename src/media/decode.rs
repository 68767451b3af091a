//! Format sniffing and decoding for `thumbnail`: recognises JPEG/PNG/GIF by
//! magic bytes and turns the first frame into packed 8-bit RGB or RGBA.
//!
//! JPEGs go through `jpeg-decoder` at the smallest DCT scale (1/8, 1/4, 1/2, 1)
//! that still covers the wanted size, reading through a `BufReader`; grey,
//! 16-bit and CMYK JPEGs become RGB. PNG/GIF go through the `image` crate with
//! an allocation limit. Nothing here resizes, orients or encodes, and ICC
//! profiles are ignored (CMYK is converted naively).

use super::resize::Pixels;
use super::sniff::Format;
use super::thumbnail::{ThumbError, ThumbFormat};
use image::ImageError;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Largest buffer any decoder may allocate (decompression-bomb guard).
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
const READ_BUFFER: usize = 64 * 1024;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jpeg,
    Png { palette: bool },
    Gif,
}

/// Opens `src` buffered and recognises its format without consuming anything.
pub(crate) fn open(src: &Path) -> Result<(BufReader<File>, Kind), ThumbError> {
    let file = File::open(src).map_err(ThumbError::Io)?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, file);
    let kind = sniff(&mut reader)?;
    Ok((reader, kind))
}

/// Stored pixel dimensions from the header of an [`open`]ed file.
pub(crate) fn dimensions(mut reader: BufReader<File>, kind: Kind) -> Result<(u32, u32), ThumbError> {
    match kind {
        Kind::Jpeg => {
            let info = jpeg_info(&mut jpeg_decoder::Decoder::new(reader))?;
            Ok((u32::from(info.width), u32::from(info.height)))
        }
        Kind::Png { .. } => {
            let head = header(&mut reader, 24)?;
            Ok((be32(&head[16..20]), be32(&head[20..24])))
        }
        Kind::Gif => {
            let head = header(&mut reader, 10)?;
            let le16 = |b: &[u8]| u32::from(u16::from_le_bytes([b[0], b[1]]));
            Ok((le16(&head[6..8]), le16(&head[8..10])))
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The first `n` bytes, left in the reader's buffer (not consumed).
fn header(reader: &mut BufReader<File>, n: usize) -> Result<&[u8], ThumbError> {
    let buf = reader.fill_buf().map_err(ThumbError::Io)?;
    if buf.len() < n {
        return Err(ThumbError::Decode(format!("file too short ({} bytes)", buf.len())));
    }
    Ok(&buf[..n])
}

/// Recognise the format by magic bytes without consuming anything.
fn sniff(reader: &mut BufReader<File>) -> Result<Kind, ThumbError> {
    let head = reader.fill_buf().map_err(ThumbError::Io)?;
    match super::sniff::sniff(head, "") {
        Some(Format::Jpeg) => Ok(Kind::Jpeg),
        // IHDR colour type (byte 25) 3 = indexed.
        Some(Format::Png) => Ok(Kind::Png { palette: head.get(25) == Some(&3) }),
        Some(Format::Gif) => Ok(Kind::Gif),
        other => match other.and_then(unsupported_name) {
            Some(name) => Err(ThumbError::Unsupported(name.to_string())),
            None => Err(ThumbError::Decode("not a recognised image file".into())),
        },
    }
}

/// Formats we recognise but do not thumbnail (so the caller can say so).
fn unsupported_name(format: Format) -> Option<&'static str> {
    match format {
        Format::Webp => Some("WebP"),
        Format::IsoBmff => Some("ISO-BMFF (HEIF/AVIF/video)"),
        Format::Tiff => Some("TIFF/raw"),
        Format::Bmp => Some("BMP"),
        _ => None,
    }
}

fn io_or_decode(e: std::io::Error) -> ThumbError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        ThumbError::Decode(format!("truncated file: {e}"))
    } else {
        ThumbError::Io(e)
    }
}

fn jpeg_err(e: jpeg_decoder::Error) -> ThumbError {
    match e {
        jpeg_decoder::Error::Io(e) => io_or_decode(e),
        jpeg_decoder::Error::Unsupported(f) => ThumbError::Unsupported(format!("JPEG: {f:?}")),
        other => ThumbError::Decode(format!("JPEG: {other}")),
    }
}

/// The frame header of a JPEG, read by `dec`.
fn jpeg_info<R: Read>(dec: &mut jpeg_decoder::Decoder<R>) -> Result<jpeg_decoder::ImageInfo, ThumbError> {
    dec.read_info().map_err(jpeg_err)?;
    dec.info().ok_or_else(|| ThumbError::Decode("JPEG without a frame header".into()))
}

/// About the most pixel memory decoding an [`open`]ed file for a `target` holds at once. A
/// JPEG: its component planes at the DCT scale `decode_jpeg` picks and the image made from
/// them (a 4:4:4 24 MP photo for a screen-size preview: 1500×1000 × 6 = 9 MB). PNG and GIF:
/// the decoded frame and its conversion, as 8-bit RGBA.
pub(crate) fn peak_memory(
    reader: BufReader<File>,
    kind: Kind,
    target: impl Fn(usize, usize) -> (usize, usize),
) -> Result<u64, ThumbError> {
    let pixels = |w: usize, h: usize| w as u64 * h as u64;
    match kind {
        Kind::Jpeg => {
            let info = jpeg_info(&mut jpeg_decoder::Decoder::new(reader))?;
            let (w, h) = (usize::from(info.width), usize::from(info.height));
            let (tw, th) = target(w, h);
            let (dw, dh) = if info.coding_process == jpeg_decoder::CodingProcess::Lossless {
                (w, h)
            } else {
                dct_scaled_size(w, h, tw, th)
            };
            Ok(pixels(dw, dh) * (info.pixel_format.pixel_bytes() as u64 + 3))
        }
        Kind::Png { .. } | Kind::Gif => {
            let (w, h) = dimensions(reader, kind)?;
            Ok(pixels(w as usize, h as usize) * 8)
        }
    }
}

/// Smallest DCT scale (1/8, 1/4, 1/2, 1) whose output is ≥ the stored-orientation target.
fn dct_scaled_size(w: usize, h: usize, tw: usize, th: usize) -> (usize, usize) {
    let scaled = |len: usize, k: usize| (len * k).div_ceil(8);
    [1, 2, 4, 8].iter().map(|&k| (scaled(w, k), scaled(h, k))).find(|&(sw, sh)| sw >= tw && sh >= th).unwrap_or((w, h))
}

/// Decodes at the cheapest DCT scale that still covers the target.
pub(crate) fn decode_jpeg(
    reader: BufReader<File>,
    stored_target: impl Fn(usize, usize) -> (usize, usize),
) -> Result<Pixels, ThumbError> {
    let mut dec = jpeg_decoder::Decoder::new(ByteReader(reader));
    dec.set_max_decoding_buffer_size(MAX_ALLOC as usize);
    let info = jpeg_info(&mut dec)?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    let (tw, th) = stored_target(w, h);
    let (want_w, want_h) = dct_scaled_size(w, h, tw, th);
    // jpeg-decoder picks the first scale where EITHER side reaches the request,
    // so request only the long side and leave the other unreachable.
    // Lossless JPEGs have no DCT to scale: decode them at full size.
    let req = |v: usize| u16::try_from(v).unwrap_or(u16::MAX);
    let (mut dw, mut dh) = (info.width, info.height);
    if info.coding_process != jpeg_decoder::CodingProcess::Lossless {
        (dw, dh) = if w >= h { dec.scale(req(want_w), u16::MAX) } else { dec.scale(u16::MAX, req(want_h)) }
            .map_err(jpeg_err)?;
        if usize::from(dw) < tw || usize::from(dh) < th {
            (dw, dh) = dec.scale(u16::MAX, u16::MAX).map_err(jpeg_err)?;
        }
    }
    log::debug!("JPEG {w}x{h} decoded at {dw}x{dh} for {tw}x{th}");
    let raw = dec.decode().map_err(jpeg_err)?;
    let format = dec.info().map(|i| i.pixel_format).unwrap_or(info.pixel_format);
    jpeg_to_rgb(raw, usize::from(dw), usize::from(dh), format)
}

/// `BufReader` with a one-byte `read_exact` that inlines. jpeg-decoder's Huffman decoder pulls
/// the entropy-coded data one byte at a time through `read_exact`; BufReader's own is an
/// out-of-line call ending in a `memcpy` of one byte, a sizeable part of a thumbnail build.
struct ByteReader<R>(BufReader<R>);

impl<R: Read> Read for ByteReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(out)
    }

    #[inline]
    fn read_exact(&mut self, out: &mut [u8]) -> std::io::Result<()> {
        if let ([slot], Some(&byte)) = (&mut *out, self.0.buffer().first()) {
            *slot = byte;
            self.0.consume(1);
            return Ok(());
        }
        self.0.read_exact(out)
    }
}

/// Converts jpeg-decoder output (L8, L16, RGB24, CMYK32) to packed RGB.
fn jpeg_to_rgb(raw: Vec<u8>, w: usize, h: usize, format: jpeg_decoder::PixelFormat) -> Result<Pixels, ThumbError> {
    use jpeg_decoder::PixelFormat as F;
    let n = w * h;
    if raw.len() != n * format.pixel_bytes() {
        return Err(ThumbError::Decode(format!(
            "JPEG decoded to {} bytes, expected {}",
            raw.len(),
            n * format.pixel_bytes()
        )));
    }
    let data = match format {
        F::RGB24 => raw,
        F::L8 => raw.iter().flat_map(|&v| [v, v, v]).collect(),
        F::L16 => l16_to_rgb(&raw),
        F::CMYK32 => raw.chunks_exact(4).flat_map(cmyk_to_rgb).collect(),
    };
    Ok(Pixels { width: w, height: h, channels: 3, data })
}

/// Native-endian 9..16-bit grey samples to 8-bit RGB. The precision is not
/// exposed by the decoder, so the top 8 significant bits of the largest sample
/// are kept (12-bit data maps to the full 8-bit range).
fn l16_to_rgb(raw: &[u8]) -> Vec<u8> {
    let samples = raw.chunks_exact(2).map(|b| u16::from_ne_bytes([b[0], b[1]]));
    let max = samples.clone().max().unwrap_or(0);
    let shift = (16 - max.leading_zeros()).saturating_sub(8);
    samples
        .flat_map(|v| {
            let g = (v >> shift).min(255) as u8;
            [g, g, g]
        })
        .collect()
}

/// jpeg-decoder hands out CMYK as ink amounts (0 = no ink, Adobe inversion undone).
fn cmyk_to_rgb(p: &[u8]) -> [u8; 3] {
    let k = 255 - u32::from(p[3]);
    let ch = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
    [ch(p[0]), ch(p[1]), ch(p[2])]
}

/// PNG/GIF via the `image` crate (first frame), with an allocation limit.
pub(crate) fn decode_with_image(reader: BufReader<File>, kind: Kind) -> Result<(Pixels, ThumbFormat), ThumbError> {
    let fmt = if kind == Kind::Gif { image::ImageFormat::Gif } else { image::ImageFormat::Png };
    let mut r = image::ImageReader::with_format(reader, fmt);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    r.limits(limits);
    let img = r.decode().map_err(image_err)?;
    let png_out = matches!(kind, Kind::Gif | Kind::Png { palette: true }) || img.color().has_alpha();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (channels, data) =
        if img.color().has_alpha() { (4, img.into_rgba8().into_raw()) } else { (3, img.into_rgb8().into_raw()) };
    let format = if png_out { ThumbFormat::Png } else { ThumbFormat::Jpeg };
    Ok((Pixels { width: w, height: h, channels, data }, format))
}

fn image_err(e: ImageError) -> ThumbError {
    match e {
        ImageError::Unsupported(u) => ThumbError::Unsupported(u.to_string()),
        ImageError::IoError(e) => io_or_decode(e),
        other => ThumbError::Decode(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dct_scale_is_the_smallest_that_still_covers_the_target() {
        assert_eq!(dct_scaled_size(4000, 3000, 160, 120), (500, 375));
        assert_eq!(dct_scaled_size(6000, 4000, 160, 106), (750, 500));
        assert_eq!(dct_scaled_size(4000, 3000, 800, 600), (1000, 750));
        assert_eq!(dct_scaled_size(1000, 1, 160, 1), (250, 1));
        assert_eq!(dct_scaled_size(64, 48, 64, 48), (64, 48));
    }

    #[test]
    fn cmyk_ink_amounts_convert_to_rgb() {
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 0]), [255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 255]), [0, 0, 0]);
        assert_eq!(cmyk_to_rgb(&[0, 255, 255, 0]), [255, 0, 0]);
    }

    #[test]
    fn twelve_bit_grey_samples_scale_to_the_full_eight_bit_range() {
        let raw: Vec<u8> = [0u16, 2048, 4095].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(l16_to_rgb(&raw), vec![0, 0, 0, 128, 128, 128, 255, 255, 255]);
    }

    #[test]
    fn an_indexed_png_is_recognised_from_its_header() {
        let dir = std::env::temp_dir().join(format!("thumb-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut head = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x40\0\0\0\x30\x08".to_vec();
        for (name, colour_type, palette) in [("p.png", 3u8, true), ("rgb.png", 2, false)] {
            head.truncate(25);
            head.extend([colour_type, 0, 0, 0]);
            let p = dir.join(name);
            std::fs::write(&p, &head).expect("write header");
            let (reader, kind) = open(&p).expect("sniff");
            assert_eq!(kind, Kind::Png { palette });
            assert_eq!(dimensions(reader, kind).expect("dims"), (64, 48));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn formats_we_know_but_do_not_handle_are_named() {
        assert_eq!(unsupported_name(Format::Webp), Some("WebP"));
        assert_eq!(unsupported_name(Format::IsoBmff), Some("ISO-BMFF (HEIF/AVIF/video)"));
        assert_eq!(unsupported_name(Format::Wav), None);
    }
}
