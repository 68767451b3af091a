//! Native media probing for the scanner: given a file, tell its media type (image, GIF, video,
//! audio or other) and, where the headers make it cheap, its display-oriented width and height,
//! its EXIF-style orientation, its duration in seconds, and when and where it was taken —
//! without spawning ffprobe. Detection
//! goes by magic bytes; the file-name extension only breaks ties (e.g. Matroska audio vs video)
//! or enables a wider search (MP3 without an ID3 tag). It deliberately does not decode pixels or
//! audio, verify checksums, follow EXIF sub-IFDs other than the EXIF and GPS ones, read MPEG-TS/PS timing, or walk a file from
//! end to end (GIF frame delays are the one bounded, streaming exception). Every read is bounded
//! and every loop is capped, so hostile or truncated files give `file_type::OTHER` or partial
//! information instead of panics, hangs or large allocations.

use super::sniff::{sniff, Format};
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

pub(super) use audio::starts_with_sync as starts_with_mpeg_audio_sync;
pub(super) use exif::thumbnail as exif_thumbnail;

/// What the scanner stores about a media file; `width`/`height` are display-oriented.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    pub file_type: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub orientation: Option<i64>,
    pub duration: Option<f64>,
    /// When the photo or video was taken, in Unix seconds, as the file itself says.
    pub taken: Option<i64>,
    /// Where it was taken: (latitude, longitude) in degrees, north and east positive.
    pub place: Option<(f64, f64)>,
}

/// Largest single read, whatever a header claims.
const MAX_READ: usize = 1 << 20;
/// Bytes sniffed at the start of the file (see `sniff::HEAD_LEN`).
const HEAD_LEN: usize = super::sniff::HEAD_LEN;
/// Cap on the chunks listed at one level of a RIFF/IFF file.
const MAX_CHUNKS: usize = 4096;

/// Never reads the whole file: only bounded header reads and seeks. I/O errors propagate;
/// unrecognised or corrupt content gives file_type::OTHER with no dimensions (never panics, never
/// loops forever, never allocates based on an untrusted length without a cap).
pub fn probe(path: &Path) -> io::Result<MediaInfo> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let ext = path.extension().and_then(OsStr::to_str).map(str::to_ascii_lowercase).unwrap_or_default();
    let info = examine(&mut Input::new(file, len), &ext, None)?;
    if info.is_none() {
        log::debug!("probe: no media recognised in {}", path.display());
    }
    Ok(finish(info.unwrap_or_else(|| MediaInfo::new(file_type::OTHER))))
}

/// What `probe` says of a file named `*.{ext}` that holds `data`; with `parser`, that parser
/// reads it whatever its magic bytes say. For the fuzz targets (src/fuzzing.rs).
pub(crate) fn probe_in_memory(data: &[u8], ext: &str, parser: Option<Format>) -> io::Result<MediaInfo> {
    let mut inp = Input::new(io::Cursor::new(data), data.len() as u64);
    let info = examine(&mut inp, ext, parser)?;
    Ok(finish(info.unwrap_or_else(|| MediaInfo::new(file_type::OTHER))))
}

/// Sniffs the first bytes (unless `parser` is given), then runs the format's parser.
fn examine<R: Source>(inp: &mut Input<R>, ext: &str, parser: Option<Format>) -> io::Result<Option<MediaInfo>> {
    let head = inp.read_at(0, HEAD_LEN)?;
    match parser.or_else(|| sniff(&head, ext)) {
        Some(format) => parse(format, inp, ext),
        None => Ok(None),
    }
}

/// Protocol §7.4 rule 5: orientations 5–8 turn the picture by a quarter, so the display size
/// is swapped.
fn finish(mut info: MediaInfo) -> MediaInfo {
    if matches!(info.orientation, Some(5..=8)) {
        std::mem::swap(&mut info.width, &mut info.height);
    }
    info
}

fn parse<R: Source>(format: Format, inp: &mut Input<R>, ext: &str) -> io::Result<Option<MediaInfo>> {
    match format {
        Format::Jpeg => image::jpeg(inp),
        Format::Png => image::png(inp),
        Format::Gif => image::gif(inp),
        Format::Webp => image::webp(inp),
        Format::Bmp => image::bmp(inp),
        Format::Tiff => image::tiff(inp),
        Format::IsoBmff => isobmff::probe(inp),
        Format::Wav => audio::wav(inp),
        Format::Aiff => audio::aiff(inp),
        Format::Flac => audio::flac(inp, 0),
        Format::Ogg => audio::ogg(inp),
        Format::MpegAudio => audio::mpeg(inp, ext),
        Format::Avi => video::avi(inp),
        Format::Flv => video::flv(inp),
        Format::Asf => video::asf(inp, ext),
        Format::Matroska => matroska::probe(inp, ext),
        Format::MpegTs | Format::MpegPs => Ok(Some(MediaInfo::new(file_type::VIDEO))),
    }
}

impl MediaInfo {
    pub(crate) fn new(file_type: i64) -> Self {
        MediaInfo { file_type, width: None, height: None, orientation: None, duration: None, taken: None, place: None }
    }

    /// With the orientation, capture time and place of `found`.
    fn with_exif(self, found: exif::Exif) -> Self {
        MediaInfo { orientation: found.orientation, taken: found.taken, place: found.place, ..self }
    }

    /// A result with a size; a zero or absurd dimension leaves both unknown.
    fn sized(file_type: i64, width: u64, height: u64) -> Self {
        let dim = |v: u64| i64::try_from(v).ok().filter(|v| (1..=i64::from(u32::MAX)).contains(v));
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

/// What the probe reads: the opened file, or bytes in memory for the fuzz targets.
trait Source: Read + Seek {}

impl<T: Read + Seek> Source for T {}

/// The opened file (or bytes in memory): positioned, bounded reads through one buffer.
struct Input<R> {
    reader: BufReader<R>,
    /// Where `reader` logically is, so that short forward hops stay inside its buffer.
    pos: u64,
    len: u64,
}

impl<R: Source> Input<R> {
    fn new(source: R, len: u64) -> Self {
        Input { reader: BufReader::new(source), pos: 0, len }
    }

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
fn iff_chunks<R: Source>(inp: &mut Input<R>, mut pos: u64, end: u64, big_endian: bool) -> io::Result<Vec<Chunk>> {
    let mut out = Vec::new();
    while out.len() < MAX_CHUNKS && pos.saturating_add(8) <= end {
        let Some([a, b, c, d, s0, s1, s2, s3]) = inp.array::<8>(pos)? else {
            break;
        };
        let raw = [s0, s1, s2, s3];
        let size = u64::from(if big_endian { u32::from_be_bytes(raw) } else { u32::from_le_bytes(raw) });
        let start = pos + 8;
        out.push(Chunk { id: [a, b, c, d], start, end: start.saturating_add(size).min(end), size });
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
