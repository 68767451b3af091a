//! Audio files: MP3 (ID3v2, Xing/Info, VBRI or a CBR estimate), ADTS AAC, WAV/RF64, AIFF,
//! FLAC and Ogg (Vorbis, Opus, FLAC; Theora makes it a video).

use super::{be16, be32, bytes, find_chunk, iff_chunks, le16, le32, le64, ratio, Input, MediaInfo, Source};
use crate::model::file_type;
use std::io;

/// How far after the ID3 tag(s) an MPEG audio frame sync is searched for.
const SYNC_WINDOW: usize = 64 << 10;
/// Longest MPEG audio frame (MPEG-2/2.5 layer II, 160 kbit/s at 8 kHz, padded:
/// 144 × 160000 / 8000 + 1).
const MAX_FRAME: usize = 2881;
/// Bytes read to confirm an ADTS stream: the longest frame plus the next header.
const ADTS_CHECK: usize = 8192 + 6;
/// Consecutive ID3v2 tags skipped.
const MAX_ID3_TAGS: usize = 4;
/// Bytes at the end of an Ogg file searched for the last page.
const OGG_TAIL: usize = 64 << 10;

/// An MPEG audio frame header.
#[derive(Debug, Clone, Copy)]
struct Frame {
    mpeg1: bool,
    mono: bool,
    /// Bits per second.
    bitrate: u32,
    sample_rate: u32,
    samples: u32,
    len: usize,
}

/// kbit/s for bitrate indices 1..=14. Rows: MPEG-1 layers I, II, III; MPEG-2/2.5 layer I;
/// MPEG-2/2.5 layers II and III.
const BITRATES: [[u16; 14]; 5] = [
    [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

/// Decodes a 4-byte MPEG audio frame header (free-format and reserved values rejected).
fn frame_header(b: &[u8]) -> Option<Frame> {
    let [b0, b1, b2, b3] = bytes::<4>(b, 0)?;
    let (version, layer) = ((b1 >> 3) & 3, (b1 >> 1) & 3); // version 3 = MPEG-1; layer 1 = III
    let (rate_index, sr_index) = (usize::from(b2 >> 4), usize::from((b2 >> 2) & 3));
    let sync = b0 == 0xFF && b1 & 0xE0 == 0xE0;
    if !sync || version == 1 || layer == 0 || !(1..15).contains(&rate_index) || sr_index == 3 {
        return None;
    }
    let mpeg1 = version == 3;
    let table = match (mpeg1, layer) {
        (true, l) => usize::from(3 - l),
        (false, 3) => 3,
        (false, _) => 4,
    };
    let bitrate = u32::from(BITRATES[table][rate_index - 1]) * 1000;
    let sample_rate = [44100, 48000, 32000][sr_index] >> [2, 0, 1, 0][usize::from(version)];
    let samples = match (layer, mpeg1) {
        (3, _) => 384,
        (1, false) => 576,
        _ => 1152,
    };
    let pad = u32::from((b2 >> 1) & 1);
    let len = match layer {
        3 => (12 * bitrate / sample_rate + pad) * 4,
        _ => samples / 8 * bitrate / sample_rate + pad,
    };
    Some(Frame { mpeg1, mono: b3 >> 6 == 3, bitrate, sample_rate, samples, len: len as usize })
}

/// Whether the file starts like MPEG audio: a frame header or an ADTS header.
pub(in crate::media) fn starts_with_sync(head: &[u8]) -> bool {
    frame_header(head).is_some() || adts_frame_len(head).is_some()
}

/// Length of the ADTS (AAC) frame whose header starts `b`: 12-bit sync, layer 0, a valid
/// sampling-frequency index and a frame length of at least a header.
fn adts_frame_len(b: &[u8]) -> Option<usize> {
    let [b0, b1, b2, b3, b4, b5] = bytes::<6>(b, 0)?;
    let len = (usize::from(b3 & 3) << 11) | (usize::from(b4) << 3) | usize::from(b5 >> 5);
    let valid = b0 == 0xFF && b1 & 0xF6 == 0xF0 && (b2 >> 2) & 0x0F < 13 && len >= 7;
    valid.then_some(len)
}

/// MP3 and friends: skips ID3v2 tags, then FLAC, ADTS or an MPEG audio frame. Without an ID3 tag
/// or an MPEG audio extension, the frame must be at the very start.
pub(super) fn mpeg<R: Source>(inp: &mut Input<R>, ext: &str) -> io::Result<Option<MediaInfo>> {
    let start = skip_id3(inp)?;
    let head = inp.read_at(start, ADTS_CHECK)?;
    if head.starts_with(b"fLaC") {
        return flac(inp, start);
    }
    if let Some(len) = adts_frame_len(&head) {
        let next = head.get(len..).unwrap_or_default();
        let at_eof = start + head.len() as u64 >= inp.len();
        if adts_frame_len(next).is_some() || (next.len() < 6 && at_eof) {
            return Ok(Some(MediaInfo::new(file_type::AUDIO)));
        }
    }
    let loose = start > 0 || matches!(ext, "mp3" | "mp2" | "mpga");
    let window = if loose { SYNC_WINDOW } else { 1 };
    let buf = inp.read_at(start, window + MAX_FRAME + 4)?;
    let at_eof = start + buf.len() as u64 >= inp.len();
    let Some((i, frame)) = first_frame(&buf, window, at_eof) else {
        return Ok(None);
    };
    let mut info = MediaInfo::new(file_type::AUDIO);
    let cbr_bytes = inp.len().saturating_sub(start + i as u64);
    info.duration = vbr_frames(&buf[i..], &frame)
        .and_then(|n| ratio(n * u64::from(frame.samples), frame.sample_rate.into()))
        .or_else(|| ratio(cbr_bytes * 8, frame.bitrate.into()));
    Ok(Some(info))
}

/// The first frame starting in `buf[..window]` that is followed by another frame header, an
/// ID3v1 tag or (when `buf` reaches the end of the file) the end of the data.
fn first_frame(buf: &[u8], window: usize, at_eof: bool) -> Option<(usize, Frame)> {
    (0..window.min(buf.len())).find_map(|i| {
        let frame = frame_header(&buf[i..])?;
        let next = buf.get(i + frame.len..).unwrap_or_default();
        let confirmed = frame_header(next).is_some() || next.starts_with(b"TAG") || (next.len() < 4 && at_eof);
        confirmed.then_some((i, frame))
    })
}

/// Offset after the ID3v2 tags at the start of the file (synchsafe sizes, optional footer).
fn skip_id3<R: Source>(inp: &mut Input<R>) -> io::Result<u64> {
    let mut pos = 0u64;
    for _ in 0..MAX_ID3_TAGS {
        let Some(h) = inp.array::<10>(pos)? else {
            break;
        };
        if &h[..3] != b"ID3" || h[6..10].iter().any(|b| b & 0x80 != 0) {
            break;
        }
        let size = h[6..10].iter().fold(0u64, |acc, &b| acc << 7 | u64::from(b));
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        pos += 10 + size + footer;
    }
    Ok(pos)
}

/// Frame count from a Xing/Info header (after the side information) or a VBRI header.
fn vbr_frames(frame: &[u8], f: &Frame) -> Option<u64> {
    let side = match (f.mpeg1, f.mono) {
        (true, false) => 32,
        (true, true) | (false, false) => 17,
        (false, true) => 9,
    };
    let xing = frame.get(4 + side..)?;
    if (xing.starts_with(b"Xing") || xing.starts_with(b"Info")) && be32(xing, 4)? & 1 == 1 {
        return be32(xing, 8).filter(|&n| n > 0).map(u64::from);
    }
    let vbri = frame.get(36..)?;
    vbri.starts_with(b"VBRI").then(|| be32(vbri, 14)).flatten().filter(|&n| n > 0).map(u64::from)
}

/// FLAC: STREAMINFO (the first metadata block) gives total samples and sample rate.
pub(super) fn flac<R: Source>(inp: &mut Input<R>, start: u64) -> io::Result<Option<MediaInfo>> {
    let mut info = MediaInfo::new(file_type::AUDIO);
    if let Some(b) = inp.array::<38>(start + 4)? {
        info.duration = streaminfo_duration(&b);
    }
    Ok(Some(info))
}

/// Duration from a metadata block header followed by STREAMINFO.
fn streaminfo_duration(b: &[u8]) -> Option<f64> {
    if b.first()? & 0x7F != 0 {
        return None;
    }
    let s = b.get(4..)?;
    let rate = u64::from(be32(s, 10)? >> 12);
    let total = (u64::from(*s.get(13)? & 0x0F) << 32) | u64::from(be32(s, 14)?);
    ratio(total, rate)
}

/// WAV / RF64: duration = data size / byte rate from "fmt " (the ds64 chunk holds 64-bit sizes).
pub(super) fn wav<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let chunks = iff_chunks(inp, 12, inp.len(), false)?;
    let mut info = MediaInfo::new(file_type::AUDIO);
    let (Some(fmt), Some(data)) = (find_chunk(&chunks, b"fmt "), find_chunk(&chunks, b"data")) else {
        return Ok(Some(info));
    };
    let byte_rate = le32(&inp.read_at(fmt.start, 16)?, 8).unwrap_or(0);
    let mut size = data.size;
    if let (true, Some(ds64)) = (size == u64::from(u32::MAX), find_chunk(&chunks, b"ds64")) {
        size = le64(&inp.read_at(ds64.start, 16)?, 8).unwrap_or(size);
    }
    let size = size.min(inp.len().saturating_sub(data.start));
    info.duration = ratio(size, byte_rate.into());
    Ok(Some(info))
}

/// AIFF / AIFF-C: COMM holds the sample frame count and an 80-bit extended sample rate.
pub(super) fn aiff<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let chunks = iff_chunks(inp, 12, inp.len(), true)?;
    let mut info = MediaInfo::new(file_type::AUDIO);
    if let Some(comm) = find_chunk(&chunks, b"COMM") {
        let c = inp.read_at(comm.start, 18)?;
        let (Some(frames), Some(exp), Some(mantissa)) = (be32(&c, 2), be16(&c, 8), super::be64(&c, 10)) else {
            return Ok(Some(info));
        };
        let rate = mantissa as f64 * 2f64.powi(i32::from(exp & 0x7FFF) - 16383 - 63);
        info.duration = super::seconds(f64::from(frames) / rate);
    }
    Ok(Some(info))
}

/// Ogg: the first packet names the codec; the last page's granule position gives the length.
pub(super) fn ogg<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let page = inp.read_at(0, 27 + 255 + 64)?;
    let Some(&segments) = page.get(26) else {
        return Ok(None);
    };
    let packet = page.get(27 + usize::from(segments)..).unwrap_or_default();
    if packet.starts_with(b"\x80theora") || packet.starts_with(b"\x01video") {
        return Ok(Some(MediaInfo::new(file_type::VIDEO)));
    }
    // (samples per second, samples to skip at the start)
    let clock = if packet.starts_with(b"\x01vorbis") {
        le32(packet, 12).map(|r| (u64::from(r), 0))
    } else if packet.starts_with(b"OpusHead") {
        le16(packet, 10).map(|skip| (48000, u64::from(skip)))
    } else if packet.starts_with(b"\x7FFLAC") {
        packet.get(17..).and_then(|s| be32(s, 10)).map(|r| (u64::from(r >> 12), 0))
    } else {
        None
    };
    let mut info = MediaInfo::new(file_type::AUDIO);
    if let (Some((rate, skip)), Some(serial)) = (clock, bytes::<4>(&page, 14)) {
        let granule = last_granule(inp, serial)?;
        info.duration = granule.and_then(|g| ratio(g.saturating_sub(skip), rate));
    }
    Ok(Some(info))
}

/// Granule position of the last page of the logical stream `serial` near the end of the file.
fn last_granule<R: Source>(inp: &mut Input<R>, serial: [u8; 4]) -> io::Result<Option<u64>> {
    let from = inp.len().saturating_sub(OGG_TAIL as u64);
    let tail = inp.read_at(from, OGG_TAIL)?;
    let granule = (0..tail.len().saturating_sub(27)).rev().find_map(|i| {
        let page = &tail[i..];
        let ours = page.starts_with(b"OggS") && bytes::<4>(page, 14) == Some(serial);
        ours.then(|| le64(page, 6)).flatten().filter(|&g| g != u64::MAX)
    });
    Ok(granule)
}
