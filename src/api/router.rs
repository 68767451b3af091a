//! THE endpoint table (protocol §1.2), in the protocol's order: path → allowed methods, the
//! error surface (which HTTP statuses failures get) and the handler. Unknown paths get 404,
//! known paths with another method 405 with `Allow`; HEAD is answered like GET without a body.

use super::context::Ctx;
use super::envelope;
use super::{account, catalogs, downloads, files, thumbnails, uploads};
use crate::error::{ApiError, Surface};
use crate::http::Reply;
use crate::http::Request;
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

/// True for the endpoints whose bodies are streamed to disk rather than read as parameters.
pub fn streams_body(path: &str) -> bool {
    path == "/uploadFile.icc"
}

pub fn route(ctx: &mut Ctx, request: &mut Request) -> Reply {
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
}
