//! The entry points of the fuzz targets in `tests/fuzz/` (`make fuzz`): each takes the fuzzer's
//! bytes, hands them to one parser the way the server or the scanner would, and asserts what
//! that parser promises beyond not panicking: the multipart reader gives the same parts however
//! the body is cut into reads, a Range window lies inside the file, a typed parameter is valid
//! when present, a probe's sizes, orientation and duration are in range. A failed assertion is a
//! crash to the fuzzer. This is not an API: the binary never calls it, and it adds no parser of
//! its own.

use crate::http::multipart::{boundary_from_content_type, classify, is_multipart_form_data, MultipartReader};
use crate::http::params::{json_object, parse_urlencoded, Params};
use crate::http::range::{window, Window};
use crate::media::probe::{probe_in_memory, MediaInfo};
use crate::media::sniff::Format;
use crate::model::{file_type, status};
use std::io::{self, Read};

/// Parameter names looked up per input, besides the ones it contains.
const MAX_NAMES: usize = 16;

/// How a multipart body ended, comparable between runs.
#[derive(Debug, PartialEq)]
enum End {
    Done,
    Truncated,
    Malformed(&'static str),
}

type Part = (Option<String>, Option<String>, Option<String>, Vec<u8>);

/// `data` is a Content-Type value, a `\n`, then a body. Where the value names a boundary, the
/// body is read three ways: `read_data` over reads of 1 to 17 bytes, `part_reader` over one
/// read of everything, and headers only (every part's data skipped). The three must agree.
pub fn multipart(data: &[u8]) {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else { return };
    let (content_type, body) = (String::from_utf8_lossy(&data[..newline]), &data[newline + 1..]);
    let Some(boundary) = boundary_from_content_type(&content_type) else { return };
    assert!(is_multipart_form_data(&content_type));
    assert!((1..=70).contains(&boundary.len()), "{boundary:?}");
    let small = read_parts(MultipartReader::new(Trickle::new(body), &boundary), false);
    let whole = read_parts(MultipartReader::new(body, &boundary), true);
    assert_eq!(small, whole, "cutting the body into reads changed what was read");
    let skipped = skip_parts(MultipartReader::new(Trickle::new(body), &boundary));
    let names = |parts: &[Part]| parts.iter().map(|(n, f, t, _)| (n.clone(), f.clone(), t.clone())).collect::<Vec<_>>();
    assert_eq!(names(&small.0), names(&skipped.0), "skipping part data changed the headers");
    assert_eq!(small.1, skipped.1);
    let delivered: usize = small.0.iter().map(|p| p.3.len()).sum();
    assert!(delivered <= body.len());
}

fn read_parts<R: Read>(mut reader: MultipartReader<R>, through_io: bool) -> (Vec<Part>, End) {
    let mut parts = Vec::new();
    let end = loop {
        let headers = match reader.next_part() {
            Ok(Some(headers)) => headers,
            Ok(None) => break End::Done,
            Err(e) => break end_of(&e),
        };
        let mut data = Vec::new();
        let result = if through_io {
            reader.part_reader().read_to_end(&mut data).map(|_| ()).map_err(|e| {
                let error = classify(&e).expect("a parser error, since reading memory cannot fail");
                end_of(error)
            })
        } else {
            read_small(&mut reader, &mut data)
        };
        parts.push((headers.name, headers.filename, headers.content_type, data));
        if let Err(end) = result {
            break end;
        }
    };
    assert_sticky(&mut reader, &end);
    (parts, end)
}

/// Part data through a 7-byte buffer.
fn read_small<R: Read>(reader: &mut MultipartReader<R>, data: &mut Vec<u8>) -> Result<(), End> {
    let mut chunk = [0u8; 7];
    loop {
        match reader.read_data(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => data.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(end_of(&e)),
        }
    }
}

fn skip_parts<R: Read>(mut reader: MultipartReader<R>) -> (Vec<Part>, End) {
    let mut parts = Vec::new();
    let end = loop {
        match reader.next_part() {
            Ok(Some(h)) => parts.push((h.name, h.filename, h.content_type, Vec::new())),
            Ok(None) => break End::Done,
            Err(e) => break end_of(&e),
        }
    };
    assert_sticky(&mut reader, &end);
    (parts, end)
}

/// Once the body has ended or failed, it stays so.
fn assert_sticky<R: Read>(reader: &mut MultipartReader<R>, end: &End) {
    let again = match reader.next_part() {
        Ok(None) => End::Done,
        Ok(Some(_)) => panic!("a part after the end"),
        Err(e) => end_of(&e),
    };
    assert_eq!(&again, end, "the end of the body is not sticky");
    let mut buf = [0u8; 4];
    let data = reader.read_data(&mut buf).map_err(|e| end_of(&e));
    assert!(matches!(data, Ok(0) | Err(_)), "data after the end");
}

fn end_of(error: &crate::http::multipart::MultipartError) -> End {
    use crate::http::multipart::MultipartError;
    match error {
        MultipartError::Io(e) => panic!("reading memory failed: {e}"),
        MultipartError::Truncated => End::Truncated,
        MultipartError::Malformed(why) => End::Malformed(why),
    }
}

/// A body that arrives in reads of 1 to 17 bytes, as from a slow connection.
struct Trickle<'a> {
    rest: &'a [u8],
    state: u64,
}

impl<'a> Trickle<'a> {
    fn new(body: &'a [u8]) -> Self {
        Trickle { rest: body, state: body.len() as u64 }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.state = self.state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let n = (1 + (self.state >> 33) as usize % 17).min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

/// `data` is a file size (8 bytes, little-endian; missing bytes are zeros) then a Range
/// header value. A part lies inside the file.
pub fn range(data: &[u8]) {
    let mut size = [0u8; 8];
    let n = data.len().min(8);
    size[..n].copy_from_slice(&data[..n]);
    let size = u64::from_le_bytes(size);
    let header = String::from_utf8_lossy(&data[n..]);
    assert_eq!(window(None, size), Window::Whole);
    match window(Some(&header), size) {
        Window::Part { first, last } => assert!(first <= last && last < size, "{header:?} {size}: {first}-{last}"),
        Window::Whole | Window::Unsatisfiable => {}
    }
}

/// `data` is a mode byte (even: a query string or form body, odd: a JSON body) then the text.
/// Every typed getter runs on every name the text holds (and one it does not).
pub fn params(data: &[u8]) {
    let Some((&mode, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let (params, mut names) = if mode & 1 == 0 {
        let pairs = parse_urlencoded(&text);
        let names: Vec<String> = pairs.iter().take(MAX_NAMES).map(|(k, _)| k.clone()).collect();
        (Params::Pairs(pairs), names)
    } else {
        let object = json_object(&text);
        let names = object.iter().flat_map(|o| o.keys()).take(MAX_NAMES).cloned().collect();
        (Params::Json(object), names)
    };
    names.push("absent".to_string());
    for name in &names {
        let _ = (params.int(name), params.int_list(name), params.string(name));
        if let Some(t) = params.timestamp(name) {
            assert!((-62_135_596_800..=253_402_300_799).contains(&t), "{name}: {t}");
        }
        if let Some(f) = params.float(name) {
            assert!(f.is_finite(), "{name}: {f}");
        }
        if let Some(s) = params.string_of_length(name, 1, 8) {
            assert!((1..=8).contains(&s.chars().count()), "{name}: {s:?}");
        }
        if let Some(t) = params.file_type(name) {
            assert!(file_type::ALL.contains(&t), "{name}: {t}");
        }
        if let Some(s) = params.thumb_status(name) {
            assert!(s == status::LOCAL || s == status::UPLOADING, "{name}: {s}");
        }
    }
}

/// A HEIF still decoded for a grid thumbnail (160×120) as a build would, tile by tile: the
/// pixels, when there are some, cover that size and are no larger than the picture's tiles
/// shrunk allow.
pub fn heif(data: &[u8]) {
    if let Ok((w, h)) = crate::media::heif::decode_in_memory(data, (160, 120)) {
        assert!(w > 0 && h > 0, "{w}×{h}");
        assert!(w * h <= 1 << 28, "{w}×{h}");
    }
}

/// The probes, grouped as the fuzz targets are: one target per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// JPEG with its EXIF APP1, and TIFF (a bare EXIF IFD0).
    JpegExif,
    Png,
    Gif,
    Webp,
    Bmp,
    /// MP4, MOV, 3GP, HEIF/AVIF.
    IsoBmff,
    /// Matroska and WebM, named as video and as audio.
    Matroska,
    /// WAV, AIFF, FLAC, Ogg, MP3/ADTS (with an MPEG audio extension and without).
    Audio,
    /// AVI, FLV, ASF (as WMV and as WMA).
    Video,
}

impl Probe {
    /// Every probe with the name of its fuzz target.
    pub const ALL: [(Probe, &'static str); 9] = [
        (Probe::JpegExif, "jpeg_exif"),
        (Probe::Png, "png"),
        (Probe::Gif, "gif"),
        (Probe::Webp, "webp"),
        (Probe::Bmp, "bmp"),
        (Probe::IsoBmff, "isobmff"),
        (Probe::Matroska, "matroska"),
        (Probe::Audio, "audio"),
        (Probe::Video, "video"),
    ];

    /// The parsers of the group, each with the file-name extension it is run under.
    fn parsers(self) -> &'static [(Format, &'static str)] {
        match self {
            Probe::JpegExif => &[(Format::Jpeg, "jpg"), (Format::Tiff, "tif")],
            Probe::Png => &[(Format::Png, "png")],
            Probe::Gif => &[(Format::Gif, "gif")],
            Probe::Webp => &[(Format::Webp, "webp")],
            Probe::Bmp => &[(Format::Bmp, "bmp")],
            Probe::IsoBmff => &[(Format::IsoBmff, "mp4")],
            Probe::Matroska => &[(Format::Matroska, "mkv"), (Format::Matroska, "mka")],
            Probe::Audio => &[
                (Format::Wav, "wav"),
                (Format::Aiff, "aiff"),
                (Format::Flac, "flac"),
                (Format::Ogg, "ogg"),
                (Format::MpegAudio, "mp3"),
                (Format::MpegAudio, "aac"),
            ],
            Probe::Video => &[(Format::Avi, "avi"), (Format::Flv, "flv"), (Format::Asf, "wmv"), (Format::Asf, "wma")],
        }
    }
}

/// `data` is a whole file. Each parser of the group reads it whatever its magic bytes say, then
/// the probe reads it as the scanner would (sniffing first), under the group's first extension.
pub fn probe(group: Probe, data: &[u8]) {
    let parsers = group.parsers();
    for &(format, ext) in parsers {
        check(probe_in_memory(data, ext, Some(format)), Some(format), ext);
    }
    check(probe_in_memory(data, parsers[0].1, None), None, parsers[0].1);
}

/// What the scanner would store is within the protocol's ranges (`parser` None: sniffed).
fn check(info: io::Result<MediaInfo>, parser: Option<Format>, ext: &str) -> MediaInfo {
    let info = info.unwrap_or_else(|e| panic!("{parser:?} as .{ext}: reading memory failed: {e}"));
    let dims = [info.width, info.height];
    let valid = file_type::ALL.contains(&info.file_type)
        && info.width.is_some() == info.height.is_some()
        && dims.into_iter().flatten().all(|d| (1..=i64::from(u32::MAX)).contains(&d))
        && info.orientation.is_none_or(|o| (1..=8).contains(&o))
        && info.duration.is_none_or(|d| d.is_finite() && d > 0.0)
        && info.place.is_none_or(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0);
    assert!(valid, "{parser:?} as .{ext}: {info:?}");
    info
}

#[cfg(test)]
mod tests;
