//! Content types: by the extension of a physical file name for downloads (protocol §6.1), and
//! from the first bytes (`sniff`) for cached thumbnails (§5.5). Pure functions, no I/O.

/// The Content-Type for a file name, from its extension (case-insensitive).
pub fn content_type_for_name(file_name: &str) -> &'static str {
    let ext = match file_name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => return "application/octet-stream",
    };
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "mp4" => "video/mp4",
        "m4v" => "video/x-m4v",
        "mov" | "qt" => "video/quicktime",
        "3gp" => "video/3gpp",
        "3g2" => "video/3gpp2",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "mpg" | "mpeg" => "video/mpeg",
        "ts" => "video/mp2t",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "wav" => "audio/x-wav",
        "flac" => "audio/flac",
        "ogg" => "audio/ogg",
        "caf" => "audio/x-caf",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// The image type of a thumbnail from its first bytes.
pub fn sniff_image(head: &[u8]) -> &'static str {
    super::sniff::sniff(head, "").and_then(|format| format.image_content_type()).unwrap_or("application/octet-stream")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_case_insensitively_and_unknown_is_octet_stream() {
        assert_eq!(content_type_for_name("IMG_1.JPG"), "image/jpeg");
        assert_eq!(content_type_for_name("clip.MoV"), "video/quicktime");
        assert_eq!(content_type_for_name("page.html"), "application/octet-stream");
        assert_eq!(content_type_for_name("noext"), "application/octet-stream");
    }

    #[test]
    fn thumbnails_are_sniffed_from_their_magic_bytes() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n"), "image/png");
        assert_eq!(sniff_image(b"GIF89a"), "image/gif");
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff_image(b"hello"), "application/octet-stream");
    }
}
