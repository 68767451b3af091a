//! WebDAV (RFC 4918, class 1 and 2) under `/dav/`: phones back up into the library with the
//! apps they already have, and laptops mount it as a drive. Each user sees their own tree
//! (`resolve`): their roots at the top, then the catalogs and files `catalogs.icc` and
//! `files.icc` show, by display name. Every request is authenticated (`auth`: Basic, or the
//! gallery's session), its href decoded and checked (`href`), and what changes state is
//! refused from another site's page. Then one module per method family: `propfind`,
//! `proppatch`, `write` (GET, PUT, MKCOL, DELETE), `copymove`, `locking` (LOCK, UNLOCK, If).
//! Failures are `DavError`s, mapped onto statuses in `error` only. Writes change the disk and
//! the catalog together, through the code the API and the scanner use.

mod auth;
mod copymove;
mod error;
pub mod href;
mod locking;
mod propfind;
mod proppatch;
mod resolve;
mod write;
mod xml;

use crate::api::context::Ctx;
use crate::http::{Reply, Request};
use error::DavError;
use resolve::Resource;
use std::io::Read;

/// The methods the tree answers, for OPTIONS and 405s.
const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK";
/// Largest XML body read (PROPFIND, PROPPATCH, LOCK).
const XML_BODY_LIMIT: u64 = 256 * 1024;

/// A request's target: the names its href decodes to, what they reach (None when a level above
/// the last is not a folder), and its Depth header (lower case).
pub struct Target {
    pub names: Vec<String>,
    pub resource: Option<Resource>,
    pub depth: Option<String>,
}

impl Target {
    /// The target's name in the lock table.
    pub fn key(&self) -> String {
        key_of(&self.names)
    }
}

/// The lock table's name of the resource these names reach: `/Root/sub/file`.
pub fn key_of(names: &[String]) -> String {
    names.iter().map(|name| format!("/{name}")).collect()
}

/// Answers a request whose path is under `/dav` (`href::is_dav_path`).
pub fn handle(ctx: &mut Ctx, request: &mut Request) -> Reply {
    serve(ctx, request).unwrap_or_else(|error| {
        let mut headers = Vec::new();
        match error {
            DavError::Unauthorized => {
                headers.push(("WWW-Authenticate", "Basic realm=\"iSync\", charset=\"UTF-8\"".to_string()))
            }
            DavError::MethodNotAllowed => headers.push(("Allow", ALLOW.to_string())),
            _ => {}
        }
        let body = error.body();
        let content_type = if body.is_empty() { "text/plain; charset=utf-8" } else { "application/xml; charset=utf-8" };
        Reply::Bytes { status: error.status(), body: body.as_bytes().to_vec(), content_type, headers }
    })
}

fn serve(ctx: &mut Ctx, request: &mut Request) -> Result<Reply, DavError> {
    let method = request.method().as_str().to_ascii_uppercase();
    if method == "OPTIONS" {
        return Ok(empty(200)
            .with_header("DAV", "1, 2".to_string())
            .with_header("Allow", ALLOW.to_string())
            .with_header("MS-Author-Via", "DAV".to_string()));
    }
    let names = href::names(request.path())?;
    let viewer = auth::viewer(ctx, request)?;
    let reads = matches!(method.as_str(), "GET" | "HEAD" | "PROPFIND");
    if !reads && crate::web::origin::is_cross_site(request) {
        log::warn!("refused a cross-site WebDAV {method} {}", crate::logging::shown(request.path()));
        return Err(DavError::Forbidden);
    }
    let resource = resolve::resolve(ctx, &viewer, &names)?;
    let depth = request.header("Depth").map(|depth| depth.trim().to_ascii_lowercase());
    let target = Target { names, resource, depth };
    match method.as_str() {
        "GET" | "HEAD" => write::get(ctx, &target, request),
        "PUT" => write::put(ctx, &target, request),
        "MKCOL" => write::mkcol(ctx, &target, request),
        "DELETE" => write::delete(ctx, &viewer, &target, request),
        "COPY" => copymove::copy_or_move(ctx, &viewer, &target, request, false),
        "MOVE" => copymove::copy_or_move(ctx, &viewer, &target, request, true),
        "PROPFIND" => {
            let body = xml_body(request)?;
            propfind::propfind(ctx, &viewer, &target, &body)
        }
        "PROPPATCH" => {
            let body = xml_body(request)?;
            proppatch::proppatch(ctx, &target, request, &body)
        }
        "LOCK" => {
            let body = xml_body(request)?;
            locking::lock(ctx, &target, request, &body)
        }
        "UNLOCK" => locking::unlock(ctx, &target, request),
        _ => Err(DavError::MethodNotAllowed),
    }
}

/// A reply without a body.
pub fn empty(status: u16) -> Reply {
    Reply::Bytes { status, body: Vec::new(), content_type: "text/plain; charset=utf-8", headers: Vec::new() }
}

/// The request's XML body, at most XML_BODY_LIMIT bytes of UTF-8.
fn xml_body(request: &mut Request) -> Result<String, DavError> {
    if request.declared_body_length().is_some_and(|length| length > XML_BODY_LIMIT) {
        return Err(DavError::TooLarge);
    }
    let mut body = Vec::new();
    request.body().take(XML_BODY_LIMIT + 1).read_to_end(&mut body).map_err(|_| DavError::BadRequest)?;
    if body.len() as u64 > XML_BODY_LIMIT {
        return Err(DavError::TooLarge);
    }
    String::from_utf8(body).map_err(|_| DavError::BadRequest)
}
