//! A deliberately small HTTP/1.1 client for the tests: one connection per request
//! (`Connection: close`), a cookie jar of one cookie (`session`), raw access to status, headers
//! and body, and a way to send arbitrary bytes for hostile-input tests. [`KeepAlive`] sends many
//! requests on one connection instead, reading each response by its framing.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The envelope's `code`.
    pub fn code(&self) -> i64 {
        self.json()["code"].as_i64().expect("code is an integer")
    }

    pub fn data(&self) -> serde_json::Value {
        let json = self.json();
        assert_eq!(json["code"], 0, "expected success, got {json}");
        json["data"].clone()
    }

    /// The session token a `Set-Cookie: session=...` header sets: Some(None) when it clears it.
    fn session_cookie(&self) -> Option<Option<String>> {
        self.headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("Set-Cookie"))
            .filter_map(|(_, value)| value.strip_prefix("session=")?.split(';').next())
            .map(|token| (!token.is_empty()).then(|| token.to_string()))
            .next_back()
    }
}

/// An HTTP client with a cookie jar of one cookie (`session`). Over `Close` (the default) each
/// request has a connection of its own, read until the server closes it; a `KeepAlive` client
/// carries every request on one connection.
#[derive(Clone)]
pub struct Client<T = Close> {
    pub addr: String,
    pub cookie: Option<String>,
    transport: T,
}

/// How a request's bytes reach the server and its response comes back.
pub trait Transport {
    /// The request's `Connection` header.
    const CONNECTION: &'static str;
    fn exchange(&mut self, bytes: &[u8], method: &str, path: &str) -> Response;
}

/// A new connection for every request (`Connection: close`).
#[derive(Clone)]
pub struct Close {
    addr: String,
}

impl Transport for Close {
    const CONNECTION: &'static str = "close";

    fn exchange(&mut self, bytes: &[u8], _method: &str, _path: &str) -> Response {
        send_and_read_to_close(&self.addr, bytes)
    }
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client { addr: addr.to_string(), cookie: None, transport: Close { addr: addr.to_string() } }
    }

    /// A connection of its own that carries this client's session cookie.
    pub fn keep_alive(&self) -> KeepAlive {
        Client { addr: self.addr.clone(), cookie: self.cookie.clone(), transport: Connection::open(&self.addr) }
    }

    /// Sends raw bytes and reads the response until the server closes the connection.
    pub fn raw(&self, bytes: &[u8]) -> Response {
        send_and_read_to_close(&self.addr, bytes)
    }
}

impl<T: Transport> Client<T> {
    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("GET", path, headers, b"")
    }

    /// POST with an `application/x-www-form-urlencoded` body.
    pub fn post_form(&mut self, path: &str, form: &str) -> Response {
        self.request("POST", path, &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes())
    }

    pub fn post_json(&mut self, path: &str, json: &str) -> Response {
        self.request("POST", path, &[("Content-Type", "application/json")], json.as_bytes())
    }

    /// Logs in and keeps the session cookie; panics when the login fails.
    pub fn login(&mut self, user: &str, password: &str) -> serde_json::Value {
        let response = self.post_form("/login.icc", &format!("userName={user}&password={password}"));
        assert_eq!(response.code(), 0, "login of {user} failed: {}", String::from_utf8_lossy(&response.body));
        response.data()
    }

    pub fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let bytes = request_bytes(&self.addr, self.cookie.as_deref(), T::CONNECTION, method, path, headers, body);
        let response = self.transport.exchange(&bytes, method, path);
        if let Some(cookie) = response.session_cookie() {
            self.cookie = cookie;
        }
        response
    }
}

fn send_and_read_to_close(addr: &str, bytes: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.write_all(bytes).expect("send request");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read response");
    parse_response(&reply)
}

/// A request's bytes: head (with `Connection: <connection>` and the session cookie) and body.
fn request_bytes(
    host: &str,
    cookie: Option<&str>,
    connection: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: {connection}\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: session={cookie}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A client whose requests all travel on one TCP connection (HTTP/1.1 keep-alive).
pub type KeepAlive = Client<Connection>;

/// One TCP connection that carries request after request and never reconnects. Each response is
/// read by its framing (Content-Length or chunked), never to EOF. A test that uses it fails when
/// the server ends the connection: a response announcing `Connection: close`, or the connection
/// closing before a whole response arrived, panics and names the request.
pub struct Connection {
    stream: TcpStream,
    local: SocketAddr,
    answered: usize,
}

impl Connection {
    fn open(addr: &str) -> Connection {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let local = stream.local_addr().unwrap();
        Connection { stream, local, answered: 0 }
    }
}

impl Transport for Connection {
    const CONNECTION: &'static str = "keep-alive";

    fn exchange(&mut self, bytes: &[u8], method: &str, path: &str) -> Response {
        let n = self.answered + 1;
        if let Err(e) = self.stream.write_all(bytes) {
            panic!("request #{n} ({method} {path}) could not be sent on the kept-alive connection: {e}");
        }
        let response = match read_response(&mut self.stream, method) {
            Ok(Some(response)) => response,
            Ok(None) => panic!("the server closed the connection instead of answering request #{n} ({method} {path})"),
            Err(e) => panic!("request #{n} ({method} {path}): no whole response on the kept-alive connection: {e}"),
        };
        self.answered = n;
        let status = response.status;
        if response.header("Connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            panic!("the server closes the connection after request #{n} ({method} {path} → {status})");
        }
        if framing(&response, method) == Framing::UntilClose {
            panic!("response #{n} ({method} {path} → {status}) has no length: it ends the connection");
        }
        response
    }
}

impl KeepAlive {
    /// The client's end of the connection: the same for every request, since it never reconnects.
    pub fn local_addr(&self) -> SocketAddr {
        self.transport.local
    }

    /// How many responses this one connection has carried.
    pub fn answered(&self) -> usize {
        self.transport.answered
    }

    /// Asserts that the connection is still open and that the server sent nothing beyond the
    /// responses it was asked for (a body after a HEAD, or more bytes than Content-Length).
    pub fn assert_open_and_quiet(&mut self) {
        let (stream, answered) = (&mut self.transport.stream, self.transport.answered);
        stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut byte = [0u8; 64];
        match stream.peek(&mut byte) {
            Ok(0) => panic!("the server closed the connection after {answered} responses"),
            Ok(n) => panic!("unasked bytes after {answered} responses: {:?}", String::from_utf8_lossy(&byte[..n])),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("the connection failed after {answered} responses: {e}"),
        }
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    }
}

/// How a response's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// HEAD, 1xx, 204 and 304 have no body, whatever their headers say.
    Empty,
    Chunked,
    Length(usize),
    /// No length: the body ends when the server closes the connection.
    UntilClose,
}

fn framing(response: &Response, method: &str) -> Framing {
    if method == "HEAD" || response.status < 200 || response.status == 204 || response.status == 304 {
        Framing::Empty
    } else if response.header("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        Framing::Chunked
    } else if let Some(length) = response.header("Content-Length") {
        Framing::Length(length.parse().unwrap_or_else(|_| panic!("Content-Length {length:?}")))
    } else {
        Framing::UntilClose
    }
}

/// Reads exactly one response to `method` from `stream`: the head byte by byte, then the body
/// by its framing, so nothing after it is consumed. `Ok(None)` when the connection ended before
/// the response's first byte.
pub fn read_response(stream: &mut impl Read, method: &str) -> io::Result<Option<Response>> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        match stream.read(&mut byte)? {
            0 if head.is_empty() => return Ok(None),
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("inside the head {:?}", String::from_utf8_lossy(&head)),
                ))
            }
            _ => head.push(byte[0]),
        }
    }
    let mut response = parse_response(&head);
    match framing(&response, method) {
        Framing::Empty => {}
        Framing::Chunked => response.body = read_chunked(stream)?,
        Framing::Length(length) => {
            response.body = vec![0u8; length];
            stream.read_exact(&mut response.body)?;
        }
        Framing::UntilClose => {
            stream.read_to_end(&mut response.body)?;
        }
    }
    Ok(Some(response))
}

/// A chunked body (RFC 9112 §7.1), chunk extensions and trailers ignored.
fn read_chunked(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(stream)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {line:?}")))?;
        if size == 0 {
            while !read_line(stream)?.is_empty() {} // trailers, then the empty line
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        stream.read_exact(&mut body[start..])?;
        if !read_line(stream)?.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "no CRLF after a chunk"));
        }
    }
}

/// One CRLF-terminated line, without the CRLF.
fn read_line(stream: &mut impl Read) -> io::Result<String> {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte)?;
        line.push(byte[0]);
    }
    line.truncate(line.len() - 2);
    Ok(String::from_utf8_lossy(&line).into_owned())
}

pub fn parse_response(bytes: &[u8]) -> Response {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| {
        panic!("no header end in response: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)]))
    });
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("Transfer-Encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
    out
}
