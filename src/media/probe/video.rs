//! AVI, FLV and ASF (WMV/WMA): type from the streams the headers announce, size and duration
//! where the header carries them.

use super::{be32, bytes, find_chunk, iff_chunks, le32, le64, seconds, Chunk, Input, MediaInfo, Source};
use crate::model::file_type;
use std::io;

/// Largest FLV script tag or ASF header object read.
const MAX_HEADER: usize = 256 << 10;
/// ASF header objects visited.
const MAX_OBJECTS: usize = 1024;

/// AVI: `LIST hdrl` / `avih` gives µs per frame, total frames, width and height; the OpenDML
/// `LIST odml` / `dmlh` total frame count wins for files over 1 GiB.
pub(super) fn avi<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let top = iff_chunks(inp, 12, inp.len(), false)?;
    let Some(hdrl) = find_list(inp, &top, b"hdrl")? else {
        return Ok(Some(MediaInfo::new(file_type::VIDEO)));
    };
    let header = iff_chunks(inp, hdrl.start, hdrl.end, false)?;
    let avih = match find_chunk(&header, b"avih") {
        Some(c) => inp.read_at(c.start, 40)?,
        None => Vec::new(),
    };
    let mut frames = le32(&avih, 16);
    if let Some(odml) = find_list(inp, &header, b"odml")? {
        let dmlh = iff_chunks(inp, odml.start, odml.end, false)?;
        if let Some(c) = find_chunk(&dmlh, b"dmlh") {
            frames = le32(&inp.read_at(c.start, 4)?, 0).or(frames);
        }
    }
    let (w, h) = (le32(&avih, 32).unwrap_or(0), le32(&avih, 36).unwrap_or(0));
    let mut info = MediaInfo::sized(file_type::VIDEO, w.into(), h.into());
    let total_us = le32(&avih, 0).zip(frames).map(|(us, n)| u64::from(us) * u64::from(n));
    info.duration = total_us.and_then(|t| super::ratio(t, 1_000_000));
    Ok(Some(info))
}

/// The contents of the first `LIST` chunk of list type `kind`.
fn find_list<R: Source>(inp: &mut Input<R>, chunks: &[Chunk], kind: &[u8; 4]) -> io::Result<Option<Chunk>> {
    for c in chunks.iter().filter(|c| &c.id == b"LIST") {
        if inp.read_at(c.start, 4)? == kind {
            return Ok(Some(Chunk { start: c.start + 4, ..*c }));
        }
    }
    Ok(None)
}

/// FLV: header flags say audio (4) / video (1); the onMetaData script tag usually carries
/// duration, width and height as AMF numbers.
pub(super) fn flv<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let Some(h) = inp.array::<9>(0)? else {
        return Ok(None);
    };
    let audio_only = h[4] & 0x05 == 0x04;
    let tag_pos = u64::from(be32(&h, 5).unwrap_or(9)) + 4; // after PreviousTagSize0
    let meta = match inp.array::<11>(tag_pos)? {
        Some(tag) if tag[0] & 0x1F == 18 => {
            let size = u32::from_be_bytes([0, tag[1], tag[2], tag[3]]);
            inp.read_at(tag_pos + 11, MAX_HEADER.min(size as usize))?
        }
        _ => Vec::new(),
    };
    let dim = |key: &[u8]| amf_number(&meta, key).filter(|v| *v >= 1.0 && *v < 1e9).map_or(0, |v| v as u64);
    let file_type = if audio_only { file_type::AUDIO } else { file_type::VIDEO };
    let mut info = MediaInfo::sized(file_type, dim(b"width"), dim(b"height"));
    info.duration = amf_number(&meta, b"duration").and_then(seconds);
    Ok(Some(info))
}

/// A numeric property of an AMF0 object or ECMA array: u16 name length, name, 0x00, f64.
fn amf_number(meta: &[u8], key: &[u8]) -> Option<f64> {
    let mut pattern = u16::try_from(key.len()).ok()?.to_be_bytes().to_vec();
    pattern.extend_from_slice(key);
    pattern.push(0);
    let at = meta.windows(pattern.len()).position(|w| w == pattern)?;
    bytes::<8>(meta, at + pattern.len()).map(f64::from_be_bytes)
}

// ASF GUIDs in their on-disk (mixed-endian) byte order.
/// 8CABDCA1-A947-11CF-8EE4-00C00C205365
const ASF_FILE_PROPERTIES: [u8; 16] = *b"\xA1\xDC\xAB\x8C\x47\xA9\xCF\x11\x8E\xE4\x00\xC0\x0C\x20\x53\x65";
/// B7DC0791-A9B7-11CF-8EE6-00C00C205365
const ASF_STREAM_PROPERTIES: [u8; 16] = *b"\x91\x07\xDC\xB7\xB7\xA9\xCF\x11\x8E\xE6\x00\xC0\x0C\x20\x53\x65";
/// BC19EFC0-5B4D-11CF-A8FD-00805F5C442B
const ASF_VIDEO_MEDIA: [u8; 16] = *b"\xC0\xEF\x19\xBC\x4D\x5B\xCF\x11\xA8\xFD\x00\x80\x5F\x5C\x44\x2B";
/// F8699E40-5B4D-11CF-A8FD-00805F5C442B
const ASF_AUDIO_MEDIA: [u8; 16] = *b"\x40\x9E\x69\xF8\x4D\x5B\xCF\x11\xA8\xFD\x00\x80\x5F\x5C\x44\x2B";

/// ASF: the header object's stream properties tell video from audio (the extension decides
/// when they cannot be read); file properties give play duration minus preroll.
pub(super) fn asf<R: Source>(inp: &mut Input<R>, ext: &str) -> io::Result<Option<MediaInfo>> {
    let head = inp.read_at(0, 30)?;
    let size = le64(&head, 16).map_or(0, |s| usize::try_from(s).unwrap_or(MAX_HEADER));
    let buf = inp.read_at(0, size.min(MAX_HEADER))?;
    let (mut video, mut audio, mut duration) = (None, false, None);
    let mut pos = 30;
    for _ in 0..MAX_OBJECTS {
        let (Some(id), Some(len)) = (bytes::<16>(&buf, pos), le64(&buf, pos + 16)) else {
            break;
        };
        let obj = &buf[pos..];
        if id == ASF_FILE_PROPERTIES {
            let play = le64(obj, 64).map_or(0.0, |t| t as f64 / 1e7);
            duration = seconds(play - le64(obj, 80).map_or(0.0, |ms| ms as f64 / 1e3));
        } else if id == ASF_STREAM_PROPERTIES {
            match bytes::<16>(obj, 24) {
                Some(ASF_VIDEO_MEDIA) if video.is_none() => video = le32(obj, 78).zip(le32(obj, 82)),
                Some(ASF_AUDIO_MEDIA) => audio = true,
                _ => {}
            }
        }
        let Some(next) = usize::try_from(len)
            .ok()
            .filter(|&l| l >= 24)
            .and_then(|l| pos.checked_add(l))
            .filter(|&next| next <= buf.len())
        else {
            break;
        };
        pos = next;
    }
    let mut info = match video {
        Some((w, h)) => MediaInfo::sized(file_type::VIDEO, w.into(), h.into()),
        None if audio || ext == "wma" => MediaInfo::new(file_type::AUDIO),
        None => MediaInfo::new(file_type::VIDEO),
    };
    info.duration = duration;
    Ok(Some(info))
}
