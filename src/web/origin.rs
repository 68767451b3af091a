//! Cross-site request forgery: a page on another site must not make a logged-in browser change
//! anything here. Browsers name the page a request comes from (`Origin` on every POST and on
//! cross-origin fetches; `Sec-Fetch-Site` on every request of a current browser); a request
//! that carries either and comes from elsewhere is refused. The iOS client, curl and other
//! programs send neither header and are unaffected. The session cookie is also `SameSite=Lax`,
//! which keeps it off other sites' form posts in the browsers that honour it; this check does
//! not depend on that.

use crate::http::Request;

/// True when the request comes from a page of another origin (or an opaque one, `Origin:
/// null`), as far as the browser says so.
pub fn is_cross_site(request: &Request) -> bool {
    if let Some(origin) = request.header("Origin") {
        let host = request.header("Host").unwrap_or("");
        let authority = origin.trim().split_once("://").map(|(_, authority)| authority.trim_end_matches('/'));
        return !authority.is_some_and(|authority| !host.is_empty() && authority.eq_ignore_ascii_case(host.trim()));
    }
    request.header("Sec-Fetch-Site").is_some_and(|site| {
        let site = site.trim();
        site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site")
    })
}
