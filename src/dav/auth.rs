//! Who a WebDAV request comes from: HTTP Basic credentials (RFC 7617) checked as `login.icc`
//! checks them, through the login guard and its rate limits, with pairs that verified
//! remembered for a short while (`state::credentials`) so a client's stream of requests does not
//! pay a PBKDF2 verification each; else the gallery's session cookie, so a logged-in browser can
//! open files under `/dav/` too. Basic sends the password with every request: README says how to
//! put iSync behind HTTPS when it leaves the home network.

use super::error::DavError;
use crate::api::account::check_login;
use crate::api::context::{Ctx, Viewer};
use crate::clock;
use crate::db;
use crate::fs::default_root::ensure_root;
use crate::http::Request;

/// The user of the request and the roots they may see.
pub fn viewer(ctx: &mut Ctx, request: &Request) -> Result<Viewer, DavError> {
    let Some((name, password)) = request.header("Authorization").and_then(basic_credentials) else {
        return ctx.authenticate(request).map_err(|_| DavError::Unauthorized);
    };
    let now = clock::unix_now();
    let user_id = match ctx.app.credentials.user_of(&name, &password, now) {
        Some(user_id) if db::users::exists(ctx.db, user_id)? => user_id,
        _ => {
            let address = request.peer().map(|peer| peer.ip());
            let user = check_login(ctx, address, &name, &password).map_err(|_| DavError::Unauthorized)?;
            ensure_root(ctx.db, &ctx.app.config, user.id)?;
            ctx.app.credentials.remember(&name, &password, user.id, now);
            user.id
        }
    };
    let roots = db::users::root_ids(ctx.db, user_id)?;
    Ok(Viewer { user_id, roots })
}

/// The name and password of a `Basic` Authorization header.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (name, password) = decoded.split_once(':')?;
    Some((name.to_string(), password.to_string()))
}

/// Standard base64 (RFC 4648 §4), padding optional; None for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 || text.len() > 4096 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for &c in text.as_bytes() {
        bits = (bits << 6) | u32::from(value(c)?);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded_and_other_schemes_ignored() {
        assert_eq!(basic_credentials("Basic dGVycnk6MTIz"), Some(("terry".into(), "123".into())));
        assert_eq!(basic_credentials("basic dGVycnk6YTpi"), Some(("terry".into(), "a:b".into())));
        assert_eq!(basic_credentials("Bearer dGVycnk6MTIz"), None);
        assert_eq!(basic_credentials("Basic ***"), None);
        assert_eq!(basic_credentials("Basic dGVycnk"), None, "no colon");
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI").unwrap(), b"ab");
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert_eq!(base64_decode("Y"), None);
    }
}
