//! Matroska / WebM: EBML elements of the Segment up to the first Cluster — Info (duration) and
//! Tracks (video size, audio presence). Clusters, Cues and SeekHead targets are not read.

use super::{bytes, Input, MediaInfo, Source};
use crate::model::file_type;
use std::io;

/// Elements listed per level.
const MAX_ELEMENTS: usize = 1024;

const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;

/// An element whose data is `start..end` (clamped to its parent).
#[derive(Debug, Clone, Copy)]
struct Element {
    id: u32,
    start: u64,
    end: u64,
}

/// An EBML variable-length integer at `pos`: (value, length). The ID form keeps the length
/// marker bit; the size form drops it and reports "unknown" (all ones) as `u64::MAX`.
fn vint<R: Source>(inp: &mut Input<R>, pos: u64, is_id: bool) -> io::Result<Option<(u64, u64)>> {
    let b = inp.read_at(pos, 8)?;
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    let len = first.leading_zeros() as usize + 1;
    let (Some(rest), true) = (b.get(1..len), len <= if is_id { 4 } else { 8 }) else {
        return Ok(None);
    };
    let marker = u64::from(first) & if is_id { 0xFF } else { 0xFF >> len };
    let value = rest.iter().fold(marker, |v, &x| v << 8 | u64::from(x));
    let all_ones = value == (1u64 << (7 * len)) - 1;
    Ok(Some((if !is_id && all_ones { u64::MAX } else { value }, len as u64)))
}

/// The elements between `pos` and `end`, stopping before the first one with id `stop`.
fn children<R: Source>(inp: &mut Input<R>, mut pos: u64, end: u64, stop: u32) -> io::Result<Vec<Element>> {
    let mut out = Vec::new();
    while out.len() < MAX_ELEMENTS && pos < end {
        let Some((id, id_len)) = vint(inp, pos, true)? else {
            break;
        };
        let Some((size, size_len)) = vint(inp, pos + id_len, false)? else {
            break;
        };
        let id = u32::try_from(id).unwrap_or(0);
        if id == stop {
            break;
        }
        let start = (pos + id_len + size_len).min(end);
        let stop_at = start.saturating_add(size).min(end);
        out.push(Element { id, start, end: stop_at });
        pos = stop_at.max(pos + 1);
    }
    Ok(out)
}

/// Big-endian unsigned integer or float (4 or 8 bytes) data of an element.
fn data<R: Source>(inp: &mut Input<R>, e: &Element) -> io::Result<Vec<u8>> {
    inp.read_at(e.start, usize::try_from(e.end - e.start).unwrap_or(8).min(8))
}

fn uint(b: &[u8]) -> u64 {
    b.iter().fold(0, |v, &x| v << 8 | u64::from(x))
}

fn float(b: &[u8]) -> Option<f64> {
    match b.len() {
        4 => bytes::<4>(b, 0).map(|x| f64::from(f32::from_be_bytes(x))),
        8 => bytes::<8>(b, 0).map(f64::from_be_bytes),
        _ => None,
    }
}

pub(super) fn probe<R: Source>(inp: &mut Input<R>, ext: &str) -> io::Result<Option<MediaInfo>> {
    let top = children(inp, 0, inp.len(), 0)?;
    let (mut duration, mut video, mut audio) = (None, None, false);
    if let Some(segment) = top.iter().find(|e| e.id == SEGMENT) {
        for e in children(inp, segment.start, segment.end, CLUSTER)? {
            match e.id {
                INFO => duration = info_duration(inp, &e)?,
                TRACKS => (video, audio) = tracks(inp, &e)?,
                _ => {}
            }
        }
    }
    let audio_ext = matches!(ext, "mka" | "weba");
    let mut info = match video {
        Some((w, h)) => MediaInfo::sized(file_type::VIDEO, w, h),
        None if audio || audio_ext => MediaInfo::new(file_type::AUDIO),
        None => MediaInfo::new(file_type::VIDEO),
    };
    info.duration = duration;
    Ok(Some(info))
}

/// Segment duration in seconds: Duration (in TimecodeScale units) × TimecodeScale ns.
fn info_duration<R: Source>(inp: &mut Input<R>, info: &Element) -> io::Result<Option<f64>> {
    let (mut scale, mut duration) = (1_000_000u64, None);
    for e in children(inp, info.start, info.end, 0)? {
        match e.id {
            TIMECODE_SCALE => scale = uint(&data(inp, &e)?),
            DURATION => duration = float(&data(inp, &e)?),
            _ => {}
        }
    }
    Ok(duration.and_then(|d| super::seconds(d * scale as f64 / 1e9)))
}

/// The first video track's pixel size (if any) and whether an audio track exists.
fn tracks<R: Source>(inp: &mut Input<R>, tracks: &Element) -> io::Result<(Option<(u64, u64)>, bool)> {
    let (mut video, mut audio) = (None, false);
    for entry in children(inp, tracks.start, tracks.end, 0)?.iter().filter(|e| e.id == TRACK_ENTRY) {
        let (mut kind, mut size) = (0, (0, 0));
        for e in children(inp, entry.start, entry.end, 0)? {
            match e.id {
                TRACK_TYPE => kind = uint(&data(inp, &e)?),
                VIDEO => size = video_size(inp, &e)?,
                _ => {}
            }
        }
        match kind {
            1 if video.is_none() => video = Some(size),
            2 => audio = true,
            _ => {}
        }
    }
    Ok((video, audio))
}

fn video_size<R: Source>(inp: &mut Input<R>, video: &Element) -> io::Result<(u64, u64)> {
    let (mut w, mut h) = (0, 0);
    for e in children(inp, video.start, video.end, 0)? {
        match e.id {
            PIXEL_WIDTH => w = uint(&data(inp, &e)?),
            PIXEL_HEIGHT => h = uint(&data(inp, &e)?),
            _ => {}
        }
    }
    Ok((w, h))
}
