//! A small keep-alive HTTP/1.1 client for the bench: one `Conn` per TCP connection, requests
//! written in one piece, responses read through one buffered reader (Content-Length, chunked, or
//! until close) and handed to a sink so large downloads are never held in memory. It reconnects
//! when the server closed the connection. It is not a general client: no redirects, no TLS, no
//! pipelining, and every socket operation has a timeout so a stuck server cannot hang the bench.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const IO_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const BUFFER: usize = 256 * 1024;

/// The status line and the headers the bench needs.
#[derive(Debug, Default)]
pub struct Head {
    pub status: u16,
    pub content_length: Option<u64>,
    pub content_type: String,
    pub chunked: bool,
    pub close: bool,
    pub set_cookie: Option<String>,
}

pub struct Conn {
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn { addr, reader: None }
    }

    /// Opens the connection now (so a load run does not time its connects).
    pub fn connect(&mut self) -> io::Result<()> {
        let stream = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        self.reader = Some(BufReader::with_capacity(BUFFER, stream));
        Ok(())
    }

    /// Sends one request (`extra` = further header lines, each ending in CRLF) and streams the
    /// body into `sink`. A reused connection that turns out closed is retried once, fresh.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
        body: &[u8],
        sink: &mut dyn FnMut(&[u8]),
    ) -> io::Result<Head> {
        let reused = self.reader.is_some();
        match self.try_send(method, path, extra, body, sink) {
            Err(e) if reused && is_stale(&e) => {
                self.reader = None;
                self.try_send(method, path, extra, body, sink)
            }
            other => other,
        }
    }

    /// GET with the body collected.
    pub fn get(&mut self, path: &str, extra: &str) -> io::Result<(Head, Vec<u8>)> {
        let mut body = Vec::new();
        let head = self.send("GET", path, extra, b"", &mut |b| body.extend_from_slice(b))?;
        Ok((head, body))
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
        body: &[u8],
        sink: &mut dyn FnMut(&[u8]),
    ) -> io::Result<Head> {
        if self.reader.is_none() {
            self.connect()?;
        }
        let result = self.exchange(method, path, extra, body, sink);
        match &result {
            Ok(head) if !head.close => {}
            _ => self.reader = None,
        }
        result
    }

    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
        body: &[u8],
        sink: &mut dyn FnMut(&[u8]),
    ) -> io::Result<Head> {
        let addr = self.addr;
        let reader = self.reader.as_mut().ok_or_else(|| io::Error::other("not connected"))?;
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}");
        if !body.is_empty() || method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        reader.get_mut().write_all(&bytes)?;
        let head = read_head(reader)?;
        if method == "HEAD" || head.status == 204 || head.status == 304 {
            return Ok(head);
        }
        if head.chunked {
            read_chunked(reader, sink)?;
        } else if let Some(len) = head.content_length {
            copy_exact(reader, len, sink)?;
        } else {
            copy_to_end(reader, sink)?;
            return Ok(Head { close: true, ..head });
        }
        Ok(head)
    }
}

/// The server closed a kept-alive connection before answering: safe to retry once.
fn is_stale(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

fn read_head(reader: &mut BufReader<TcpStream>) -> io::Result<Head> {
    let mut head = Head::default();
    let mut line = String::new();
    for index in 0..200 {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let text = line.trim_end();
        if index == 0 {
            head.status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(text))?;
            continue;
        }
        if text.is_empty() {
            return Ok(head);
        }
        let Some((name, value)) = text.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => head.content_length = value.parse().ok(),
            "content-type" => head.content_type = value.to_string(),
            "transfer-encoding" => head.chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => head.close = value.eq_ignore_ascii_case("close"),
            "set-cookie" => head.set_cookie = value.split(';').next().map(str::to_string),
            _ => {}
        }
    }
    Err(bad("more than 200 header lines"))
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad HTTP response: {what:?}"))
}

fn copy_exact(reader: &mut BufReader<TcpStream>, mut left: u64, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    while left > 0 {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        sink(&buf[..n]);
        reader.consume(n);
        left -= n as u64;
    }
    Ok(())
}

fn copy_to_end(reader: &mut BufReader<TcpStream>, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let mut buf = vec![0; BUFFER];
    loop {
        match reader.read(&mut buf)? {
            0 => return Ok(()),
            n => sink(&buf[..n]),
        }
    }
}

fn read_chunked(reader: &mut BufReader<TcpStream>, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size_text = line.trim().split(';').next().unwrap_or("");
        let size = u64::from_str_radix(size_text, 16).map_err(|_| bad(&line))?;
        if size == 0 {
            // Trailers (none expected) end with an empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        copy_exact(reader, size, sink)?;
        line.clear();
        reader.read_line(&mut line)?;
    }
}

/// Logs in with a form body and returns the `Cookie:` header line for later requests.
pub fn login(addr: SocketAddr, user: &str, password: &str) -> Result<String, String> {
    let mut conn = Conn::new(addr);
    let form = format!("userName={user}&password={password}");
    let extra = "Content-Type: application/x-www-form-urlencoded\r\n";
    let mut body = Vec::new();
    let head = conn
        .send("POST", "/login.icc", extra, form.as_bytes(), &mut |b| body.extend_from_slice(b))
        .map_err(|e| format!("login request failed: {e}"))?;
    let json = envelope(&body)?;
    match head.set_cookie {
        Some(cookie) if json["code"] == 0 => Ok(format!("Cookie: {cookie}\r\n")),
        _ => Err(format!("login of {user} failed: {}", String::from_utf8_lossy(&body))),
    }
}

/// GET of a JSON endpoint whose envelope must say `code: 0`; returns `data`.
pub fn get_data(addr: SocketAddr, path: &str, cookie: &str) -> Result<serde_json::Value, String> {
    let (head, body) = Conn::new(addr).get(path, cookie).map_err(|e| format!("GET {path}: {e}"))?;
    let json = envelope(&body)?;
    if head.status != 200 || json["code"] != 0 {
        return Err(format!("GET {path}: HTTP {} {}", head.status, String::from_utf8_lossy(&body)));
    }
    Ok(json["data"].clone())
}

fn envelope(body: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(&body[..body.len().min(200)])))
}
