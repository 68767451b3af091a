//! The web gallery: the page a browser gets for `GET /` (protocol §4.1's extension) and for
//! the gallery's own places under `/web/` (a folder, the timeline, a share link), the embedded
//! assets (`assets`), the page's JSON endpoints beyond §4 (`endpoints`), and the check that
//! keeps other sites' pages from changing anything (`origin`). The page talks to the §4 API
//! like any client; nothing here changes a §4 answer.
//!
//! Every HTML answer carries a Content-Security-Policy that allows only this origin's scripts
//! and styles (nothing inline), no framing and no referrer (share links carry their key).

pub mod assets;
pub mod endpoints;
pub mod origin;

use crate::error::ApiError;
use crate::http::{Reply, Request};

/// Where the gallery's assets are served: `/web/<version>/<name>`.
pub const PREFIX: &str = "/web/";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
    media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Assets never change under their versioned name.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

/// The paths under `/web/` that are places of the page (reloading one shows that place).
const PAGE_PLACES: &[&str] = &["login", "c/", "timeline", "s/"];

/// True when a browser navigates here: its `Accept` includes `text/html`.
pub fn wants_page(request: &Request) -> bool {
    request.header("Accept").is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"))
}

/// The gallery's page.
pub fn page(request: &Request) -> Reply {
    let etag = format!("\"{}\"", assets::version());
    served(request, None, assets::page(), "text/html; charset=utf-8", &etag)
        .with_header("Cache-Control", "no-cache".into())
        .with_header("Vary", "Accept, Accept-Encoding".into())
        .with_header("Content-Security-Policy", CSP.into())
        .with_header("Referrer-Policy", "no-referrer".into())
        .with_header("X-Frame-Options", "DENY".into())
}

/// `GET /web/…` that is not one of the JSON endpoints: an asset of this version, or a place
/// of the page; anything else is not found.
pub fn asset_or_page(_ctx: &mut crate::api::context::Ctx, request: &mut Request) -> Result<Reply, ApiError> {
    let rest = request.path().strip_prefix(PREFIX).unwrap_or("");
    if let Some((version, name)) = rest.split_once('/') {
        if version == assets::version() {
            if let Some((index, asset)) = assets::find(name) {
                let etag = format!("\"{version}\"");
                return Ok(served(request, Some(index), asset.body, asset.content_type, &etag)
                    .with_header("Cache-Control", ASSET_CACHE.into())
                    .with_header("Vary", "Accept-Encoding".into()));
            }
        }
    }
    if PAGE_PLACES.iter().any(|place| rest.starts_with(place)) && wants_page(request) {
        return Ok(page(request));
    }
    Ok(Reply::text(404, "Not Found"))
}

/// A body from memory, gzipped when the client takes it, or 304 when it has this version.
fn served(request: &Request, index: Option<usize>, body: &[u8], content_type: &'static str, etag: &str) -> Reply {
    let fresh = request.header("If-None-Match").is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let gzip = request.header("Accept-Encoding").is_some_and(|codings| {
        codings.split(',').any(|coding| coding.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("gzip"))
    });
    let (status, body) = match (fresh, gzip) {
        (true, _) => (304, Vec::new()),
        (false, true) => (200, assets::gzipped(index).to_vec()),
        (false, false) => (200, body.to_vec()),
    };
    let mut reply = Reply::Bytes { status, body, content_type, headers: Vec::new() }
        .with_header("ETag", etag.to_string())
        .with_header("X-Content-Type-Options", "nosniff".into());
    if gzip && !fresh {
        reply = reply.with_header("Content-Encoding", "gzip".into());
    }
    reply
}
