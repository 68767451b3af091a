//! LOCK and UNLOCK (RFC 4918 §9.10–9.11), the `If` header (§10.4) and the rule that a write to
//! a locked resource must submit the lock's token (§7). Locks themselves are kept in
//! `state::dav_locks`. A LOCK of a name that does not exist yet makes an empty loose file there
//! (201), which is what clients that lock before they write (Finder) expect; the scanner leaves
//! 0-byte files for the write that follows. Write locks only, exclusive or shared, depth 0 or
//! infinity.

use super::error::DavError;
use super::resolve::{self, Resource};
use super::{href, xml, Target};
use crate::api::context::Ctx;
use crate::clock;
use crate::http::{Reply, Request};
use crate::state::dav_locks::{Lock, Refused, MAX_TIMEOUT};

/// The `supportedlock` property every resource has.
pub const SUPPORTED_LOCK: &str = "<D:supportedlock>\
<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>\
<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>\
</D:supportedlock>";

/// Timeout of a lock whose request names none.
const DEFAULT_TIMEOUT: u64 = 600;

pub fn lock(ctx: &Ctx, target: &Target, request: &Request, body: &str) -> Result<Reply, DavError> {
    let now = clock::unix_now();
    let timeout = timeout(request.header("Timeout"));
    let key = target.key();
    if body.trim().is_empty() {
        // A refresh: the If header names the lock.
        let conditions = parse_if(request.header("If").unwrap_or(""))?;
        let refreshed = submitted_tokens(&conditions)
            .iter()
            .find_map(|token| ctx.app.dav_locks.refresh(token, &key, timeout, now))
            .ok_or(DavError::PreconditionFailed)?;
        return Ok(lock_reply(200, &refreshed));
    }
    let info = xml::parse(body)?;
    let scope = info.child("lockscope").ok_or(DavError::BadRequest)?;
    let exclusive = scope.child("exclusive").is_some();
    if !exclusive && scope.child("shared").is_none() || info.child("locktype").and_then(|t| t.child("write")).is_none()
    {
        return Err(DavError::BadRequest);
    }
    let deep = match target.depth.as_deref() {
        None | Some("infinity") => true,
        Some("0") => false,
        Some(_) => return Err(DavError::BadRequest),
    };
    let owner = info.child("owner").map(owner_xml).unwrap_or_default();
    let resource = target.resource.as_ref().ok_or(DavError::Conflict)?;
    if matches!(resource, Resource::Taken) {
        return Err(DavError::Forbidden);
    }
    if !resource.exists() {
        // A new member of a locked collection needs the collection's token; a lock of an
        // existing resource only has to agree with the locks already on it (below).
        check_write(ctx, request, target, &[(parent_key(&target.names), false)])?;
    }
    let granted =
        ctx.app.dav_locks.grant(&key, deep, exclusive, owner, timeout, now).map_err(|refused| match refused {
            Refused::Conflict => DavError::Locked,
            Refused::Full => DavError::InsufficientStorage,
        })?;
    let mut status = 200;
    if let Resource::Absent { parent, name } = resource {
        let made = resolve::disk_path(parent, name).and_then(|path| {
            std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(DavError::from)
        });
        if let Err(e) = made {
            ctx.app.dav_locks.release(&granted.token, &key, now);
            return Err(e);
        }
        status = 201;
    }
    Ok(lock_reply(status, &granted))
}

pub fn unlock(ctx: &Ctx, target: &Target, request: &Request) -> Result<Reply, DavError> {
    let token =
        request.header("Lock-Token").map(|t| t.trim().trim_start_matches('<').trim_end_matches('>').to_string());
    let token = token.filter(|t| !t.is_empty()).ok_or(DavError::BadRequest)?;
    if ctx.app.dav_locks.release(&token, &target.key(), clock::unix_now()) {
        Ok(super::empty(204))
    } else {
        Err(DavError::Conflict)
    }
}

fn lock_reply(status: u16, lock: &Lock) -> Reply {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:prop xmlns:D=\"DAV:\">{}</D:prop>\n",
        discovery(std::slice::from_ref(lock))
    );
    Reply::Bytes {
        status,
        body: body.into_bytes(),
        content_type: "application/xml; charset=utf-8",
        headers: vec![("Lock-Token", format!("<{}>", lock.token))],
    }
}

/// The `lockdiscovery` property of a resource with these locks.
pub fn discovery(locks: &[Lock]) -> String {
    let mut out = String::from("<D:lockdiscovery>");
    for lock in locks {
        let names: Vec<String> = lock.path.split('/').filter(|n| !n.is_empty()).map(str::to_string).collect();
        out.push_str(&format!(
            "<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:{}/></D:lockscope>\
             <D:depth>{}</D:depth><D:owner>{}</D:owner><D:timeout>Second-{}</D:timeout>\
             <D:locktoken><D:href>{}</D:href></D:locktoken><D:lockroot><D:href>{}</D:href></D:lockroot></D:activelock>",
            if lock.exclusive { "exclusive" } else { "shared" },
            if lock.deep { "infinity" } else { "0" },
            lock.owner,
            lock.expires.saturating_sub(clock::unix_now()),
            xml::escape(&lock.token),
            xml::escape(&href::href(&names, false)),
        ));
    }
    out.push_str("</D:lockdiscovery>");
    out
}

/// The owner element's content written back as XML: its text, or its child elements' texts.
fn owner_xml(owner: &xml::Element) -> String {
    let mut out = xml::escape(owner.text.trim());
    for child in &owner.children {
        let text = xml::escape(child.text.trim());
        if child.ns == "DAV:" {
            out.push_str(&format!("<D:{0}>{text}</D:{0}>", child.name));
        } else {
            out.push_str(&format!("<o:{0} xmlns:o=\"{1}\">{text}</o:{0}>", child.name, xml::escape(&child.ns)));
        }
    }
    out
}

/// Seconds asked for by a Timeout header (`Second-N`, `Infinite`, a list of them).
fn timeout(header: Option<&str>) -> u64 {
    let Some(header) = header else { return DEFAULT_TIMEOUT };
    for part in header.split(',').map(str::trim) {
        if part.eq_ignore_ascii_case("infinite") {
            return MAX_TIMEOUT;
        }
        if let Some(seconds) = part.strip_prefix("Second-").and_then(|s| s.parse::<u64>().ok()) {
            return seconds.min(MAX_TIMEOUT);
        }
    }
    DEFAULT_TIMEOUT
}

/// The key of the collection that holds the resource at `names`.
pub fn parent_key(names: &[String]) -> String {
    super::key_of(&names[..names.len().saturating_sub(1)])
}

/// One condition of an If header's list.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Token { not: bool, token: String },
    Etag { not: bool, etag: String },
}

/// An If header's lists, each with the resource it is tagged with (as a key), if any.
type Lists = Vec<(Option<String>, Vec<Condition>)>;

fn parse_if(header: &str) -> Result<Lists, DavError> {
    let mut lists = Vec::new();
    let mut tag = None;
    let mut rest = header.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or(DavError::BadRequest)?;
            let uri = &after[..end];
            let path = uri.split_once("://").map_or(uri, |(_, r)| r.find('/').map_or("/", |at| &r[at..]));
            tag = Some(href::names(path).map(|names| super::key_of(&names)).unwrap_or_else(|_| uri.to_string()));
            rest = after[end + 1..].trim_start();
        } else if let Some(after) = rest.strip_prefix('(') {
            let end = after.find(')').ok_or(DavError::BadRequest)?;
            lists.push((tag.clone(), conditions(&after[..end])?));
            rest = after[end + 1..].trim_start();
        } else {
            return Err(DavError::BadRequest);
        }
    }
    Ok(lists)
}

fn conditions(mut text: &str) -> Result<Vec<Condition>, DavError> {
    let mut found = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            break;
        }
        let not = text.len() >= 3 && text[..3].eq_ignore_ascii_case("not");
        if not {
            text = text[3..].trim_start();
        }
        let (close, make): (char, fn(bool, String) -> Condition) = match text.chars().next() {
            Some('<') => ('>', |not, token| Condition::Token { not, token }),
            Some('[') => (']', |not, etag| Condition::Etag { not, etag }),
            _ => return Err(DavError::BadRequest),
        };
        let end = text.find(close).ok_or(DavError::BadRequest)?;
        found.push(make(not, text[1..end].trim().to_string()));
        text = &text[end + 1..];
    }
    if found.is_empty() {
        return Err(DavError::BadRequest);
    }
    Ok(found)
}

/// The lock tokens an If header submits.
fn submitted_tokens(lists: &Lists) -> Vec<String> {
    lists
        .iter()
        .flat_map(|(_, conditions)| conditions)
        .filter_map(|c| match c {
            Condition::Token { not: false, token } => Some(token.clone()),
            _ => None,
        })
        .collect()
}

/// The checks every write makes before it changes anything: the If header, when there is one,
/// must hold for the target (else 412), and every lock on the target, on what lies below it
/// when it is a collection, and on the `extra` keys (the parent collection whose membership
/// changes, a destination; `true`: with what lies below) must have its token submitted (423).
pub fn check_write(ctx: &Ctx, request: &Request, target: &Target, extra: &[(String, bool)]) -> Result<(), DavError> {
    let now = clock::unix_now();
    let lists = parse_if(request.header("If").unwrap_or(""))?;
    let key = target.key();
    if !lists.is_empty() {
        let etag = target.resource.as_ref().and_then(|r| etag_of(ctx, r));
        let holds = lists.iter().any(|(tag, conditions)| {
            let on = tag.as_deref().unwrap_or(&key);
            let etag = if on == key { etag.as_deref() } else { None };
            conditions.iter().all(|c| match c {
                Condition::Token { not, token } => {
                    *not != ctx.app.dav_locks.covering(on, now).iter().any(|l| l.token == *token)
                }
                Condition::Etag { not, etag: wanted } => *not != (etag == Some(wanted.as_str())),
            })
        });
        if !holds {
            return Err(DavError::PreconditionFailed);
        }
    }
    let submitted = submitted_tokens(&lists);
    let deep = target.resource.as_ref().is_some_and(Resource::is_collection);
    let mut affected = vec![(key, deep)];
    affected.extend(extra.iter().cloned());
    for (key, deep) in affected {
        let locks = if deep { ctx.app.dav_locks.within(&key, now) } else { ctx.app.dav_locks.covering(&key, now) };
        if locks.iter().any(|lock| !submitted.contains(&lock.token)) {
            return Err(DavError::Locked);
        }
    }
    Ok(())
}

/// The ETag of a file resource, as GET and PROPFIND give it.
fn etag_of(ctx: &Ctx, resource: &Resource) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let path = match resource {
        Resource::File(row) => resolve::file_path(ctx, row).ok()?,
        Resource::Loose { dir, name } => resolve::disk_path(dir, name).ok()?,
        _ => return None,
    };
    let metadata = std::fs::symlink_metadata(path).ok()?;
    Some(format!("\"{}-{}\"", metadata.len(), metadata.mtime()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_headers_parse_into_tagged_and_untagged_lists() {
        let lists = parse_if("(<opaquelocktoken:a> [\"1-2\"]) (Not <DAV:no-lock>)").unwrap();
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].1[0], Condition::Token { not: false, token: "opaquelocktoken:a".into() });
        assert_eq!(lists[0].1[1], Condition::Etag { not: false, etag: "\"1-2\"".into() });
        assert_eq!(lists[1].1[0], Condition::Token { not: true, token: "DAV:no-lock".into() });
        let tagged = parse_if("<http://h/dav/R/a%20b> (<opaquelocktoken:x>)").unwrap();
        assert_eq!(tagged[0].0.as_deref(), Some("/R/a b"));
        assert_eq!(submitted_tokens(&tagged), vec!["opaquelocktoken:x".to_string()]);
        for broken in ["(", "(<a>", "()", "x", "(<a> junk)"] {
            assert_eq!(parse_if(broken), Err(DavError::BadRequest), "{broken}");
        }
    }

    #[test]
    fn timeouts_are_read_and_capped() {
        assert_eq!(timeout(None), DEFAULT_TIMEOUT);
        assert_eq!(timeout(Some("Second-30")), 30);
        assert_eq!(timeout(Some("Infinite, Second-30")), MAX_TIMEOUT);
        assert_eq!(timeout(Some("Second-999999")), MAX_TIMEOUT);
    }
}
