//! One incoming HTTP request as the handlers see it: its path, query, headers and cookies, the
//! parameters of protocol §1.3 (read from the body on first use, at most PARAM_BODY_LIMIT
//! bytes), and the raw body for uploads, every read of it watched by `http::warden` (which ends
//! a body that stalls or trickles). Before the answer, `finish_body` reads what is left of a
//! short body; a longer one is not read at all: the connection is closed after the answer.

use super::multipart::{boundary_from_content_type, MultipartReader};
use super::params::{json_object, parse_urlencoded, Params};
use super::warden::Activity;
use std::io::Read;

/// Bodies that carry parameters (forms, JSON) are read up to this size; larger ones are refused
/// (413) unless the service streams them (uploads).
pub const PARAM_BODY_LIMIT: u64 = 1 << 20;
/// Unread body bytes read and thrown away after the answer to keep the connection (as much as a
/// body of parameters may carry); with more left, the connection is closed instead.
const DRAIN_LIMIT: u64 = PARAM_BODY_LIMIT;
const DRAIN_CHUNK: usize = 64 * 1024;

pub struct Request<'r> {
    request: &'r mut tiny_http::Request,
    activity: &'r Activity,
    path: String,
    query: String,
    params: Option<Params>,
    /// True once the body reader was handed out (which answers `Expect: 100-continue`).
    body_used: bool,
    /// Body bytes read so far.
    body_read: u64,
}

/// The body of a request, each read reported to the warden.
pub struct Body<'b> {
    reader: &'b mut dyn Read,
    activity: &'b Activity,
    read: &'b mut u64,
}

impl Read for Body<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.activity.reading(|| self.reader.read(out))?;
        *self.read += n as u64;
        Ok(n)
    }
}

impl<'r> Request<'r> {
    pub fn new(request: &'r mut tiny_http::Request, activity: &'r Activity) -> Self {
        let url = request.url().to_string();
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (url, String::new()),
        };
        Request { request, activity, path, query, params: None, body_used: false, body_read: 0 }
    }

    /// The length of the request target (path and query), for the server's bounds.
    pub fn url_len(&self) -> usize {
        self.request.url().len()
    }

    /// The body length the client declared (Content-Length), if any.
    pub fn declared_body_length(&self) -> Option<u64> {
        self.header("Content-Length").and_then(|length| length.trim().parse().ok())
    }

    /// The client's address, for per-client limits and the log.
    pub fn peer(&self) -> Option<std::net::SocketAddr> {
        self.request.remote_addr().copied()
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn method(&self) -> &tiny_http::Method {
        self.request.method()
    }

    pub fn header(&self, name: &'static str) -> Option<&str> {
        self.request.headers().get(name).map(|value| value.as_str())
    }

    /// The value of cookie `name`, if the request carries a non-empty one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.header("Cookie").and_then(|header| cookie_value(header, name)).map(str::to_string)
    }

    /// Parameters from the query string only (uploadFile.icc, protocol §1.3 rule 3).
    pub fn query_params(&self) -> Params {
        Params::Pairs(parse_urlencoded(&self.query))
    }

    /// The request's parameters per protocol §1.3, reading a form or JSON body on first use.
    pub fn params(&mut self) -> &Params {
        if self.params.is_none() {
            self.params = Some(self.read_params());
        }
        self.params.get_or_insert_with(|| Params::Pairs(Vec::new()))
    }

    fn read_params(&mut self) -> Params {
        let content_type = self.header("Content-Type").unwrap_or("").to_string();
        let media_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let is_json = media_type == "application/json"
            || (media_type.starts_with("application/") && media_type.ends_with("+json"));
        if is_json {
            return Params::Json(self.read_small_body().and_then(|body| json_object(&body)));
        }
        let mut pairs = parse_urlencoded(&self.query);
        if media_type == "application/x-www-form-urlencoded" {
            pairs.extend(self.read_small_body().map(|b| parse_urlencoded(&b)).unwrap_or_default());
        } else if media_type == "multipart/form-data" {
            if let Some(boundary) = boundary_from_content_type(&content_type) {
                pairs.extend(self.read_multipart_fields(&boundary));
            }
        }
        Params::Pairs(pairs)
    }

    /// The whole body as text when it is at most PARAM_BODY_LIMIT bytes.
    fn read_small_body(&mut self) -> Option<String> {
        let mut body = Vec::new();
        self.body().take(PARAM_BODY_LIMIT + 1).read_to_end(&mut body).ok()?;
        if body.len() as u64 > PARAM_BODY_LIMIT {
            return None;
        }
        Some(String::from_utf8_lossy(&body).into_owned())
    }

    /// The non-file fields of a multipart body (file parts are skipped), bounded in size.
    fn read_multipart_fields(&mut self, boundary: &str) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        let body = self.body().take(PARAM_BODY_LIMIT);
        let mut parts = MultipartReader::new(body, boundary);
        while let Ok(Some(headers)) = parts.next_part() {
            let (Some(name), None) = (headers.name, headers.filename) else { continue };
            let mut value = Vec::new();
            if parts.part_reader().take(PARAM_BODY_LIMIT).read_to_end(&mut value).is_err() {
                break;
            }
            fields.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
        fields
    }

    /// The raw body, for the streaming upload handler.
    pub fn body(&mut self) -> Body<'_> {
        self.body_used = true;
        Body { reader: self.request.as_reader(), activity: self.activity, read: &mut self.body_read }
    }

    fn expects_continue(&self) -> bool {
        self.header("Expect").is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
    }

    /// Reads and discards what is left of a short body, in fixed-size chunks; false when the
    /// connection must be closed after the answer instead: more than DRAIN_LIMIT is left, the
    /// body stalled, or the client waits for `100 Continue` for a body nobody asked for (it would
    /// otherwise send the body later, where the next request is expected).
    pub fn finish_body(&mut self) -> bool {
        if !self.body_used && self.expects_continue() {
            return false;
        }
        let unread = self.declared_body_length().map(|declared| declared.saturating_sub(self.body_read));
        if self.activity.was_cut() || unread.is_some_and(|unread| unread > DRAIN_LIMIT) {
            return false;
        }
        if unread == Some(0) {
            return true;
        }
        let mut chunk = vec![0u8; DRAIN_CHUNK];
        let mut body = self.body().take(DRAIN_LIMIT + 1);
        let mut drained = 0;
        loop {
            match body.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => drained += n as u64,
                Err(_) => return false,
            }
        }
        drained <= DRAIN_LIMIT && !self.activity.was_cut()
    }
}

/// The value of cookie `name` in a `Cookie` header, if any.
fn cookie_value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::cookie_value;

    #[test]
    fn a_cookie_is_found_among_others_by_its_exact_name() {
        assert_eq!(cookie_value("a=1; session=abc; b=2", "session"), Some("abc"));
        assert_eq!(cookie_value("sessionx=1", "session"), None);
        assert_eq!(cookie_value("session=", "session"), None);
        assert_eq!(cookie_value("session=\"q\"", "session"), Some("q"));
    }
}
