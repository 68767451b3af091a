//! PROPPATCH (RFC 4918 §9.2): the modification time is honoured (`DAV:getlastmodified`, and
//! Windows' `Win32LastModifiedTime`), so clients that set it after an upload see it kept; the
//! live properties that only the server sets are refused (403, the rest of the request then
//! 424 as the RFC asks); every other property of a folder or a cataloged file is kept as a
//! dead property (`db::dav`, at most MAX_PROPERTIES each) and given back by PROPFIND. The top
//! and loose files keep none but are answered 200 all the same: refusing a property makes
//! clients retry their uploads in a loop.

use super::error::DavError;
use super::locking::check_write;
use super::propfind::empty_element;
use super::resolve::Resource;
use super::{write, xml, Target};
use crate::api::context::Ctx;
use crate::clock;
use crate::db::{self, dav::Owner};
use crate::fs::open::Mode;
use crate::http::Reply;
use crate::http::Request;
use std::time::{Duration, UNIX_EPOCH};

const PROTECTED: [&str; 6] =
    ["resourcetype", "getcontentlength", "getetag", "lockdiscovery", "supportedlock", "getcontenttype"];

pub fn proppatch(ctx: &Ctx, target: &Target, request: &Request, body: &str) -> Result<Reply, DavError> {
    let resource = target.resource.as_ref().filter(|r| r.exists()).ok_or(DavError::NotFound)?;
    check_write(ctx, request, target, &[])?;
    let update = xml::parse(body)?;
    if !update.is("propertyupdate") {
        return Err(DavError::BadRequest);
    }
    let mut props = Vec::new();
    for action in &update.children {
        let setting = action.is("set");
        if !setting && !action.is("remove") {
            continue;
        }
        for prop in action.child("prop").map_or(&[][..], |p| &p.children[..]) {
            props.push((setting, prop));
        }
    }
    let refused = props.iter().any(|(_, p)| p.ns == "DAV:" && PROTECTED.contains(&p.name.as_str()));
    let mut statuses = Vec::new();
    for (i, (setting, prop)) in props.iter().enumerate() {
        let protected = prop.ns == "DAV:" && PROTECTED.contains(&prop.name.as_str());
        let status = if protected {
            "403 Forbidden"
        } else if refused {
            "424 Failed Dependency"
        } else {
            if *setting && is_modification_time(prop) {
                let time = clock::parse_http_date(&prop.text).ok_or(DavError::BadRequest)?;
                set_mtime(ctx, resource, time)?;
            }
            if !keep(ctx, resource, setting.then(|| prop.inner_xml()).as_deref(), prop)? {
                "507 Insufficient Storage"
            } else {
                "200 OK"
            }
        };
        statuses.push((empty_element(&prop.ns, &prop.name, i), status));
    }
    let mut text = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">");
    text.push_str(&format!(
        "<D:response><D:href>{}</D:href>",
        xml::escape(&super::href::href(&target.names, resource.is_collection()))
    ));
    for (element, status) in statuses {
        text.push_str(&format!(
            "<D:propstat><D:prop>{element}</D:prop><D:status>HTTP/1.1 {status}</D:status></D:propstat>"
        ));
    }
    text.push_str("</D:response></D:multistatus>\n");
    Ok(Reply::Bytes {
        status: 207,
        body: text.into_bytes(),
        content_type: "application/xml; charset=utf-8",
        headers: Vec::new(),
    })
}

/// Keeps (or with no value, forgets) a dead property of a folder or a file; false when the
/// resource keeps as many as it may. The top and loose files keep none: answered all the same.
fn keep(ctx: &Ctx, resource: &Resource, value: Option<&str>, prop: &xml::Element) -> Result<bool, DavError> {
    let owner = match resource {
        Resource::Folder(folder) => Owner::Catalog(folder.id),
        Resource::File(row) => Owner::File(row.id),
        _ => return Ok(true),
    };
    Ok(db::dav::set_property(ctx.db, owner, &prop.ns, &prop.name, value)?)
}

fn is_modification_time(prop: &xml::Element) -> bool {
    prop.is("getlastmodified") || (prop.name == "Win32LastModifiedTime" && prop.ns == "urn:schemas-microsoft-com:")
}

/// Gives a file resource modification time `time` (Unix seconds); folders keep theirs.
fn set_mtime(ctx: &Ctx, resource: &Resource, time: i64) -> Result<(), DavError> {
    let (dir, name) = match resource {
        Resource::File(row) => {
            let dir = crate::db::catalogs::by_id(ctx.db, row.real_catalog_id)?.ok_or(DavError::NotFound)?;
            (dir, row.file_name.clone())
        }
        Resource::Loose { dir, name } => (dir.clone(), name.clone()),
        _ => return Ok(()),
    };
    let seconds = u64::try_from(time).map_err(|_| DavError::BadRequest)?;
    let file = write::open_inside(ctx, &dir, &name, Mode::Write)?;
    file.set_modified(UNIX_EPOCH + Duration::from_secs(seconds))?;
    write::take_in(ctx, &dir, &name)
}
