//! Streaming, bounded `multipart/form-data` reader (RFC 7578 / RFC 2046) for large uploads:
//! part data is handed out as soon as it is known not to belong to a delimiter, so memory
//! stays at one fixed buffer (64 KiB + delimiter length) whatever the part size. When the
//! body ends early, the data already delivered is always a prefix of the true data (a
//! trailing `"\r\n--bou"` that might start a delimiter is withheld), then `Truncated` is
//! returned so the caller can keep what was written. It deliberately does not buffer
//! whole parts, decode `Content-Transfer-Encoding`, support nested `multipart/mixed`,
//! or drain the epilogue after the closing delimiter (the caller owns the connection).

use std::io::{self, Read};

const BUF_SIZE: usize = 64 * 1024;
const MAX_HEADER_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 32;

#[must_use]
/// Extract the boundary parameter from a Content-Type header value (case-insensitive media type `multipart/form-data`, parameter name case-insensitive, value optionally quoted, 1..=70 chars per RFC 2046). None when not multipart or no/empty boundary.
pub fn boundary_from_content_type(content_type: &str) -> Option<String> {
    if !is_multipart_form_data(content_type) {
        return None;
    }
    let (_, params) = content_type.split_once(';')?;
    let (_, b) = parse_params(params)
        .into_iter()
        .find(|(k, _)| k == "boundary")?;
    let printable = b.bytes().all(|c| (0x20..0x7f).contains(&c)) && !b.ends_with(' ');
    ((1..=70).contains(&b.len()) && printable).then_some(b)
}

#[must_use]
/// True when the media type (ignoring parameters, case-insensitive) is multipart/form-data.
pub fn is_multipart_form_data(content_type: &str) -> bool {
    let media = content_type
        .split_once(';')
        .map_or(content_type, |(t, _)| t);
    media.trim().eq_ignore_ascii_case("multipart/form-data")
}

/// Headers of one part that matter for form uploads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartHeaders {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// Why reading the body stopped; `Truncated` and `Malformed` are sticky.
#[derive(Debug)]
pub enum MultipartError {
    /// The underlying reader failed (includes connection reset).
    Io(io::Error),
    /// The body ended before the closing boundary (interrupted upload); the data
    /// delivered so far is a prefix of the true data, never extra bytes.
    Truncated,
    /// Bad syntax: no opening boundary, oversized/too many headers, bad header line...
    Malformed(&'static str),
}

impl std::fmt::Display for MultipartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "multipart I/O error: {e}"),
            Self::Truncated => f.write_str("multipart body truncated before closing boundary"),
            Self::Malformed(m) => write!(f, "malformed multipart body: {m}"),
        }
    }
}

impl std::error::Error for MultipartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for MultipartError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// `Io` is unwrapped as is; `Truncated` becomes `UnexpectedEof` and `Malformed` becomes
/// `InvalidData`, both carrying the `MultipartError` (recover it with [`classify`]).
impl From<MultipartError> for io::Error {
    fn from(e: MultipartError) -> Self {
        match e {
            MultipartError::Io(e) => e,
            MultipartError::Truncated => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            MultipartError::Malformed(_) => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

/// The parser error inside an `io::Error` produced by [`PartReader`], or None when the
/// error came from the underlying reader (even if its kind is `UnexpectedEof`).
#[must_use]
pub fn classify(err: &io::Error) -> Option<&MultipartError> {
    err.get_ref()?.downcast_ref::<MultipartError>()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    Data,
    /// A delimiter was consumed; the part headers (or `--`) come next.
    Headers,
    Done,
    /// Sticky failure: None = Truncated, Some(msg) = Malformed(msg).
    Failed(Option<&'static str>),
}

/// Streaming reader over a multipart/form-data body.
pub struct MultipartReader<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes at `buf[start..]` already known to be part data.
    known: usize,
    /// `"\r\n--" + boundary`.
    delim: Vec<u8>,
    state: State,
}

impl<R: Read> MultipartReader<R> {
    /// `boundary` as returned by [`boundary_from_content_type`] (without leading dashes).
    pub fn new(body: R, boundary: &str) -> Self {
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(boundary.as_bytes());
        let mut buf = vec![0u8; BUF_SIZE + delim.len()].into_boxed_slice();
        // A virtual CRLF lets an opening boundary at the very start match the delimiter.
        buf[..2].copy_from_slice(b"\r\n");
        Self {
            inner: body,
            buf,
            start: 0,
            end: 2,
            known: 0,
            delim,
            state: State::Preamble,
        }
    }

    /// Advance to the next part, skipping any unread data of the current part. Ok(None) after the closing boundary `--boundary--`.
    ///
    /// # Errors
    /// `Io` from the body reader, `Truncated` on early EOF, `Malformed` on bad syntax.
    pub fn next_part(&mut self) -> Result<Option<PartHeaders>, MultipartError> {
        let r = self.advance();
        self.remember(r)
    }

    /// Read data of the current part into buf; Ok(0) at the end of the part. Data bytes are delivered as soon as they are known not to be part of a delimiter (so memory stays bounded and progress is continuous).
    ///
    /// # Errors
    /// `Io` from the body reader (retryable), `Truncated` when the body ends inside the
    /// part (a trailing possible delimiter prefix is withheld), `Malformed` after a bad delimiter line.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, MultipartError> {
        match self.state {
            State::Data if !buf.is_empty() => {}
            State::Failed(f) => return Err(failure(f)),
            _ => return Ok(0),
        }
        let r = self.data_available();
        let n = self.remember(r)?.min(buf.len());
        buf[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.consume(n);
        Ok(n)
    }

    /// `std::io::Read` view of the current part, e.g. for `std::io::copy`.
    pub fn part_reader(&mut self) -> PartReader<'_, R> {
        PartReader(self)
    }

    fn remember<T>(&mut self, r: Result<T, MultipartError>) -> Result<T, MultipartError> {
        match &r {
            Err(MultipartError::Truncated) => self.state = State::Failed(None),
            Err(MultipartError::Malformed(m)) => self.state = State::Failed(Some(m)),
            _ => {}
        }
        r
    }

    fn advance(&mut self) -> Result<Option<PartHeaders>, MultipartError> {
        match self.state {
            State::Done => return Ok(None),
            State::Failed(f) => return Err(failure(f)),
            State::Preamble => self.skip_data().map_err(|e| match e {
                MultipartError::Truncated => MultipartError::Malformed("no opening boundary"),
                e => e,
            })?,
            State::Data => self.skip_data()?,
            State::Headers => {}
        }
        while self.end - self.start < 2 {
            if self.fill()? == 0 {
                return Err(MultipartError::Truncated);
            }
        }
        if self.buf[self.start..self.start + 2] == *b"--" {
            self.state = State::Done;
            return Ok(None);
        }
        let len = self.header_block()?;
        let headers = parse_headers(&self.buf[self.start..self.start + len])?;
        self.consume(len);
        self.state = State::Data;
        Ok(Some(headers))
    }

    fn skip_data(&mut self) -> Result<(), MultipartError> {
        loop {
            match self.data_available()? {
                0 => return Ok(()),
                n => self.consume(n),
            }
        }
    }

    /// Number of data bytes ready at `buf[start..]`; 0 once the delimiter ending the
    /// part has been consumed (state becomes `Headers`).
    fn data_available(&mut self) -> Result<usize, MultipartError> {
        loop {
            if self.known > 0 {
                return Ok(self.known);
            }
            let (data, is_delim) = scan(&self.buf[self.start..self.end], &self.delim);
            if data > 0 {
                self.known = data;
            } else if is_delim {
                self.consume(self.delim.len());
                self.state = State::Headers;
                return Ok(0);
            } else if self.fill()? == 0 {
                return Err(MultipartError::Truncated);
            }
        }
    }

    /// Length of the rest of the delimiter line plus the header lines and the empty line.
    fn header_block(&mut self) -> Result<usize, MultipartError> {
        let (mut scanned, mut line_start, mut lines) = (0usize, 0usize, 0usize);
        loop {
            let avail = &self.buf[self.start..self.end];
            while let Some(i) = find_byte(&avail[scanned..], b'\n') {
                let nl = scanned + i;
                if nl >= MAX_HEADER_BYTES {
                    return Err(MultipartError::Malformed("header section too large"));
                }
                let line = trim_cr(&avail[line_start..nl]);
                if lines == 0 && !line.iter().all(|&b| b == b' ' || b == b'\t') {
                    return Err(MultipartError::Malformed("unexpected bytes after boundary"));
                }
                if lines > 0 && line.is_empty() {
                    return Ok(nl + 1);
                }
                if lines > 0 && !line.contains(&b':') {
                    return Err(MultipartError::Malformed("bad header line"));
                }
                if lines > MAX_HEADERS {
                    return Err(MultipartError::Malformed("too many part headers"));
                }
                lines += 1;
                scanned = nl + 1;
                line_start = scanned;
            }
            scanned = avail.len();
            if scanned >= MAX_HEADER_BYTES {
                return Err(MultipartError::Malformed("header section too large"));
            }
            if self.fill()? == 0 {
                return Err(MultipartError::Truncated);
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.known = self.known.saturating_sub(n);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more bytes after `end`, compacting when cheap or needed; Ok(0) at EOF.
    fn fill(&mut self) -> Result<usize, MultipartError> {
        let pending = self.end - self.start;
        if self.start > 0 && (self.end == self.buf.len() || pending <= self.start) {
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = pending;
        }
        if self.end == self.buf.len() {
            return Err(MultipartError::Malformed("internal buffer full"));
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// `io::Read` over the current part's data (see [`classify`] for error mapping).
pub struct PartReader<'a, R: Read>(&'a mut MultipartReader<R>);

impl<R: Read> Read for PartReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.0.read_data(buf)?)
    }
}

fn failure(f: Option<&'static str>) -> MultipartError {
    f.map_or(MultipartError::Truncated, MultipartError::Malformed)
}

/// Returns (bytes that are certainly data, whether a full delimiter follows them).
/// Data ends at the first full delimiter or at a delimiter prefix reaching the end of `hay`.
fn scan(hay: &[u8], delim: &[u8]) -> (usize, bool) {
    let mut from = 0;
    while let Some(i) = find_byte(&hay[from..], b'\r') {
        let p = from + i;
        let rest = &hay[p..];
        if rest.len() >= delim.len() {
            if rest[..delim.len()] == *delim {
                return (p, true);
            }
        } else if delim.starts_with(rest) {
            return (p, false);
        }
        from = p + 1;
    }
    (hay.len(), false)
}

/// Word-at-a-time (SWAR) byte search, std-only stand-in for `memchr`.
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(base + (zero.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| base + i)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses a header block as delimited by `header_block` (first line is the padding line).
fn parse_headers(block: &[u8]) -> Result<PartHeaders, MultipartError> {
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
    let hex = |d: u8| (d as char).to_digit(16);
    let (b, mut out, mut i) = (enc.as_bytes(), Vec::new(), 0);
    while i < b.len() {
        let pair = (b[i] == b'%')
            .then(|| Some(hex(*b.get(i + 1)?)? * 16 + hex(*b.get(i + 2)?)?))
            .flatten()
            .and_then(|x| u8::try_from(x).ok());
        if let Some(x) = pair {
            out.push(x);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests;
