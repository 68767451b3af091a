//! Still images (JPEG, PNG, WebP, BMP, TIFF) and GIF: sizes from their headers; orientation,
//! capture time and place from EXIF; GIF duration from the frame delays.

use super::exif::{self, Exif};
use super::{be16, be32, bytes, find_chunk, iff_chunks, le16, le32, Chunk, Input, MediaInfo, Source};
use crate::model::file_type;
use std::io;

/// Segments walked before giving up on finding a JPEG frame header.
const MAX_MARKERS: usize = 1024;
/// PNG chunks walked looking for eXIf before the image data.
const MAX_PNG_CHUNKS: usize = 1024;
/// GIF blocks and sub-blocks visited (≈ 1 GiB of full 255-byte sub-blocks).
const MAX_GIF_STEPS: u32 = 4 << 20;
/// Largest EXIF block read (JPEG segments cannot be larger anyway).
const MAX_EXIF: usize = 1 << 16;

/// JPEG: size from the last SOFn segment before the start of scan, EXIF from the first EXIF
/// APP1 segment; segments are hopped over by their lengths up to the start of scan.
pub(super) fn jpeg<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let mut pos = 2u64;
    let (mut size, mut found) = (None, None);
    for _ in 0..MAX_MARKERS {
        let Some([ff, marker, hi, lo]) = inp.array::<4>(pos)? else {
            break;
        };
        if ff != 0xFF {
            break;
        }
        match marker {
            0xFF => pos += 1, // fill byte
            0x01 | 0xD0..=0xD8 => pos += 2,
            0xD9 | 0xDA => break, // end of image, start of scan
            _ => {
                let len = u64::from(u16::from_be_bytes([hi, lo]));
                if len < 2 {
                    break;
                }
                let body = pos + 4;
                if is_sof(marker) {
                    size = inp.array::<5>(body)?.map(|b| (be16(&b, 3), be16(&b, 1)));
                } else if marker == 0xE1 && found.is_none() {
                    found = app1_exif(inp, body, len - 2)?;
                }
                pos = body + len - 2;
            }
        }
    }
    let Some((Some(w), Some(h))) = size else {
        return Ok(None);
    };
    Ok(Some(MediaInfo::sized(file_type::IMAGE, w.into(), h.into()).with_exif(found.unwrap_or_default())))
}

/// The EXIF of an APP1 segment, if it is an EXIF one ("Exif\0\0" + TIFF block).
fn app1_exif<R: Source>(inp: &mut Input<R>, body: u64, len: u64) -> io::Result<Option<Exif>> {
    let segment = inp.read_at(body, usize::try_from(len).unwrap_or(MAX_EXIF).min(MAX_EXIF))?;
    Ok(segment.strip_prefix(b"Exif\0\0").map(exif::from_block))
}

/// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
fn is_sof(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// PNG (and APNG): size from IHDR, EXIF from an eXIf chunk.
pub(super) fn png<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let Some(ihdr) = inp.array::<16>(8)? else {
        return Ok(None);
    };
    let (b"IHDR", Some(w), Some(h)) = (&ihdr[4..8], be32(&ihdr, 8), be32(&ihdr, 12)) else {
        return Ok(None);
    };
    Ok(Some(MediaInfo::sized(file_type::IMAGE, w.into(), h.into()).with_exif(png_exif(inp)?)))
}

/// The EXIF of an eXIf chunk placed before the image data (where writers put it).
fn png_exif<R: Source>(inp: &mut Input<R>) -> io::Result<Exif> {
    let mut pos = 8u64;
    for _ in 0..MAX_PNG_CHUNKS {
        let Some(h) = inp.array::<8>(pos)? else { break };
        let len = be32(&h, 0).unwrap_or(0);
        match &h[4..8] {
            b"eXIf" => {
                let block = inp.read_at(pos + 8, MAX_EXIF.min(len as usize))?;
                return Ok(exif::from_block(&block));
            }
            b"IDAT" | b"IEND" => break,
            _ => pos += 12 + u64::from(len),
        }
    }
    Ok(Exif::default())
}

/// GIF: always `file_type::GIF`; size from the logical screen descriptor, duration from the delays.
pub(super) fn gif<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let Some(h) = inp.array::<13>(0)? else {
        return Ok(None);
    };
    let (Some(w), Some(ht)) = (le16(&h, 6), le16(&h, 8)) else {
        return Ok(None);
    };
    let delays = frame_delays(inp, 13 + color_table_len(h[10]))?;
    let mut info = MediaInfo::sized(file_type::GIF, w.into(), ht.into());
    info.duration = super::ratio(delays, 100);
    Ok(Some(info))
}

/// Size of the colour table announced by a GIF packed-fields byte.
fn color_table_len(packed: u8) -> u64 {
    if packed & 0x80 == 0 {
        return 0;
    }
    3 << ((packed & 7) + 1)
}

/// Sums the Graphic Control Extension delays (hundredths of a second), block by block until the
/// trailer, the end of the file, anything unexpected or the step cap (then a partial sum).
fn frame_delays<R: Source>(inp: &mut Input<R>, mut pos: u64) -> io::Result<u64> {
    let (mut total, mut steps) = (0u64, 0u32);
    while steps < MAX_GIF_STEPS {
        steps += 1;
        let Some([intro]) = inp.array::<1>(pos)? else {
            break;
        };
        pos = match intro {
            0x21 => {
                let Some([_, label, size, _, lo, hi]) = inp.array::<6>(pos)? else {
                    break;
                };
                if label == 0xF9 && size >= 4 {
                    total += u64::from(u16::from_le_bytes([lo, hi]));
                }
                skip_sub_blocks(inp, pos + 2, &mut steps)?
            }
            0x2C => {
                let Some(d) = inp.array::<10>(pos)? else {
                    break;
                };
                // descriptor, local colour table, LZW code size byte, then the data
                skip_sub_blocks(inp, pos + 10 + color_table_len(d[9]) + 1, &mut steps)?
            }
            _ => break, // 0x3B trailer, or corruption
        };
    }
    Ok(total)
}

/// Position after a chain of data sub-blocks (length byte + data, ended by a zero length).
fn skip_sub_blocks<R: Source>(inp: &mut Input<R>, mut pos: u64, steps: &mut u32) -> io::Result<u64> {
    while *steps < MAX_GIF_STEPS {
        *steps += 1;
        let Some([n]) = inp.array::<1>(pos)? else {
            return Ok(u64::MAX);
        };
        pos += 1 + u64::from(n);
        if n == 0 {
            return Ok(pos);
        }
    }
    Ok(u64::MAX)
}

/// WebP: size from the first chunk (lossy VP8, lossless VP8L or extended VP8X).
pub(super) fn webp<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let chunks = iff_chunks(inp, 12, inp.len(), false)?;
    let Some(first) = chunks.first() else {
        return Ok(None);
    };
    let b = inp.read_at(first.start, 10)?;
    let size = match &first.id {
        b"VP8 " if b.get(3..6) == Some(&[0x9D, 0x01, 0x2A][..]) => {
            let dim = |off| le16(&b, off).map(|v| u64::from(v & 0x3FFF));
            dim(6).zip(dim(8))
        }
        b"VP8L" if b.first() == Some(&0x2F) => {
            le32(&b, 1).map(|bits| (u64::from(bits & 0x3FFF) + 1, u64::from((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => return webp_extended(inp, &b, &chunks),
        _ => None,
    };
    Ok(size.map(|(w, h)| MediaInfo::sized(file_type::IMAGE, w, h)))
}

/// VP8X: flags byte (0x08 = has EXIF), 3 reserved bytes, 24-bit canvas width and height - 1.
fn webp_extended<R: Source>(inp: &mut Input<R>, b: &[u8], chunks: &[Chunk]) -> io::Result<Option<MediaInfo>> {
    let le24 = |off| bytes::<3>(b, off).map(|[x, y, z]| u64::from(u32::from_le_bytes([x, y, z, 0])) + 1);
    let (Some(w), Some(h), Some(&flags)) = (le24(4), le24(7), b.first()) else {
        return Ok(None);
    };
    let mut info = MediaInfo::sized(file_type::IMAGE, w, h);
    if let (true, Some(c)) = (flags & 0x08 != 0, find_chunk(chunks, b"EXIF")) {
        let len = usize::try_from(c.end - c.start).unwrap_or(MAX_EXIF);
        let block = inp.read_at(c.start, MAX_EXIF.min(len))?;
        let tiff = block.strip_prefix(b"Exif\0\0").unwrap_or(&block);
        info = info.with_exif(exif::from_block(tiff));
    }
    Ok(Some(info))
}

/// BMP: size from the DIB header (OS/2 core or Windows info headers; negative height =
/// top-down). Other header sizes mean it is not a BMP after all.
pub(super) fn bmp<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let Some(h) = inp.array::<26>(0)? else {
        return Ok(None);
    };
    let (w, ht) = match le32(&h, 14) {
        Some(12) => (le16(&h, 18).map(u32::from), le16(&h, 20).map(u32::from)),
        Some(40 | 52 | 56 | 64 | 108 | 124) => {
            let abs = |off| bytes(&h, off).map(|b| i32::from_le_bytes(b).unsigned_abs());
            (abs(18), abs(22))
        }
        _ => return Ok(None),
    };
    let (Some(w), Some(ht)) = (w, ht) else {
        return Ok(None);
    };
    Ok(Some(MediaInfo::sized(file_type::IMAGE, w.into(), ht.into())))
}

/// TIFF (including TIFF-based raw formats): size and orientation from IFD0, capture time and
/// place from its sub-IFDs.
pub(super) fn tiff<R: Source>(inp: &mut Input<R>) -> io::Result<Option<MediaInfo>> {
    let found = exif::from_file(inp)?;
    let (Some(w), Some(h)) = (found.width, found.height) else {
        return Ok(None);
    };
    Ok(Some(MediaInfo::sized(file_type::IMAGE, w, h).with_exif(found)))
}
