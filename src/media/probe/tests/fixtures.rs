//! Test helpers: a scratch directory, and builders for minimal files of every parsed format.

use super::super::*;
use crate::model::file_type;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A unique scratch directory, removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new() -> TempDir {
        let n = NEXT_DIR.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("isync-probe-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub(super) fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn probe_bytes(name: &str, bytes: &[u8]) -> MediaInfo {
    let dir = TempDir::new();
    probe(&dir.write(name, bytes)).expect("probe")
}

pub(super) fn other() -> MediaInfo {
    MediaInfo::new(file_type::OTHER)
}

pub(super) fn assert_duration(info: &MediaInfo, expected: f64) {
    let got = info.duration.unwrap_or_else(|| panic!("no duration in {info:?}"));
    assert!((got - expected).abs() < 1e-6, "duration {got} != {expected}");
}

/// A TIFF block with IFD0 at offset 8 holding inline (tag, type, value) entries.
pub(super) fn tiff_block(big_endian: bool, entries: &[(u16, u16, u32)]) -> Vec<u8> {
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut b = if big_endian { b"MM\0*".to_vec() } else { b"II*\0".to_vec() };
    b.extend(u32b(8));
    b.extend(u16b(entries.len() as u16));
    for &(tag, kind, value) in entries {
        b.extend(u16b(tag));
        b.extend(u16b(kind));
        b.extend(u32b(1));
        match kind {
            3 => b.extend([u16b(value as u16).as_slice(), &[0, 0]].concat()),
            _ => b.extend(u32b(value)),
        }
    }
    b.extend([0; 4]); // no next IFD
    b
}

pub(super) fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend((body.len() as u16 + 2).to_be_bytes());
    s.extend(body);
    s
}

pub(super) fn jpeg(exif: Option<Vec<u8>>, width: u16, height: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    b.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    if let Some(tiff) = exif {
        b.extend(segment(0xE1, &[b"Exif\0\0".as_slice(), &tiff].concat()));
    }
    b.extend(segment(0xDB, &[0; 65]));
    let mut sof = vec![8];
    sof.extend(height.to_be_bytes());
    sof.extend(width.to_be_bytes());
    sof.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b.extend(segment(0xC0, &sof));
    b.extend(segment(0xDA, &[3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]));
    b.extend([0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]);
    b
}

pub(super) fn orientation_jpeg(big_endian: bool, orientation: u32) -> Vec<u8> {
    jpeg(Some(tiff_block(big_endian, &[(0x010F, 3, 7), (0x0112, 3, orientation)])), 4000, 3000)
}

pub(super) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend(kind);
    c.extend(data);
    c.extend([0; 4]); // CRC is not checked
    c
}

pub(super) fn png(width: u32, height: u32, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [width.to_be_bytes(), height.to_be_bytes(), [8, 6, 0, 0]].concat();
    b.extend(png_chunk(b"IHDR", &[ihdr.as_slice(), &[0]].concat()));
    if let Some(tiff) = exif {
        b.extend(png_chunk(b"eXIf", &tiff));
    }
    b.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0, 0]));
    b.extend(png_chunk(b"IEND", &[]));
    b
}

/// A GIF with a global colour table and one frame per entry (Some(delay) adds a GCE).
pub(super) fn gif(width: u16, height: u16, frames: &[Option<u16>]) -> Vec<u8> {
    let mut b = b"GIF89a".to_vec();
    b.extend(width.to_le_bytes());
    b.extend(height.to_le_bytes());
    b.extend([0x91, 0, 0]); // global colour table of 4 entries
    b.extend([0; 12]);
    b.extend(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00");
    for delay in frames {
        if let Some(d) = delay {
            b.extend([0x21, 0xF9, 4, 0]);
            b.extend(d.to_le_bytes());
            b.extend([0, 0]);
        }
        b.push(0x2C);
        b.extend([0, 0, 0, 0]);
        b.extend(width.to_le_bytes());
        b.extend(height.to_le_bytes());
        b.push(0x80); // local colour table of 2 entries
        b.extend([0; 6]);
        b.extend([2, 3, 0x44, 0x01, 0x05, 2, 0xAA, 0xBB, 0]);
    }
    b.push(0x3B);
    b
}

pub(super) fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = (payload.len() as u32 + 8).to_be_bytes().to_vec();
    b.extend(kind);
    b.extend(payload);
    b
}

pub(super) fn boxes(kind: &[u8; 4], children: &[Vec<u8>]) -> Vec<u8> {
    bx(kind, &children.concat())
}

pub(super) fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut p = major.to_vec();
    p.extend([0, 0, 2, 0]);
    compatible.iter().for_each(|c| p.extend(*c));
    bx(b"ftyp", &p)
}

/// `mvhd` or `mdhd`, version 0 or 1.
pub(super) fn time_box(kind: &[u8; 4], version: u8, timescale: u32, duration: u64) -> Vec<u8> {
    let mut p = vec![version, 0, 0, 0];
    if version == 1 {
        p.extend([0; 16]);
        p.extend(timescale.to_be_bytes());
        p.extend(duration.to_be_bytes());
    } else {
        p.extend([0; 8]);
        p.extend(timescale.to_be_bytes());
        p.extend((duration as u32).to_be_bytes());
    }
    p.extend([0; 80]);
    bx(kind, &p)
}

pub(super) const IDENTITY: [i32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];
pub(super) const ROT90: [i32; 9] = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000];
pub(super) const ROT180: [i32; 9] = [-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x4000_0000];
pub(super) const ROT270: [i32; 9] = [0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x4000_0000];

pub(super) fn tkhd(version: u8, width: u32, height: u32, matrix: [i32; 9]) -> Vec<u8> {
    let mut p = vec![version, 0, 0, 3];
    p.extend(vec![0; if version == 1 { 32 } else { 20 }]); // times, track id, reserved, duration
    p.extend([0; 16]); // reserved, layer, alternate group, volume, reserved
    matrix.iter().for_each(|m| p.extend(m.to_be_bytes()));
    p.extend((width << 16).to_be_bytes());
    p.extend((height << 16).to_be_bytes());
    bx(b"tkhd", &p)
}

pub(super) fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
    bx(b"hdlr", &[[0u8; 8].as_slice(), handler, &[0; 13]].concat())
}

pub(super) fn trak(tkhd: Vec<u8>, handler: &[u8; 4]) -> Vec<u8> {
    boxes(b"trak", &[tkhd, boxes(b"mdia", &[time_box(b"mdhd", 0, 48000, 96000), hdlr(handler)])])
}

pub(super) fn mp4(matrix: [i32; 9]) -> Vec<u8> {
    let moov = boxes(
        b"moov",
        &[
            time_box(b"mvhd", 0, 1000, 2500),
            trak(tkhd(0, 1920, 1080, matrix), b"vide"),
            trak(tkhd(0, 0, 0, IDENTITY), b"soun"),
        ],
    );
    [ftyp(b"isom", &[b"isom", b"mp41"]), moov, bx(b"mdat", &[0xAB; 64])].concat()
}

pub(super) fn id3v2(body_len: u32) -> Vec<u8> {
    let synchsafe = [21, 14, 7, 0].map(|shift| ((body_len >> shift) & 0x7F) as u8);
    [b"ID3\x04\0\0".as_slice(), &synchsafe, &vec![0; body_len as usize]].concat()
}

/// MPEG-1 layer III, 128 kbit/s, 44.1 kHz, stereo: 417-byte frames.
pub(super) fn mp3_frame(payload_prefix: &[u8]) -> Vec<u8> {
    let mut f = vec![0xFF, 0xFB, 0x90, 0x00];
    f.extend(payload_prefix);
    f.resize(417, 0);
    f
}

pub(super) fn riff(form: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let body = chunks.concat();
    [b"RIFF".as_slice(), &(body.len() as u32 + 4).to_le_bytes(), form, &body].concat()
}

pub(super) fn chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = [id.as_slice(), &(data.len() as u32).to_le_bytes(), data].concat();
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

pub(super) fn wav(data_len: usize) -> Vec<u8> {
    let mut fmt = vec![1, 0, 2, 0];
    fmt.extend(44100u32.to_le_bytes());
    fmt.extend(176_400u32.to_le_bytes());
    fmt.extend([4, 0, 16, 0]);
    riff(b"WAVE", &[chunk(b"fmt ", &fmt), chunk(b"LIST", b"INFOjunk"), chunk(b"data", &vec![0; data_len])])
}

pub(super) fn flac(sample_rate: u32, total_samples: u64) -> Vec<u8> {
    let mut s = vec![0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0];
    let packed = (u64::from(sample_rate) << 44) | (1 << 41) | (15 << 36) | total_samples;
    s.extend(packed.to_be_bytes());
    s.extend([0; 16]); // MD5
    [b"fLaC".as_slice(), &[0x80, 0, 0, 34], &s, &[0xFF, 0xF8, 0x69, 0x08]].concat()
}

/// An EBML element with a one-byte size when possible, else an 8-byte size.
pub(super) fn ebml(id: &[u8], data: &[u8]) -> Vec<u8> {
    let size = match data.len() {
        n if n < 127 => vec![0x80 | n as u8],
        n => [[0x01].as_slice(), &(n as u64).to_be_bytes()[1..]].concat(),
    };
    [id, &size, data].concat()
}

pub(super) fn matroska(tracks: &[Vec<u8>]) -> Vec<u8> {
    let header = ebml(&[0x1A, 0x45, 0xDF, 0xA3], &ebml(&[0x42, 0x82], b"webm"));
    let info = ebml(
        &[0x15, 0x49, 0xA9, 0x66],
        &[ebml(&[0x2A, 0xD7, 0xB1], &[0x0F, 0x42, 0x40]), ebml(&[0x44, 0x89], &1234.5f64.to_be_bytes())].concat(),
    );
    let tracks = ebml(&[0x16, 0x54, 0xAE, 0x6B], &tracks.concat());
    let cluster = ebml(&[0x1F, 0x43, 0xB6, 0x75], &[0xE7, 0x81, 0x00]);
    let segment = ebml(&[0x18, 0x53, 0x80, 0x67], &[info, tracks, cluster].concat());
    [header, segment].concat()
}

pub(super) fn mkv_track(kind: u8, size: Option<(u8, u8)>) -> Vec<u8> {
    let mut entry = ebml(&[0x83], &[kind]);
    if let Some((w, h)) = size {
        entry.extend(ebml(&[0xE0], &[ebml(&[0xB0], &[0x02, w]), ebml(&[0xBA], &[0x01, h])].concat()));
    }
    ebml(&[0xAE], &entry)
}

pub(super) fn ogg_page(granule: u64, packet: &[u8]) -> Vec<u8> {
    let mut p = b"OggS\0\x02".to_vec();
    p.extend(granule.to_le_bytes());
    p.extend([7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, packet.len() as u8]);
    p.extend(packet);
    p
}

/// One fixture of every parsed format, for the mutation test.
pub(super) fn all_fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let void = ebml(&[0xEC], &[0; 200]); // forces an 8-byte size
    let ident = [b"\x01vorbis\0\0\0\0\x02".as_slice(), &44_100u32.to_le_bytes(), &[0; 13]].concat();
    let vp8x = chunk(b"VP8X", &[0x08, 0, 0, 0, 0x1F, 0x03, 0, 0xDF, 0x01, 0]);
    let exif = chunk(b"EXIF", &tiff_block(false, &[(0x0112, 3, 6)]));
    // MPEG-2.5 layer III, 8 kbit/s, 8 kHz, mono: 72-byte frames
    let tiny_frame = [[0xFF, 0xE3, 0x18, 0xC4].as_slice(), &[0; 68]].concat();
    vec![
        ("a.jpg", orientation_jpeg(true, 6)),
        ("a.png", png(8, 8, Some(tiff_block(false, &[(0x0112, 3, 6)])))),
        ("a.gif", gif(8, 8, &[Some(5), None])),
        ("a.webp", riff(b"WEBP", &[vp8x, exif])),
        ("a.tif", tiff_block(true, &[(0x0100, 3, 5), (0x0101, 3, 5)])),
        ("a.mp4", mp4(ROT90)),
        ("a.mp3", [id3v2(10), tiny_frame.clone(), tiny_frame].concat()),
        ("a.wav", wav(16)),
        ("a.flac", flac(44_100, 10)),
        ("a.ogg", [ogg_page(0, &ident), ogg_page(10, &[0; 4])].concat()),
        ("a.mkv", [matroska(&[mkv_track(1, Some((1, 1)))]), void].concat()),
        ("a.flv", b"FLV\x01\x05\0\0\0\x09\0\0\0\0\x12\0\0\x10\0\0\0\0\0\0\0\x02\0\x08duration".to_vec()),
        ("a.avi", riff(b"AVI ", &[chunk(b"LIST", &[b"hdrl".as_slice(), &chunk(b"avih", &[1; 40])].concat())])),
    ]
}
