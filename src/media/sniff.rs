//! What a file is, from its first bytes: the one table of magic numbers, used by the scanner's
//! probe (to pick a parser), the thumbnail decoder (to pick a decoder, or to say which format it
//! does not decode) and the thumbnail handler (to name a cached file's content type).

/// Bytes worth reading for `sniff` (MPEG-TS needs three packets).
pub const HEAD_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
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
const ASF_GUID: [u8; 16] =
    [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C];

/// Magic bytes at an offset, in priority order ("BM" is weak, so it comes last).
const MAGIC: &[(usize, &[u8], Format)] = &[
    (0, &[0xFF, 0xD8, 0xFF], Format::Jpeg),
    (0, b"\x89PNG\r\n\x1a\n", Format::Png),
    (0, b"GIF87a", Format::Gif),
    (0, b"GIF89a", Format::Gif),
    (0, b"II*\0", Format::Tiff),
    (0, b"MM\0*", Format::Tiff),
    (4, b"ftyp", Format::IsoBmff),
    (4, b"moov", Format::IsoBmff),
    (4, b"mdat", Format::IsoBmff),
    (4, b"wide", Format::IsoBmff),
    (4, b"free", Format::IsoBmff),
    (4, b"skip", Format::IsoBmff),
    (4, b"pnot", Format::IsoBmff),
    (0, b"fLaC", Format::Flac),
    (0, b"OggS", Format::Ogg),
    (0, b"ID3", Format::MpegAudio),
    (0, &[0x1A, 0x45, 0xDF, 0xA3], Format::Matroska),
    (0, b"FLV\x01", Format::Flv),
    (0, &ASF_GUID, Format::Asf),
    (0, &[0x00, 0x00, 0x01, 0xBA], Format::MpegPs),
    (0, b"BM", Format::Bmp),
];

/// The format the first bytes say; the extension only matters for bare MPEG audio.
pub fn sniff(head: &[u8], ext: &str) -> Option<Format> {
    let at = |off: usize, magic: &[u8]| head.get(off..).is_some_and(|s| s.starts_with(magic));
    if at(0, b"RIFF") || at(0, b"RF64") {
        return match head.get(8..12) {
            Some(b"WEBP") => Some(Format::Webp),
            Some(b"WAVE") => Some(Format::Wav),
            Some(b"AVI ") => Some(Format::Avi),
            _ => None,
        };
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Some(Format::Aiff);
    }
    if let Some(&(_, _, kind)) = MAGIC.iter().find(|(off, magic, _)| at(*off, magic)) {
        return Some(kind);
    }
    if is_transport_stream(head) {
        return Some(Format::MpegTs);
    }
    let mpeg_ext = matches!(ext, "mp3" | "mp2" | "mpga" | "aac");
    (mpeg_ext || super::probe::starts_with_mpeg_audio_sync(head)).then_some(Format::MpegAudio)
}

/// 0x47 sync bytes every 188 bytes (TS) or every 192 bytes after a 4-byte prefix (M2TS).
fn is_transport_stream(head: &[u8]) -> bool {
    let synced = |first: usize, step: usize| {
        let at = |i: usize| head.get(first + i * step) == Some(&0x47);
        at(0) && at(1) && (head.len() <= first + 2 * step || at(2))
    };
    synced(0, 188) || synced(4, 192)
}

impl Format {
    /// The content type of the image formats a thumbnail can be stored in.
    pub fn image_content_type(self) -> Option<&'static str> {
        match self {
            Format::Jpeg => Some("image/jpeg"),
            Format::Png => Some("image/png"),
            Format::Gif => Some("image/gif"),
            Format::Webp => Some("image/webp"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_apart_by_their_magic_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0], ""), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0", ""), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a", ""), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", ""), Some(Format::Webp));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt ", ""), Some(Format::Wav));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic", ""), Some(Format::IsoBmff));
        assert_eq!(sniff(b"hello there", ""), None);
    }

    #[test]
    fn the_extension_only_decides_bare_mpeg_audio() {
        assert_eq!(sniff(b"no sync here", "mp3"), Some(Format::MpegAudio));
        assert_eq!(sniff(b"no sync here", "jpg"), None);
    }
}
