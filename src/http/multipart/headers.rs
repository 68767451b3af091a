//! The header side of multipart/form-data: the boundary in the request's Content-Type, and the
//! `Content-Disposition` (name, filename, RFC 5987 `filename*`) and `Content-Type` of a part.
//! Header blocks arrive already bounded in size and count by the reader.

use super::MultipartError;

#[must_use]
/// Extract the boundary parameter from a Content-Type header value (case-insensitive media type `multipart/form-data`, parameter name case-insensitive, value optionally quoted, 1..=70 chars per RFC 2046). None when not multipart or no/empty boundary.
pub fn boundary_from_content_type(content_type: &str) -> Option<String> {
    if !is_multipart_form_data(content_type) {
        return None;
    }
    let (_, params) = content_type.split_once(';')?;
    let (_, b) = parse_params(params).into_iter().find(|(k, _)| k == "boundary")?;
    let printable = b.bytes().all(|c| (0x20..0x7f).contains(&c)) && !b.ends_with(' ');
    ((1..=70).contains(&b.len()) && printable).then_some(b)
}

#[must_use]
/// True when the media type (ignoring parameters, case-insensitive) is multipart/form-data.
pub fn is_multipart_form_data(content_type: &str) -> bool {
    let media = content_type.split_once(';').map_or(content_type, |(t, _)| t);
    media.trim().eq_ignore_ascii_case("multipart/form-data")
}

/// Headers of one part that matter for form uploads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartHeaders {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

pub(super) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses a header block as delimited by `header_block` (first line is the padding line).
pub(super) fn parse_headers(block: &[u8]) -> Result<PartHeaders, MultipartError> {
    let mut h = PartHeaders::default();
    for raw in block.split(|&b| b == b'\n').skip(1) {
        let line = trim_cr(raw);
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&b| b == b':');
        let (name, value) = match colon {
            Some(c) if c > 0 && !matches!(line[0], b' ' | b'\t') => (&line[..c], &line[c + 1..]),
            _ => return Err(MultipartError::Malformed("bad header line")),
        };
        let value = String::from_utf8_lossy(value);
        let value = value.trim();
        let name = name.trim_ascii();
        if name.eq_ignore_ascii_case(b"content-disposition") {
            parse_disposition(value, &mut h);
        } else if name.eq_ignore_ascii_case(b"content-type") {
            h.content_type = Some(value.to_string());
        }
    }
    Ok(h)
}

fn parse_disposition(value: &str, h: &mut PartHeaders) {
    let params = value.split_once(';').map_or("", |(_, p)| p);
    let mut extended = None;
    for (key, v) in parse_params(params) {
        match key.as_str() {
            "name" => h.name = Some(v),
            "filename" => h.filename = Some(v),
            "filename*" => extended = decode_ext_value(&v),
            _ => {}
        }
    }
    if extended.is_some() {
        h.filename = extended;
    }
}

/// Parses `key=value; key="quoted"` parameters; keys are lowercased, bare keys ignored.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let (mut i, mut out) = (0, Vec::new());
    while i < b.len() {
        while i < b.len() && matches!(b[i], b';' | b' ' | b'\t') {
            i += 1;
        }
        let key_start = i;
        while i < b.len() && !matches!(b[i], b'=' | b';') {
            i += 1;
        }
        if i >= b.len() || b[i] == b';' {
            continue;
        }
        let key = s[key_start..i].trim().to_ascii_lowercase();
        i += 1;
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        let value = if b.get(i) == Some(&b'"') {
            let (v, next) = unquote(b, i + 1);
            i = next;
            while i < b.len() && b[i] != b';' {
                i += 1;
            }
            v
        } else {
            let value_start = i;
            while i < b.len() && b[i] != b';' {
                i += 1;
            }
            s[value_start..i].trim().to_string()
        };
        out.push((key, value));
    }
    out
}

/// Quoted-string body starting at `i` (after the opening quote). `\"` and `\\` are
/// escapes; any other backslash is kept literally (browsers send raw Windows paths).
/// Returns the value and the index after the closing quote.
fn unquote(b: &[u8], mut i: usize) -> (String, usize) {
    let mut out = Vec::new();
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(&c @ (b'"' | b'\\'))) => {
                out.push(c);
                i += 2;
            }
            (b'"', _) => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), i)
}

/// RFC 5987 `UTF-8'lang'percent-encoded` value; None for other charsets.
fn decode_ext_value(v: &str) -> Option<String> {
    let mut it = v.splitn(3, '\'');
    let (charset, _lang, enc) = (it.next()?, it.next()?, it.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    Some(crate::http::percent::decode(enc, false))
}
