//! THE endpoint table (protocol §1.2), in the protocol's order, then the web gallery's own
//! paths under `/web/`: path → allowed methods, the error surface (which HTTP statuses failures
//! get) and the handler. Unknown paths get 404, known paths with another method 405 with
//! `Allow`; HEAD is answered like GET without a body. Paths under `/dav` go to the WebDAV tree,
//! which has methods of its own. A request that changes state and comes
//! from another site's page is refused before its handler (`web::origin`).

use super::context::Ctx;
use super::envelope;
use super::{account, catalogs, downloads, files, thumbnails, uploads};
use crate::dav;
use crate::error::{ApiError, Surface};
use crate::http::Reply;
use crate::http::Request;
use crate::web;
use tiny_http::Method;

type Handler = fn(&mut Ctx, &mut Request) -> Result<Reply, ApiError>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verbs {
    Get,
    Post,
    GetPost,
}

struct Endpoint {
    verbs: Verbs,
    surface: Surface,
    handler: Handler,
}

const fn endpoint(verbs: Verbs, handler: Handler) -> Endpoint {
    Endpoint { verbs, surface: Surface::Json, handler }
}

fn lookup(path: &str) -> Option<Endpoint> {
    use Verbs::*;
    Some(match path {
        "/" => endpoint(GetPost, account::index),
        "/login.icc" => endpoint(GetPost, account::login),
        "/logout.icc" => endpoint(Post, account::logout),
        "/helpInfo.icc" => endpoint(Get, account::help_info),
        "/updateHelpInfo.icc" => endpoint(Post, account::update_help_info),
        "/catalogs.icc" => endpoint(Get, catalogs::list),
        "/createCatalog.icc" => endpoint(Post, catalogs::create),
        "/deleteCatalog.icc" => endpoint(Post, catalogs::delete),
        "/updateCatalog.icc" => endpoint(Post, catalogs::update),
        "/files.icc" => endpoint(Get, files::list),
        "/thumbnail.icc" => Endpoint { verbs: Get, surface: Surface::Thumbnail, handler: thumbnails::thumbnail },
        p if has_suffix_route(p, "/downFile.ic") => {
            Endpoint { verbs: Get, surface: Surface::Download, handler: downloads::download }
        }
        "/shareFileUrl.icc" => endpoint(Get, downloads::share_url),
        p if has_suffix_route(p, "/shareFile.ic") => endpoint(Get, downloads::shared_file),
        "/uploadFileInfo.icc" => endpoint(Post, uploads::upload_file_info),
        "/uploadingInfo.icc" => endpoint(Get, files::uploading),
        "/uploadFile.icc" => endpoint(Post, uploads::upload_file),
        "/deleteFiles.icc" => endpoint(Post, files::delete),
        "/updateFile.icc" => endpoint(Post, files::update),
        // The web gallery (README: "The web gallery's endpoints").
        "/web/files.json" => endpoint(Get, web::endpoints::files),
        "/web/months.json" => endpoint(Get, web::endpoints::months),
        "/web/covers.json" => endpoint(Get, web::endpoints::covers),
        "/web/trail.json" => endpoint(Get, web::endpoints::trail),
        "/web/shared.json" => endpoint(Get, web::endpoints::shared),
        p if p.starts_with(web::PREFIX) => endpoint(Get, web::asset_or_page),
        _ => return None,
    })
}

/// `<prefix><SUFFIX>` where SUFFIX is one or more characters other than `/`.
fn has_suffix_route(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|suffix| !suffix.is_empty() && !suffix.contains('/'))
}

impl Verbs {
    fn allows(self, method: &Method) -> bool {
        match method {
            Method::Get | Method::Head => self != Verbs::Post,
            Method::Post => self != Verbs::Get,
            _ => false,
        }
    }

    fn allow_header(self) -> &'static str {
        match self {
            Verbs::Get => "GET, HEAD, OPTIONS",
            Verbs::Post => "POST, OPTIONS",
            Verbs::GetPost => "GET, HEAD, POST, OPTIONS",
        }
    }
}

/// True for requests that change state, which must not come from another site: every method
/// but GET, HEAD and OPTIONS, and the two GET endpoints that make something, a session
/// (`login.icc`) or a share key (`shareFileUrl.icc`).
fn changes_state(method: &Method, path: &str) -> bool {
    !matches!(method, Method::Get | Method::Head | Method::Options)
        || path == "/login.icc"
        || path == "/shareFileUrl.icc"
}

/// True for the endpoints whose bodies are streamed to disk rather than read as parameters.
pub fn streams_body(path: &str) -> bool {
    path == "/uploadFile.icc" || dav::href::is_dav_path(path)
}

pub fn route(ctx: &mut Ctx, request: &mut Request) -> Reply {
    if dav::href::is_dav_path(request.path()) {
        return dav::handle(ctx, request);
    }
    let Some(endpoint) = lookup(request.path()) else {
        return Reply::text(404, "Not Found");
    };
    let allow = Some(endpoint.verbs.allow_header());
    if *request.method() == Method::Options {
        return Reply::Text { status: 200, body: "", content_type: "text/plain; charset=utf-8", allow };
    }
    if !endpoint.verbs.allows(request.method()) {
        return Reply::Text {
            status: 405,
            body: "Method Not Allowed",
            content_type: "text/plain; charset=utf-8",
            allow,
        };
    }
    // §4.1's extension: a browser navigating to `/` gets the gallery.
    if request.path() == "/" && *request.method() != Method::Post && web::wants_page(request) {
        return web::page(request);
    }
    if changes_state(request.method(), request.path()) && web::origin::is_cross_site(request) {
        log::warn!("refused a cross-site {} {}", request.method(), request.path());
        return envelope::error(crate::error::ApiError::CrossSite, endpoint.surface);
    }
    (endpoint.handler)(ctx, request).unwrap_or_else(|error| envelope::error(error, endpoint.surface))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_routes_need_a_non_empty_suffix_without_slashes() {
        assert!(has_suffix_route("/downFile.icc", "/downFile.ic"));
        assert!(has_suffix_route("/downFile.icc.mp4", "/downFile.ic"));
        assert!(has_suffix_route("/downFile.icX", "/downFile.ic"));
        assert!(!has_suffix_route("/downFile.ic", "/downFile.ic"));
        assert!(!has_suffix_route("/downFile.icc/x", "/downFile.ic"));
    }

    #[test]
    fn unknown_paths_are_not_routed_and_paths_are_case_sensitive() {
        assert!(lookup("/Login.icc").is_none());
        assert!(lookup("/login.icc/").is_none());
        assert!(lookup("/login.icc").is_some());
    }

    #[test]
    fn only_reads_are_free_of_the_cross_site_check() {
        assert!(!changes_state(&Method::Get, "/files.icc"));
        assert!(!changes_state(&Method::Head, "/downFile.icc"));
        assert!(changes_state(&Method::Post, "/files.icc"));
        assert!(changes_state(&Method::Get, "/login.icc"));
        assert!(changes_state(&Method::Get, "/shareFileUrl.icc"));
        assert!(changes_state(&Method::Put, "/x"));
    }
}
