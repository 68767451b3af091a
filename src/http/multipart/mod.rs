//! Streaming, bounded `multipart/form-data` reader (RFC 7578 / RFC 2046) for large uploads:
//! part data is handed out as soon as it is known not to belong to a delimiter, so memory
//! stays at one fixed buffer (64 KiB + delimiter length) whatever the part size. When the
//! body ends early, the data already delivered is always a prefix of the true data (a
//! trailing `"\r\n--bou"` that might start a delimiter is withheld), then `Truncated` is
//! returned so the caller can keep what was written. It deliberately does not buffer
//! whole parts, decode `Content-Transfer-Encoding`, support nested `multipart/mixed`,
//! or drain the epilogue after the closing delimiter (the caller owns the connection).
//!
//! `headers` reads the Content-Type of the request and the headers of each part; `reader`
//! walks the body.

mod headers;
mod reader;

pub use headers::{boundary_from_content_type, is_multipart_form_data, PartHeaders};
pub use reader::{classify, MultipartError, MultipartReader};

#[cfg(test)]
mod tests;
