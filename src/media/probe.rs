//! Native media probing for the scanner: given a file, tell its media type (image, GIF, video,
//! audio or other) and, where the headers make it cheap, its display-oriented width and height,
//! its EXIF-style orientation and its duration in seconds — without spawning ffprobe. Detection
//! goes by magic bytes; the file-name extension only breaks ties (e.g. Matroska audio vs video)
//! or enables a wider search (MP3 without an ID3 tag). It deliberately does not decode pixels or
//! audio, verify checksums, follow EXIF sub-IFDs, read MPEG-TS/PS timing, or walk a file from
//! end to end (GIF frame delays are the one bounded, streaming exception). Every read is bounded
//! and every loop is capped, so hostile or truncated files give `file_type::OTHER` or partial
//! information instead of panics, hangs or large allocations.

use crate::model::file_type;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

mod audio;
mod exif;
mod image;
mod isobmff;
mod matroska;
mod video;

#[cfg(test)]
mod tests;

/// What the scanner stores about a media file; `width`/`height` are display-oriented.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub file_type: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub orientation: Option<i64>,
    pub duration: Option<f64>,
}

/// Largest single read, whatever a header claims.
const MAX_READ: usize = 1 << 20;
/// Bytes sniffed at the start of the file (MPEG-TS needs three packets).
const HEAD_LEN: usize = 512;
/// Cap on the chunks listed at one level of a RIFF/IFF file.
const MAX_CHUNKS: usize = 4096;

/// Never reads the whole file: only bounded header reads and seeks. I/O errors propagate;
/// unrecognised or corrupt content gives file_type::OTHER with no dimensions (never panics, never
/// loops forever, never allocates based on an untrusted length without a cap).
pub fn probe(path: &Path) -> io::Result<MediaInfo> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut inp = Input {
        reader: BufReader::new(file),
        pos: 0,
        len,
    };
    let ext = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let head = inp.read_at(0, HEAD_LEN)?;
    let info = match sniff(&head, &ext) {
        Some(kind) => parse(kind, &mut inp, &ext)?,
        None => None,
    };
    if info.is_none() {
        log::debug!("probe: no media recognised in {}", path.display());
    }
    Ok(finish(info.unwrap_or_else(|| MediaInfo::new(file_type::OTHER))))
}

/// Rule 10: orientations 5–8 turn the picture by a quarter, so the display size is swapped.
fn finish(mut info: MediaInfo) -> MediaInfo {
    if matches!(info.orientation, Some(5..=8)) {
        std::mem::swap(&mut info.width, &mut info.height);
    }
    info
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Bmp,
    Tiff,
    IsoBmff,
    Wav,
    Avi,
    Aiff,
    Flac,
    Ogg,
    MpegAudio,
    Matroska,
    Flv,
    Asf,
    MpegTs,
    MpegPs,
}

/// The ASF header object, 75B22630-668E-11CF-A6D9-00AA0062CE6C, in on-disk byte order.
const ASF_GUID: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];

/// Magic bytes at an offset, in priority order ("BM" is weak, so it comes last).
const MAGIC: &[(usize, &[u8], Kind)] = &[
    (0, &[0xFF, 0xD8, 0xFF], Kind::Jpeg),
    (0, b"\x89PNG\r\n\x1a\n", Kind::Png),
    (0, b"GIF87a", Kind::Gif),
    (0, b"GIF89a", Kind::Gif),
    (0, b"II*\0", Kind::Tiff),
    (0, b"MM\0*", Kind::Tiff),
    (4, b"ftyp", Kind::IsoBmff),
    (4, b"moov", Kind::IsoBmff),
    (4, b"mdat", Kind::IsoBmff),
    (4, b"wide", Kind::IsoBmff),
    (4, b"free", Kind::IsoBmff),
    (4, b"skip", Kind::IsoBmff),
    (4, b"pnot", Kind::IsoBmff),
    (0, b"fLaC", Kind::Flac),
    (0, b"OggS", Kind::Ogg),
    (0, b"ID3", Kind::MpegAudio),
    (0, &[0x1A, 0x45, 0xDF, 0xA3], Kind::Matroska),
    (0, b"FLV\x01", Kind::Flv),
    (0, &ASF_GUID, Kind::Asf),
    (0, &[0x00, 0x00, 0x01, 0xBA], Kind::MpegPs),
    (0, b"BM", Kind::Bmp),
];

/// Picks a parser from the first bytes; the extension only matters for bare MPEG audio.
fn sniff(head: &[u8], ext: &str) -> Option<Kind> {
    let at = |off: usize, magic: &[u8]| head.get(off..).is_some_and(|s| s.starts_with(magic));
    if at(0, b"RIFF") || at(0, b"RF64") {
        return match head.get(8..12) {
            Some(b"WEBP") => Some(Kind::Webp),
            Some(b"WAVE") => Some(Kind::Wav),
            Some(b"AVI ") => Some(Kind::Avi),
            _ => None,
        };
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Some(Kind::Aiff);
    }
    if let Some(&(_, _, kind)) = MAGIC.iter().find(|(off, magic, _)| at(*off, magic)) {
        return Some(kind);
    }
    if is_transport_stream(head) {
        return Some(Kind::MpegTs);
    }
    let mpeg_ext = matches!(ext, "mp3" | "mp2" | "mpga" | "aac");
    (mpeg_ext || audio::starts_with_sync(head)).then_some(Kind::MpegAudio)
}

/// 0x47 sync bytes every 188 bytes (TS) or every 192 bytes after a 4-byte prefix (M2TS).
fn is_transport_stream(head: &[u8]) -> bool {
    let synced = |first: usize, step: usize| {
        let at = |i: usize| head.get(first + i * step) == Some(&0x47);
        at(0) && at(1) && (head.len() <= first + 2 * step || at(2))
    };
    synced(0, 188) || synced(4, 192)
}

fn parse(kind: Kind, inp: &mut Input, ext: &str) -> io::Result<Option<MediaInfo>> {
    match kind {
        Kind::Jpeg => image::jpeg(inp),
        Kind::Png => image::png(inp),
        Kind::Gif => image::gif(inp),
        Kind::Webp => image::webp(inp),
        Kind::Bmp => image::bmp(inp),
        Kind::Tiff => image::tiff(inp),
        Kind::IsoBmff => isobmff::probe(inp),
        Kind::Wav => audio::wav(inp),
        Kind::Aiff => audio::aiff(inp),
        Kind::Flac => audio::flac(inp, 0),
        Kind::Ogg => audio::ogg(inp),
        Kind::MpegAudio => audio::mpeg(inp, ext),
        Kind::Avi => video::avi(inp),
        Kind::Flv => video::flv(inp),
        Kind::Asf => video::asf(inp, ext),
        Kind::Matroska => matroska::probe(inp, ext),
        Kind::MpegTs | Kind::MpegPs => Ok(Some(MediaInfo::new(file_type::VIDEO))),
    }
}

impl MediaInfo {
    fn new(file_type: i64) -> Self {
        MediaInfo {
            file_type,
            width: None,
            height: None,
            orientation: None,
            duration: None,
        }
    }

    /// A result with a size; a zero or absurd dimension leaves both unknown.
    fn sized(file_type: i64, width: u64, height: u64) -> Self {
        let dim = |v: u64| {
            i64::try_from(v)
                .ok()
                .filter(|v| (1..=i64::from(u32::MAX)).contains(v))
        };
        let mut info = MediaInfo::new(file_type);
        if let (Some(w), Some(h)) = (dim(width), dim(height)) {
            info.width = Some(w);
            info.height = Some(h);
        }
        info
    }
}

/// A duration in seconds, if it is a positive finite number.
fn seconds(value: f64) -> Option<f64> {
    (value.is_finite() && value > 0.0).then_some(value)
}

/// `count / rate` seconds, if both are known and the result is positive.
fn ratio(count: u64, rate: u64) -> Option<f64> {
    if rate == 0 {
        return None;
    }
    seconds(count as f64 / rate as f64)
}

/// The opened file: positioned, bounded reads through one buffer.
struct Input {
    reader: BufReader<File>,
    /// Where `reader` logically is, so that short forward hops stay inside its buffer.
    pos: u64,
    len: u64,
}

impl Input {
    fn len(&self) -> u64 {
        self.len
    }

    /// Up to `n` bytes at `pos` (never more than `MAX_READ`; fewer, or none, at end of file).
    fn read_at(&mut self, pos: u64, n: usize) -> io::Result<Vec<u8>> {
        let avail = usize::try_from(self.len.saturating_sub(pos)).unwrap_or(usize::MAX);
        let mut buf = vec![0; n.min(MAX_READ).min(avail)];
        let got = self.fill(pos, &mut buf)?;
        buf.truncate(got);
        Ok(buf)
    }

    /// Exactly `N` bytes at `pos`, or `None` if the file ends first.
    fn array<const N: usize>(&mut self, pos: u64) -> io::Result<Option<[u8; N]>> {
        let mut buf = [0; N];
        Ok((self.fill(pos, &mut buf)? == N).then_some(buf))
    }

    fn fill(&mut self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        if pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        self.seek_to(pos)?;
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pos = pos + got as u64;
        Ok(got)
    }

    fn seek_to(&mut self, pos: u64) -> io::Result<()> {
        if pos == self.pos {
            return Ok(());
        }
        match i64::try_from(i128::from(pos) - i128::from(self.pos)) {
            Ok(delta) => self.reader.seek_relative(delta)?,
            Err(_) => {
                self.reader.seek(SeekFrom::Start(pos))?;
            }
        }
        self.pos = pos;
        Ok(())
    }
}

/// A RIFF (little-endian sizes) or IFF/AIFF (big-endian) chunk: payload `start..end`, clamped
/// to the parent; `size` is the declared payload size.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    id: [u8; 4],
    start: u64,
    end: u64,
    size: u64,
}

/// The chunks between `pos` and `end` (payloads padded to even sizes), at most `MAX_CHUNKS`.
fn iff_chunks(inp: &mut Input, mut pos: u64, end: u64, big_endian: bool) -> io::Result<Vec<Chunk>> {
    let mut out = Vec::new();
    while out.len() < MAX_CHUNKS && pos.saturating_add(8) <= end {
        let Some([a, b, c, d, s0, s1, s2, s3]) = inp.array::<8>(pos)? else {
            break;
        };
        let raw = [s0, s1, s2, s3];
        let size = u64::from(if big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        });
        let start = pos + 8;
        out.push(Chunk {
            id: [a, b, c, d],
            start,
            end: start.saturating_add(size).min(end),
            size,
        });
        pos = start.saturating_add(size).saturating_add(size & 1);
    }
    Ok(out)
}

fn find_chunk<'a>(chunks: &'a [Chunk], id: &[u8; 4]) -> Option<&'a Chunk> {
    chunks.iter().find(|c| &c.id == id)
}

/// `N` bytes at `off` of `b`, if they are all there.
fn bytes<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    bytes(b, off).map(u16::from_be_bytes)
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    bytes(b, off).map(u32::from_be_bytes)
}

fn be64(b: &[u8], off: usize) -> Option<u64> {
    bytes(b, off).map(u64::from_be_bytes)
}

fn le16(b: &[u8], off: usize) -> Option<u16> {
    bytes(b, off).map(u16::from_le_bytes)
}

fn le32(b: &[u8], off: usize) -> Option<u32> {
    bytes(b, off).map(u32::from_le_bytes)
}

fn le64(b: &[u8], off: usize) -> Option<u64> {
    bytes(b, off).map(u64::from_le_bytes)
}
