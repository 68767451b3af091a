//! WebDAV hrefs: the request path (or a Destination header) under `/dav/` turned into the names
//! of the tree's levels, and names turned back into hrefs. A name is one percent-decoded path
//! segment; one that is empty inside the path, `.` or `..`, or holds `/`, `\`, NUL, another
//! control character or invalid UTF-8 is refused (400), so no later step ever sees one. A
//! Destination naming another host is refused as the RFC says (502). Names are compared as
//! they are; the tree decides what they mean (`resolve`).

use super::error::DavError;
use crate::http::percent;

/// Where the WebDAV tree is served.
pub const PREFIX: &str = "/dav";

/// True for the paths the WebDAV tree answers.
pub fn is_dav_path(path: &str) -> bool {
    path == PREFIX || path.strip_prefix(PREFIX).is_some_and(|rest| rest.starts_with('/'))
}

/// The names below the top of the tree that `path` (a request path, without its query) names.
pub fn names(path: &str) -> Result<Vec<String>, DavError> {
    let rest = path.strip_prefix(PREFIX).ok_or(DavError::NotFound)?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/').map(name).collect()
}

/// One path segment, decoded and checked.
fn name(segment: &str) -> Result<String, DavError> {
    let decoded = percent::decode(segment, false);
    let refused = decoded.is_empty()
        || decoded == "."
        || decoded == ".."
        || decoded.chars().any(|c| c == '/' || c == '\\' || c == '\u{FFFD}' || c.is_control());
    if refused {
        return Err(DavError::BadRequest);
    }
    Ok(decoded)
}

/// The names a Destination header names: an absolute URL on this server (`host` is the
/// request's Host header) or an absolute path, under `/dav/`.
pub fn destination(header: &str, host: Option<&str>) -> Result<Vec<String>, DavError> {
    let header = header.trim();
    let path = match header.split_once("://") {
        Some((scheme, rest)) => {
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return Err(DavError::BadRequest);
            }
            let (authority, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));
            if !host.is_some_and(|host| host.trim().eq_ignore_ascii_case(authority)) {
                return Err(DavError::BadGateway);
            }
            path
        }
        None if header.starts_with('/') => header,
        None => return Err(DavError::BadRequest),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    if !is_dav_path(path) {
        return Err(DavError::BadGateway);
    }
    names(path)
}

/// The href of the resource these names reach; collections end in `/`.
pub fn href(names: &[String], collection: bool) -> String {
    let mut out = String::from(PREFIX);
    out.push('/');
    for (i, name) in names.iter().enumerate() {
        encode_into(name, &mut out);
        if collection || i + 1 < names.len() {
            out.push('/');
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters and a few sub-delimiters
/// that are safe in a path segment (and in XML text).
fn encode_into(name: &str, out: &mut String) {
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn paths_under_the_prefix_become_decoded_names() {
        assert_eq!(names("/dav").unwrap(), Vec::<String>::new());
        assert_eq!(names("/dav/").unwrap(), Vec::<String>::new());
        assert_eq!(names("/dav/Photos/2023%20May/a.jpg").unwrap(), strings(&["Photos", "2023 May", "a.jpg"]));
        assert_eq!(names("/dav/Photos/sub/").unwrap(), strings(&["Photos", "sub"]));
        assert!(!is_dav_path("/davx"));
        assert!(is_dav_path("/dav/x"));
    }

    #[test]
    fn dot_segments_empty_segments_and_control_characters_are_refused() {
        for path in ["/dav/a/../b", "/dav/a/%2e%2e/b", "/dav/a//b", "/dav/a%2fb", "/dav/a%00", "/dav/%5c", "/dav/a%FF"]
        {
            assert_eq!(names(path), Err(DavError::BadRequest), "{path}");
        }
    }

    #[test]
    fn a_destination_must_be_on_this_server_under_the_prefix() {
        let here = Some("127.0.0.1:5000");
        assert_eq!(destination("http://127.0.0.1:5000/dav/a/b%20c", here).unwrap(), strings(&["a", "b c"]));
        assert_eq!(destination("/dav/a", here).unwrap(), strings(&["a"]));
        assert_eq!(destination("http://evil.example/dav/a", here), Err(DavError::BadGateway));
        assert_eq!(destination("http://127.0.0.1:5000/files.icc", here), Err(DavError::BadGateway));
        assert_eq!(destination("ftp://127.0.0.1:5000/dav/a", here), Err(DavError::BadRequest));
        assert_eq!(destination("dav/a", here), Err(DavError::BadRequest));
        assert_eq!(destination("/dav/a/../../etc", here), Err(DavError::BadRequest));
    }

    #[test]
    fn hrefs_encode_what_a_path_segment_cannot_hold() {
        assert_eq!(href(&strings(&["Photos", "a b#?.jpg"]), false), "/dav/Photos/a%20b%23%3F.jpg");
        assert_eq!(href(&strings(&["Photos", "sub"]), true), "/dav/Photos/sub/");
        assert_eq!(href(&[], true), "/dav/");
        assert_eq!(href(&strings(&["é&<"]), false), "/dav/%C3%A9%26%3C");
    }
}
