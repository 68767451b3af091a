//! ISO base media files (MP4, MOV, M4V, M4A, 3GP, HEIF/AVIF): box headers are walked with seeks
//! along fixed paths (moov/trak/mdia, moov/meta, meta/iprp), so `mdat` is never read. A movie's
//! capture time is Apple's `com.apple.quicktime.creationdate` (local time with its offset) when
//! present, else the `mvhd` creation time (UTC; 0, as many cameras write, means unknown).
//! HEIF/AVIF stills are described by `media::heif`, which reads only `ftyp`, `meta` and the
//! EXIF item.

use super::{be32, be64, bytes, Input, MediaInfo, Source};
use crate::media::heif::Container;
use crate::model::file_type;
use std::io;

/// Boxes listed per container level.
const MAX_BOXES: usize = 1024;
/// Largest box payload read into memory (the `keys` of a movie's metadata).
const MAX_PAYLOAD: usize = 1 << 18;
/// Seconds from 1904-01-01 (the QuickTime epoch) to 1970-01-01.
const QUICKTIME_EPOCH: u64 = 2_082_844_800;
/// Creation times outside 1990–2099 (Unix seconds) are not believed.
const BELIEVED: std::ops::Range<i64> = 631_152_000..4_102_444_800;
/// The metadata key of the capture time in Apple's QuickTime files.
const APPLE_CREATION_DATE: &[u8] = b"com.apple.quicktime.creationdate";
/// Brands that make a file a still image rather than a movie.
const IMAGE_BRANDS: &[&[u8; 4]] = &[b"heic", b"heix", b"heim", b"heis", b"mif1", b"mif2", b"heif", b"avif"];

/// A box whose payload is `start..end` (clamped to its parent).
#[derive(Debug, Clone, Copy)]
struct Bx {
    kind: [u8; 4],
    start: u64,
    end: u64,
}

/// The boxes between `pos` and `end`.
fn children<R: Source>(inp: &mut Input<R>, pos: u64, end: u64) -> io::Result<Vec<Bx>> {
    walk(inp, pos, end, None)
}

/// The boxes between `pos` and `end`, up to and including the first of kind `last`. Stops at
/// the first malformed header; a size of 0 means "to the end of the parent", a size of 1 means
/// a 64-bit size follows.
fn walk<R: Source>(inp: &mut Input<R>, mut pos: u64, end: u64, last: Option<&[u8; 4]>) -> io::Result<Vec<Bx>> {
    let mut out = Vec::new();
    while out.len() < MAX_BOXES && pos.saturating_add(8) <= end {
        let h = inp.read_at(pos, 16)?;
        let (Some(size), Some(kind)) = (be32(&h, 0), bytes::<4>(&h, 4)) else {
            break;
        };
        let (header, size) = match size {
            0 => (8, end - pos),
            1 => match be64(&h, 8) {
                Some(large) => (16, large),
                None => break,
            },
            n => (8, u64::from(n)),
        };
        if size < header {
            break;
        }
        let box_end = pos.saturating_add(size).min(end);
        out.push(Bx { kind, start: (pos + header).min(box_end), end: box_end });
        if last == Some(&kind) {
            break;
        }
        pos = pos.saturating_add(size);
    }
    Ok(out)
}

fn find<'a>(boxes: &'a [Bx], kind: &[u8; 4]) -> Option<&'a Bx> {
    boxes.iter().find(|b| &b.kind == kind)
}

/// The first `max` bytes of a box payload.
fn payload<R: Source>(inp: &mut Input<R>, b: &Bx, max: usize) -> io::Result<Vec<u8>> {
    let len = usize::try_from(b.end - b.start).unwrap_or(usize::MAX);
    inp.read_at(b.start, len.min(max))
}

/// Image brands give `file_type::IMAGE` (with the primary item's size), otherwise `moov` decides.
/// The top level is walked only up to `moov`: fragmented files follow it with many fragments.
pub(super) fn probe<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let top = walk(inp, 0, inp.len(), Some(b"moov"))?;
    let brands = match find(&top, b"ftyp") {
        Some(f) => payload(inp, f, 1024)?,
        None => Vec::new(),
    };
    let moov = find(&top, b"moov").copied();
    if is_image(&brands, moov.is_some()) {
        return still(inp).map(Some);
    }
    match moov {
        Some(moov) => movie(inp, moov),
        None => Ok(None),
    }
}

/// A HEIF/AVIF still: the primary item's size, orientation (`irot`/`imir`) and, from its EXIF
/// item, when and where it was taken; an image of unknown size when the container is not
/// readable.
fn still<R: Source>(inp: &mut Input<R>) -> io::Result<MediaInfo> {
    let len = inp.len();
    let mut read = |pos: u64, n: usize| inp.read_at(pos, n);
    let described = match Container::read(&mut read, len)? {
        Some(container) => container.describe(&mut read)?,
        None => None,
    };
    let Some(d) = described else {
        return Ok(MediaInfo::new(file_type::IMAGE));
    };
    let mut info = MediaInfo::sized(file_type::IMAGE, d.width.into(), d.height.into());
    if let Some(tiff) = &d.exif {
        info = info.with_exif(super::exif::from_block(tiff));
    }
    // The orientation is irot's and imir's: HEIF readers ignore the one in EXIF.
    info.orientation = Some(d.orientation.into());
    Ok(info)
}

/// A HEIF/AVIF major brand, or an image brand among the compatible ones when there is no movie.
fn is_image(ftyp: &[u8], has_moov: bool) -> bool {
    let is_image_brand = |b: &[u8]| IMAGE_BRANDS.iter().any(|i| &i[..] == b);
    let major = ftyp.get(..4).is_some_and(is_image_brand);
    let compatible = ftyp.get(8..).unwrap_or_default().chunks_exact(4).any(is_image_brand);
    major || (compatible && !has_moov)
}

#[derive(Debug, Default)]
struct Track {
    handler: [u8; 4],
    width: u64,
    height: u64,
    rotation: u32,
    duration: Option<f64>,
}

/// `moov`: movie header timing, tracks, and the fragment duration of fragmented files.
fn movie<R: Source>(inp: &mut Input<R>, moov: Bx) -> io::Result<Option<MediaInfo>> {
    let (mut timing, mut fragments, mut tracks) = (None, None, Vec::new());
    let (mut created, mut apple_date) = (None, None);
    for b in children(inp, moov.start, moov.end)? {
        match &b.kind {
            b"mvhd" => {
                let header = payload(inp, &b, 128)?;
                timing = media_timing(&header);
                created = creation_time(&header);
            }
            b"meta" if apple_date.is_none() => apple_date = apple_creation_date(inp, b)?,
            b"trak" => tracks.push(track(inp, b)?),
            b"mvex" => fragments = fragment_duration(inp, b)?,
            _ => {}
        }
    }
    // 'pict' is the handler of HEIF/AVIF image sequences, which ffprobe also calls video.
    let is_video = |t: &&Track| matches!(&t.handler, b"vide" | b"pict");
    let video = tracks.iter().filter(is_video).find(|t| t.width > 0 && t.height > 0);
    let has_audio = tracks.iter().any(|t| &t.handler == b"soun");
    let mut info = match video {
        Some(v) => MediaInfo::sized(file_type::VIDEO, v.width, v.height),
        None if has_audio => MediaInfo::new(file_type::AUDIO),
        None => return Ok(None),
    };
    info.orientation = video.and_then(|v| match v.rotation {
        90 => Some(8),
        180 => Some(3),
        270 => Some(6),
        _ => None,
    });
    let movie_duration = timing.and_then(|(scale, duration)| match (duration, fragments) {
        (0, Some(fragmented)) => super::ratio(fragmented, scale),
        _ => super::ratio(duration, scale),
    });
    let track_duration = video.and_then(|v| v.duration).or_else(|| tracks.iter().find_map(|t| t.duration));
    info.duration = movie_duration.or(track_duration);
    info.taken = apple_date.or(created);
    Ok(Some(info))
}

/// The creation time of an `mvhd` payload (versions 0 and 1), in Unix seconds.
fn creation_time(p: &[u8]) -> Option<i64> {
    let since_1904 = match p.first()? {
        1 => be64(p, 4)?,
        _ => be32(p, 4)?.into(),
    };
    let unix = i64::try_from(since_1904.checked_sub(QUICKTIME_EPOCH)?).ok()?;
    BELIEVED.contains(&unix).then_some(unix)
}

/// `com.apple.quicktime.creationdate` from a QuickTime `meta` (children `keys` and `ilst`; in
/// MP4 files `meta` is a full box, with 4 bytes of version and flags first).
fn apple_creation_date<R: Source>(inp: &mut Input<R>, meta: Bx) -> io::Result<Option<i64>> {
    let head = inp.read_at(meta.start, 12)?;
    let start = if head.get(4..8) == Some(&b"hdlr"[..]) { meta.start } else { meta.start.saturating_add(4) };
    let kids = children(inp, start.min(meta.end), meta.end)?;
    let (Some(keys), Some(ilst)) = (find(&kids, b"keys").copied(), find(&kids, b"ilst").copied()) else {
        return Ok(None);
    };
    let Some(index) = key_index(&payload(inp, &keys, MAX_PAYLOAD)?, APPLE_CREATION_DATE) else {
        return Ok(None);
    };
    for item in children(inp, ilst.start, ilst.end)? {
        if u32::from_be_bytes(item.kind) != index {
            continue;
        }
        for data in children(inp, item.start, item.end)?.iter().filter(|d| &d.kind == b"data") {
            let p = payload(inp, data, 64)?;
            if be32(&p, 0) == Some(1) {
                return Ok(std::str::from_utf8(p.get(8..).unwrap_or_default()).ok().and_then(iso_8601));
            }
        }
    }
    Ok(None)
}

/// The 1-based index of `key` in a `keys` payload (version and flags, count, then entries of
/// size, namespace and name).
fn key_index(p: &[u8], key: &[u8]) -> Option<u32> {
    let count = be32(p, 4)?;
    let mut pos = 8usize;
    for index in 1..=count.min(1024) {
        let size = usize::try_from(be32(p, pos)?).ok()?;
        if size < 8 {
            return None;
        }
        if p.get(pos.checked_add(8)?..pos.checked_add(size)?) == Some(key) {
            return Some(index);
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z`, `±HHMM` or `±HH:MM` (without a zone: the server's).
fn iso_8601(text: &str) -> Option<i64> {
    let (reading, zone) = (text.get(..19)?, text.get(19..).unwrap_or("").trim_end_matches('\0'));
    let reading = super::exif::wall_clock(reading)?;
    let unix = match zone {
        "" => reading.local(),
        "Z" => reading.at_offset(0),
        offset => reading.at_offset(super::exif::offset_minutes(offset)?),
    };
    BELIEVED.contains(&unix).then_some(unix)
}

/// (timescale, duration) of an `mvhd` or `mdhd` payload, versions 0 and 1; an all-ones
/// duration means unknown.
fn media_timing(p: &[u8]) -> Option<(u64, u64)> {
    let (scale, duration) = match p.first()? {
        1 => (be32(p, 20)?, be64(p, 24).filter(|&d| d != u64::MAX)?),
        _ => (be32(p, 12)?, be32(p, 16).filter(|&d| d != u32::MAX)?.into()),
    };
    Some((scale.into(), duration))
}

/// `mvex/mehd` fragment duration (in the movie timescale) of a fragmented file.
fn fragment_duration<R: Source>(inp: &mut Input<R>, mvex: Bx) -> io::Result<Option<u64>> {
    let kids = children(inp, mvex.start, mvex.end)?;
    let Some(mehd) = find(&kids, b"mehd") else {
        return Ok(None);
    };
    let p = payload(inp, mehd, 16)?;
    Ok(match p.first() {
        Some(1) => be64(&p, 4),
        Some(_) => be32(&p, 4).map(u64::from),
        None => None,
    })
}

/// One `trak`: `tkhd` size and rotation, `mdia/hdlr` handler type, `mdia/mdhd` duration.
fn track<R: Source>(inp: &mut Input<R>, trak: Bx) -> io::Result<Track> {
    let mut t = Track::default();
    for b in children(inp, trak.start, trak.end)? {
        match &b.kind {
            b"tkhd" => {
                if let Some((w, h, rotation)) = track_header(&payload(inp, &b, 128)?) {
                    (t.width, t.height, t.rotation) = (w, h, rotation);
                }
            }
            b"mdia" => {
                for m in children(inp, b.start, b.end)? {
                    let p = payload(inp, &m, 64)?;
                    match &m.kind {
                        b"hdlr" => t.handler = bytes(&p, 8).unwrap_or_default(),
                        b"mdhd" => t.duration = media_timing(&p).and_then(|(s, d)| super::ratio(d, s)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(t)
}

/// `tkhd` (v0/v1): presentation width and height (16.16 fixed, rounded) and the rotation in
/// degrees read from the matrix (a, b, c, d) by the signs of its terms.
fn track_header(p: &[u8]) -> Option<(u64, u64, u32)> {
    let (matrix, size) = if p.first()? == &1 { (52, 88) } else { (40, 76) };
    let term = |i: usize| bytes::<4>(p, matrix + 4 * i).map(i32::from_be_bytes);
    let (a, b, c, d) = (term(0)?, term(1)?, term(3)?, term(4)?);
    let rotation = match (a.signum(), b.signum(), c.signum(), d.signum()) {
        (0, 1, -1, 0) => 90,
        (-1, 0, 0, -1) => 180,
        (0, -1, 1, 0) => 270,
        _ => 0,
    };
    let fixed = |off: usize| be32(p, off).map(|v| (u64::from(v) + 0x8000) >> 16);
    Some((fixed(size)?, fixed(size + 4)?, rotation))
}
