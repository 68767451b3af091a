//! What a handler answers: a JSON text, a short text, or a file window streamed from disk, and
//! the one conversion of those into a tiny_http response (the protocol's envelopes are built in
//! `api::envelope`). File replies always carry an explicit Content-Length (never chunked), so
//! media players and Range clients can seek. File responses are written by us onto tiny_http's
//! raw connection: the head through its writer (which gives 64-bit Content-Lengths on 32-bit
//! boards), the body of a window of at least SENDFILE_FROM bytes with sendfile(2) on the
//! connection's socket (`sys::connection_socket`), and smaller windows, or where that socket
//! cannot be found, in FILE_CHUNK read-and-write rounds (tiny_http's own `io::copy` would copy
//! every byte once more and write in small pieces).

use super::range::{self, Window};
use super::{body_block, sendfile, sys};
use crate::clock;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::MetadataExt;
use tiny_http::{Header, StatusCode};

/// Seconds a client may cache a file (the original's 12 hours).
const CACHE_SECONDS: i64 = 43_200;
/// Bytes read from disk and written to the socket per round when streaming a file.
const FILE_CHUNK: usize = 256 * 1024;
/// File windows at least this long go out with sendfile.
const SENDFILE_FROM: u64 = 1 << 20;

/// A response ready to send: small bodies from memory, files streamed from disk.
pub enum Response {
    Bytes(tiny_http::Response<Body>),
    /// A body of unknown length, sent chunked.
    Stream(tiny_http::Response<Box<dyn Read + Send>>),
    File(FileStream),
}

/// A 200/206 file response: its head, and the window of the (already positioned) file.
pub struct FileStream {
    head: String,
    file: File,
    len: u64,
}

impl Response {
    /// The declared body length (for the access log).
    pub fn data_length(&self) -> u64 {
        match self {
            Response::Bytes(r) => r.data_length().unwrap_or(0) as u64,
            Response::Stream(_) => 0,
            Response::File(f) => f.len,
        }
    }

    /// Sends the response on the connection of `request`, which came in on `local_port`.
    pub fn send(self, request: tiny_http::Request, local_port: u16) -> std::io::Result<()> {
        match self {
            Response::Bytes(r) => request.respond(r),
            Response::Stream(r) => request.respond(r),
            Response::File(f) => f.send(request, local_port, None),
        }
    }

    /// Sends the response with `Connection: close` and then ends the writing side of `socket`
    /// (the connection's), before tiny_http can write anything after it.
    pub fn send_closing(
        self,
        request: tiny_http::Request,
        local_port: u16,
        socket: BorrowedFd<'_>,
    ) -> std::io::Result<()> {
        match self {
            Response::Bytes(r) => send_bytes_closing(r, request, socket),
            Response::Stream(r) => send_bytes_closing(r, request, socket),
            Response::File(f) => f.send(request, local_port, Some(socket)),
        }
    }
}

/// Sends a response from memory or a stream with `Connection: close`, then ends the writing
/// side of `socket`.
fn send_bytes_closing<R: Read>(
    r: tiny_http::Response<R>,
    request: tiny_http::Request,
    socket: BorrowedFd<'_>,
) -> std::io::Result<()> {
    let version = request.http_version().clone();
    let head_only = *request.method() == tiny_http::Method::Head;
    let mut out = request.into_writer();
    // tiny_http leaves out a Connection header given to it: printed here, and added.
    let mut printed = Vec::new();
    r.raw_print(&mut printed, version, None, head_only, None)?;
    let line_end = printed.windows(2).position(|w| w == b"\r\n").map_or(0, |at| at + 2);
    printed.splice(line_end..line_end, b"Connection: close\r\n".iter().copied());
    let sent = out.write_all(&printed).and_then(|()| out.flush());
    sys::shutdown(socket, Shutdown::Write);
    sent
}

impl FileStream {
    /// Sends the head and the file window; with `closing`, says `Connection: close` and ends the
    /// writing side of that socket (the connection's) before letting go of the writer.
    fn send(
        mut self,
        request: tiny_http::Request,
        local_port: u16,
        closing: Option<BorrowedFd<'_>>,
    ) -> std::io::Result<()> {
        let head_only = *request.method() == tiny_http::Method::Head;
        let peer = request.remote_addr().copied();
        if closing.is_some() {
            self.head.insert_str(self.head.len() - 2, "Connection: close\r\n");
        }
        let mut out = request.into_writer();
        let sent = self.write_body(&mut out, head_only, peer, local_port);
        if let Some(socket) = closing {
            sys::shutdown(socket, Shutdown::Write);
        }
        sent
    }

    fn write_body(
        &mut self,
        out: &mut Box<dyn Write + Send>,
        head_only: bool,
        peer: Option<std::net::SocketAddr>,
        local_port: u16,
    ) -> std::io::Result<()> {
        out.write_all(self.head.as_bytes())?;
        if head_only {
            return out.flush();
        }
        // Only worth the search through the descriptors for more than a few rounds of copying.
        let socket =
            peer.filter(|_| self.len >= SENDFILE_FROM).and_then(|peer| sys::connection_socket(local_port, peer));
        if let Some(socket) = socket {
            let socket = socket.as_fd();
            sendfile::cork(socket, true);
            out.flush()?; // the head goes out before the body, which passes the writer by
            let offset = self.file.stream_position()?;
            let sent = sendfile::send(socket, &self.file, offset, self.len);
            sendfile::cork(socket, false);
            return sent;
        }
        // Small files (and a socket not found): the head and the first bytes leave together.
        let mut chunk = vec![0u8; usize::try_from(self.len).map_or(FILE_CHUNK, |l| l.clamp(1, FILE_CHUNK))];
        let mut left = self.len;
        while left > 0 {
            let want = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = self.file.read(&mut chunk[..want])?;
            if n == 0 {
                // The file shrank under us: the promised length cannot be kept; hang up.
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            out.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        out.flush()
    }
}

pub enum Reply {
    Json {
        status: u16,
        body: String,
        headers: Vec<(&'static str, String)>,
    },
    /// A body of any type from memory (the web gallery's page and assets).
    Bytes {
        status: u16,
        body: Vec<u8>,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
    },
    Text {
        status: u16,
        body: &'static str,
        content_type: &'static str,
        allow: Option<&'static str>,
    },
    /// A body produced while it is sent (WebDAV's listings), chunked.
    Stream {
        status: u16,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        body: Box<dyn Read + Send>,
    },
    File(FileReply),
}

pub struct FileReply {
    file: File,
    size: u64,
    mtime: i64,
    content_type: &'static str,
    window: Window,
}

impl Reply {
    /// A JSON text with the given HTTP status.
    pub fn json(status: u16, body: String) -> Reply {
        Reply::Json { status, body, headers: Vec::new() }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        if let Reply::Json { headers, .. } | Reply::Bytes { headers, .. } | Reply::Stream { headers, .. } = &mut self {
            headers.push((name, value));
        }
        self
    }

    pub fn text(status: u16, body: &'static str) -> Reply {
        Reply::Text { status, body, content_type: "text/plain; charset=utf-8", allow: None }
    }

    /// Streams `file` (already opened) honouring the Range header.
    pub fn file(mut file: File, content_type: &'static str, range_header: Option<&str>) -> std::io::Result<Reply> {
        let meta = file.metadata()?;
        let size = meta.len();
        let window = range::window(range_header, size);
        if let Window::Part { first, .. } = window {
            file.seek(SeekFrom::Start(first))?;
        }
        Ok(Reply::File(FileReply { file, size, mtime: meta.mtime(), content_type, window }))
    }

    /// The HTTP status this reply will be sent with (for the access log).
    pub fn status(&self) -> u16 {
        match self {
            Reply::Json { status, .. }
            | Reply::Bytes { status, .. }
            | Reply::Text { status, .. }
            | Reply::Stream { status, .. } => *status,
            Reply::File(f) => match f.window {
                Window::Whole => 200,
                Window::Part { .. } => 206,
                Window::Unsatisfiable => 416,
            },
        }
    }

    pub fn into_response(self) -> Response {
        match self {
            Reply::Json { status, body, headers } => {
                let mut response = bytes_response(status, body.into_bytes(), "application/json");
                for (name, value) in headers {
                    response.add_header(header(name, &value));
                }
                Response::Bytes(response)
            }
            Reply::Bytes { status, body, content_type, headers } => {
                let mut response = bytes_response(status, body, content_type);
                for (name, value) in headers {
                    response.add_header(header(name, &value));
                }
                Response::Bytes(response)
            }
            Reply::Text { status, body, content_type, allow } => {
                let mut response = bytes_response(status, body.as_bytes().to_vec(), content_type);
                if let Some(allow) = allow {
                    response.add_header(header("Allow", allow));
                }
                Response::Bytes(response)
            }
            Reply::Stream { status, content_type, headers, body } => {
                let mut all = vec![header("Content-Type", content_type)];
                all.extend(headers.iter().map(|(name, value)| header(name, value)));
                Response::Stream(tiny_http::Response::new(
                    StatusCode(status),
                    tiny_http::Headers::from(all),
                    body,
                    None,
                    None,
                ))
            }
            Reply::File(file) => file.into_response(),
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes(&b"X-Invalid-Header"[..], &b"1"[..]).expect("static header is valid"))
}

/// A body sent from memory. Dropped once tiny_http has written it, in the worker that sent it,
/// it hands its block back for the worker's next large body (see `body_block`).
pub struct Body(Cursor<Vec<u8>>);

impl Read for Body {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(out)
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        body_block::give_back(std::mem::take(self.0.get_mut()));
    }
}

fn bytes_response(status: u16, bytes: Vec<u8>, content_type: &str) -> tiny_http::Response<Body> {
    let len = bytes.len();
    tiny_http::Response::new(
        StatusCode(status),
        tiny_http::Headers::from(vec![header("Content-Type", content_type)]),
        Body(Cursor::new(bytes)),
        Some(len),
        None,
    )
    .with_chunked_threshold(usize::MAX)
}

impl FileReply {
    fn into_response(self) -> Response {
        let etag = format!("\"{}-{}\"", self.size, self.mtime);
        let mut headers = vec![header("Accept-Ranges", "bytes"), header("ETag", &etag)];
        let (status, len) = match self.window {
            Window::Whole => (200, self.size),
            Window::Part { first, last } => {
                headers.push(header("Content-Range", &format!("bytes {first}-{last}/{}", self.size)));
                (206, last - first + 1)
            }
            Window::Unsatisfiable => {
                headers.push(header("Content-Range", &format!("bytes */{}", self.size)));
                let mut response = bytes_response(416, Vec::new(), "text/plain");
                headers.into_iter().for_each(|h| response.add_header(h));
                return Response::Bytes(response);
            }
        };
        let now = clock::now();
        let mut head = format!("HTTP/1.1 {status} {}\r\n", if status == 200 { "OK" } else { "Partial Content" });
        for (name, value) in [
            ("Server", "isync".to_string()),
            ("Date", clock::http_date(now)),
            ("Content-Type", self.content_type.to_string()),
            ("Content-Length", len.to_string()),
            ("X-Content-Type-Options", "nosniff".to_string()),
            ("Last-Modified", clock::http_date(self.mtime)),
            ("Cache-Control", format!("public, max-age={CACHE_SECONDS}")),
            ("Expires", clock::http_date(now + CACHE_SECONDS)),
        ] {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        for h in headers {
            head.push_str(&format!("{}: {}\r\n", h.field, h.value));
        }
        head.push_str("\r\n");
        Response::File(FileStream { head, file: self.file, len })
    }
}
