//! Format sniffing and decoding for `thumbnail`: recognises JPEG/PNG/GIF/HEIF by
//! magic bytes and turns the first frame into packed 8-bit RGB or RGBA.
//!
//! HEIF stills go through `heif`, tile by tile. A JPEG's EXIF thumbnail stands in for the photo
//! where it covers the size asked for and shows the whole picture.
//! JPEGs go through `jpeg-decoder` at the smallest DCT scale (1/8, 1/4, 1/2, 1)
//! that still covers the wanted size, reading through a `BufReader`; grey,
//! 16-bit and CMYK JPEGs become RGB. PNG/GIF go through the `image` crate with
//! an allocation limit. Every decode is held to the decode budget (`budget`),
//! checked on the header before decoding starts. Files are read with positioned
//! reads of an already opened file, whose own offset never moves. Nothing here
//! resizes, orients or encodes, and ICC profiles are ignored (CMYK is converted
//! naively).

use super::budget::{self, Header};
use super::heif::Still;
use super::resize::Pixels;
use super::sniff::{Format, HEAD_LEN};
use super::thumbnail::{ThumbError, ThumbFormat};
use image::ImageError;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

const READ_BUFFER: usize = 64 * 1024;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jpeg,
    Png {
        palette: bool,
    },
    Gif,
    /// ISO-BMFF, which is a HEIF still only if its container says so (`heif`).
    Heif,
}

/// An image ready to decode: a buffered reader from its first byte, its format and header.
pub(crate) struct Opened<'a> {
    pub reader: BufReader<At<'a>>,
    pub kind: Kind,
    pub header: Header,
}

/// Recognises the format of `file` and reads its header; nothing is decoded yet.
pub(crate) fn open(file: &File) -> Result<Opened<'_>, ThumbError> {
    let mut head = [0u8; HEAD_LEN];
    let n = read_head(file, &mut head).map_err(ThumbError::Io)?;
    let kind = sniff(&head[..n])?;
    let header = Header::read(file, kind)?;
    let reader = BufReader::with_capacity(READ_BUFFER, At { file, pos: 0 });
    Ok(Opened { reader, kind, header })
}

/// Fills `buf` from the start of `file` as far as it goes; the number of bytes read.
fn read_head(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], n as u64) {
            Ok(0) => break,
            Ok(read) => n += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A reader over an open file by positioned reads (`pread`): sharing the file with the caller
/// (who may send it to a client next) without moving its offset.
pub(crate) struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(out, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for At<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let base = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::Current(by) => self.pos.checked_add_signed(by),
            SeekFrom::End(by) => self.file.metadata()?.len().checked_add_signed(by),
        };
        self.pos = base.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

/// Recognise the format by magic bytes.
fn sniff(head: &[u8]) -> Result<Kind, ThumbError> {
    match super::sniff::sniff(head, "") {
        Some(Format::Jpeg) => Ok(Kind::Jpeg),
        // IHDR colour type (byte 25) 3 = indexed.
        Some(Format::Png) => Ok(Kind::Png { palette: head.get(25) == Some(&3) }),
        Some(Format::Gif) => Ok(Kind::Gif),
        Some(Format::IsoBmff) => Ok(Kind::Heif),
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

/// The DCT scale in eighths (1, 2, 4 or 8) whose output is the smallest still ≥ the
/// stored-orientation target.
pub(crate) fn dct_scale(w: usize, h: usize, tw: usize, th: usize) -> usize {
    let scaled = |len: usize, k: usize| (len * k).div_ceil(8);
    [1, 2, 4, 8].into_iter().find(|&k| scaled(w, k) >= tw && scaled(h, k) >= th).unwrap_or(8)
}

/// The size of a decode at the scale [`dct_scale`] picks.
fn dct_scaled_size(w: usize, h: usize, tw: usize, th: usize) -> (usize, usize) {
    let k = dct_scale(w, h, tw, th);
    ((w * k).div_ceil(8), (h * k).div_ceil(8))
}

/// Decodes at the cheapest DCT scale that still covers the target, once the budget of the
/// scale the decoder really chose (`header` is the file's frame header) allows it.
pub(crate) fn decode_jpeg(
    reader: BufReader<At<'_>>,
    header: &budget::Jpeg,
    stored_target: impl Fn(usize, usize) -> (usize, usize),
) -> Result<Pixels, ThumbError> {
    let mut dec = jpeg_decoder::Decoder::new(ByteReader(reader));
    dec.set_max_decoding_buffer_size(budget::MAX_DECODE_MEMORY as usize);
    dec.read_info().map_err(jpeg_err)?;
    let info = dec.info().ok_or_else(|| ThumbError::Decode("JPEG without a frame header".into()))?;
    if (u32::from(info.width), u32::from(info.height)) != (header.width, header.height) {
        return Err(ThumbError::Decode("JPEG: the decoder found another frame header than the budget".into()));
    }
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
    let scale = [1, 2, 4, 8].into_iter().find(|&k| (w * k).div_ceil(8) >= usize::from(dw)).unwrap_or(8);
    header.cost_at(scale, (tw, th)).within_budget()?;
    log::debug!("JPEG {w}x{h} decoded at {dw}x{dh} for {tw}x{th}");
    let raw = dec.decode().map_err(jpeg_err)?;
    let format = dec.info().map(|i| i.pixel_format).unwrap_or(info.pixel_format);
    jpeg_to_rgb(raw, usize::from(dw), usize::from(dh), format)
}

/// Widest difference between the aspect ratios of an EXIF thumbnail and its photo for the
/// thumbnail to count as the whole picture (cameras letterbox 3:2 photos in 4:3 thumbnails).
const SAME_ASPECT: f64 = 0.02;

/// The JPEG's EXIF thumbnail, decoded whole, when it covers `target` (stored orientation) and
/// shows the whole picture; `None` sends the caller to the photo itself.
pub(crate) fn decode_exif_thumbnail(file: &File, header: &budget::Jpeg, target: (usize, usize)) -> Option<Pixels> {
    let (at, len) = header.exif_thumbnail?;
    // Inside one APP1 segment, so under 64 KiB.
    let mut bytes = vec![0u8; usize::try_from(len).ok()?];
    file.read_exact_at(&mut bytes, at).ok()?;
    let mut dec = jpeg_decoder::Decoder::new(io::Cursor::new(bytes));
    dec.set_max_decoding_buffer_size(budget::MAX_DECODE_MEMORY as usize);
    dec.read_info().ok()?;
    let info = dec.info()?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    let photo = f64::from(header.width) / f64::from(header.height);
    if w < target.0 || h < target.1 || ((w as f64 / h as f64) / photo - 1.0).abs() > SAME_ASPECT {
        return None;
    }
    let raw = dec.decode().ok()?;
    jpeg_to_rgb(raw, w, h, info.pixel_format).ok()
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

/// A HEIF still, decoded as `heif` plans it for the stored-orientation target.
pub(crate) fn decode_heif(
    file: &File,
    still: &Still,
    stored_target: impl Fn(usize, usize) -> (usize, usize),
) -> Result<Pixels, ThumbError> {
    let (w, h) = still.dimensions();
    let plan = still.plan(stored_target(w as usize, h as usize));
    still.decode(&plan, &mut super::heif::file_reader(file))
}

/// PNG/GIF via the `image` crate (first frame). The caller checked the budget on the header;
/// the crate's allocation limit is the same budget, in case a file decodes other than declared.
pub(crate) fn decode_with_image(reader: BufReader<At<'_>>, kind: Kind) -> Result<(Pixels, ThumbFormat), ThumbError> {
    let fmt = if kind == Kind::Gif { image::ImageFormat::Gif } else { image::ImageFormat::Png };
    let mut r = image::ImageReader::with_format(reader, fmt);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(budget::MAX_DECODE_MEMORY);
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
        let mut head = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x40\0\0\0\x30\x08".to_vec();
        for (colour_type, palette) in [(3u8, true), (2, false)] {
            head.truncate(25);
            head.extend([colour_type, 0, 0, 0, 0, 0, 0, 0]);
            let mut file = tempfile::tempfile().expect("temp file");
            std::io::Write::write_all(&mut file, &head).expect("write header");
            let opened = open(&file).expect("sniff");
            assert_eq!(opened.kind, Kind::Png { palette });
            assert_eq!(opened.header.dimensions(), (64, 48));
        }
    }

    #[test]
    fn reading_through_the_decoder_leaves_the_file_offset_alone() {
        let mut file = tempfile::tempfile().expect("temp file");
        std::io::Write::write_all(&mut file, b"0123456789").expect("write");
        file.seek(SeekFrom::Start(2)).expect("seek");
        let mut at = At { file: &file, pos: 0 };
        let mut all = String::new();
        at.read_to_string(&mut all).expect("read");
        assert_eq!(all, "0123456789");
        assert_eq!(at.seek(SeekFrom::End(-3)).expect("seek"), 7);
        assert_eq!(file.stream_position().expect("offset"), 2, "the caller's offset did not move");
    }

    #[test]
    fn formats_we_know_but_do_not_handle_are_named() {
        assert_eq!(unsupported_name(Format::Webp), Some("WebP"));
        assert_eq!(unsupported_name(Format::Tiff), Some("TIFF/raw"));
        assert_eq!(unsupported_name(Format::Wav), None);
    }
}
