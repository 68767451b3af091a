//! A deliberately small HTTP/1.1 client for the tests: one connection per request
//! (`Connection: close`), a cookie jar of one cookie (`session`), raw access to status, headers
//! and body, and a way to send arbitrary bytes for hostile-input tests.

use std::io::{Read, Write};
use std::net::TcpStream;
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
}

#[derive(Clone)]
pub struct Client {
    pub addr: String,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client { addr: addr.to_string(), cookie: None }
    }

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
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        if let Some(cookie) = &self.cookie {
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
        let response = self.raw(&bytes);
        self.remember_cookie(&response);
        response
    }

    fn remember_cookie(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("Set-Cookie") {
                if let Some(token) = value.strip_prefix("session=").and_then(|v| v.split(';').next()) {
                    self.cookie = (!token.is_empty()).then(|| token.to_string());
                }
            }
        }
    }

    /// Sends raw bytes and reads the response until the server closes the connection.
    pub fn raw(&self, bytes: &[u8]) -> Response {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        stream.write_all(bytes).expect("send request");
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).expect("read response");
        parse_response(&reply)
    }
}

pub fn parse_response(bytes: &[u8]) -> Response {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| {
        panic!("no header end in response: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)]))
    });
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
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
