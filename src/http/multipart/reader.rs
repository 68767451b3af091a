//! The streaming body reader: finds the delimiters in a fixed buffer and hands out part data as
//! soon as it cannot belong to one.

use super::headers::{parse_headers, trim_cr};
use super::PartHeaders;
use std::io::{self, Read};

const BUF_SIZE: usize = 64 * 1024;
const MAX_HEADER_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 32;

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
        Self { inner: body, buf, start: 0, end: 2, known: 0, delim, state: State::Preamble }
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
    chunks.remainder().iter().position(|&b| b == needle).map(|i| base + i)
}
