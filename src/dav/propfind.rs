//! PROPFIND (RFC 4918 §9.1): the properties of a resource (Depth 0) or of it and its members
//! (Depth 1); Depth infinity is refused with `propfind-finite-depth`, a missing Depth header is
//! taken as 1 (what clients that leave it out expect). Live properties only, the few clients
//! use: resourcetype, getcontentlength, getlastmodified, getetag (the download's ETag),
//! getcontenttype, creationdate, displayname, supportedlock and lockdiscovery; anything else asked
//! for is answered 404 in its own propstat. The answer is streamed: the members are read first
//! (names, sizes and times, not XML), the multistatus written as it is sent.

use super::error::DavError;
use super::resolve::{self, Member, Resource};
use super::{href, locking, xml, Target};
use crate::api::context::{Ctx, Viewer};
use crate::clock;
use crate::db::catalogs::Catalog;
use crate::db::dav::Owner;
use crate::http::Reply;
use crate::media::kind::content_type_for_name;
use crate::state::dav_locks::Lock;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What the client asked for.
#[derive(Debug, Clone)]
enum Wanted {
    All,
    Names,
    Some(Vec<(String, String)>),
}

/// The live properties, in the order they are written.
const LIVE: [&str; 9] = [
    "resourcetype",
    "getcontentlength",
    "getlastmodified",
    "getetag",
    "getcontenttype",
    "creationdate",
    "displayname",
    "supportedlock",
    "lockdiscovery",
];

/// One resource of the answer, as read before the XML is written.
struct Entry {
    href: String,
    name: String,
    collection: bool,
    size: u64,
    mtime: i64,
    ctime: i64,
    locks: Vec<Lock>,
    /// Whose dead properties these are, and those wanted, read once the entries are known.
    owner: Option<Owner>,
    dead: Vec<(String, String, String)>,
}

pub fn propfind(ctx: &Ctx, viewer: &Viewer, target: &Target, body: &str) -> Result<Reply, DavError> {
    let deep = match target.depth.as_deref() {
        Some("0") => false,
        Some("1") | None => true,
        Some(_) => return Err(DavError::InfiniteDepth),
    };
    let wanted = wanted(body)?;
    let resource = target.resource.as_ref().ok_or(DavError::NotFound)?;
    let locks = ctx.app.dav_locks.within(&target.key(), clock::unix_now());
    let mut entries = Vec::new();
    match resource {
        Resource::Top => {
            entries.push(folder_entry(&target.names, None, &locks));
            if deep {
                for root in resolve::roots(ctx, viewer)? {
                    let names = with(&target.names, &root.display_name());
                    entries.push(folder_entry(&names, Some(&root), &locks));
                }
            }
        }
        Resource::Folder(folder) => {
            entries.push(folder_entry(&target.names, Some(folder), &locks));
            if deep {
                for member in resolve::members(ctx, viewer, folder)? {
                    let names = with(&target.names, &member.name());
                    entries.extend(member_entry(ctx, folder, member, names, &locks));
                }
            }
        }
        Resource::File(row) => {
            let path = resolve::file_path(ctx, row)?;
            entries.push(file_entry(&target.names, &path, Some(row.id), &locks).ok_or(DavError::NotFound)?);
        }
        Resource::Loose { dir, name } => {
            let path = resolve::disk_path(dir, name)?;
            entries.push(file_entry(&target.names, &path, None, &locks).ok_or(DavError::NotFound)?);
        }
        Resource::Taken | Resource::Absent { .. } => return Err(DavError::NotFound),
    }
    if wants_dead(&wanted) {
        for entry in &mut entries {
            if let Some(owner) = entry.owner {
                entry.dead = crate::db::dav::properties(ctx.db, owner)?;
            }
        }
    }
    let stream =
        Multistatus { entries: entries.into_iter(), wanted, out: Vec::new(), at: 0, started: false, done: false };
    Ok(Reply::Stream {
        status: 207,
        content_type: "application/xml; charset=utf-8",
        headers: Vec::new(),
        body: Box::new(stream),
    })
}

fn with(names: &[String], name: &str) -> Vec<String> {
    let mut names = names.to_vec();
    names.push(name.to_string());
    names
}

fn locks_on(locks: &[Lock], names: &[String]) -> Vec<Lock> {
    let key = super::key_of(names);
    locks.iter().filter(|lock| lock.covers(&key)).cloned().collect()
}

fn folder_entry(names: &[String], folder: Option<&Catalog>, locks: &[Lock]) -> Entry {
    let metadata = folder.and_then(|folder| std::fs::metadata(&folder.path).ok());
    let (mtime, ctime) = metadata.map_or((0, 0), |m| (m.mtime(), m.ctime().min(m.mtime())));
    Entry {
        href: href::href(names, true),
        name: names.last().cloned().unwrap_or_default(),
        collection: true,
        size: 0,
        mtime,
        ctime,
        locks: locks_on(locks, names),
        owner: folder.map(|folder| Owner::Catalog(folder.id)),
        dead: Vec::new(),
    }
}

fn file_entry(names: &[String], path: &Path, id: Option<i64>, locks: &[Lock]) -> Option<Entry> {
    let metadata = std::fs::symlink_metadata(path).ok().filter(|m| m.is_file())?;
    Some(Entry {
        href: href::href(names, false),
        name: names.last().cloned().unwrap_or_default(),
        collection: false,
        size: metadata.len(),
        mtime: metadata.mtime(),
        ctime: metadata.ctime().min(metadata.mtime()),
        locks: locks_on(locks, names),
        owner: id.map(Owner::File),
        dead: Vec::new(),
    })
}

/// A member of `folder` (one that vanished since it was listed is left out).
fn member_entry(ctx: &Ctx, folder: &Catalog, member: Member, names: Vec<String>, locks: &[Lock]) -> Option<Entry> {
    match member {
        Member::Folder(catalog) => Some(folder_entry(&names, Some(&catalog), locks)),
        Member::File(row) => file_entry(&names, &resolve::file_path(ctx, &row).ok()?, Some(row.id), locks),
        Member::Loose(name) => file_entry(&names, &resolve::disk_path(folder, &name).ok()?, None, locks),
    }
}

/// True when the answer needs the entries' dead properties.
fn wants_dead(wanted: &Wanted) -> bool {
    match wanted {
        Wanted::All | Wanted::Names => true,
        Wanted::Some(props) => props.iter().any(|(ns, name)| ns != "DAV:" || !LIVE.contains(&name.as_str())),
    }
}

/// What a PROPFIND body asks for; an empty body is `allprop`.
fn wanted(body: &str) -> Result<Wanted, DavError> {
    if body.trim().is_empty() {
        return Ok(Wanted::All);
    }
    let root = xml::parse(body)?;
    if !root.is("propfind") {
        return Err(DavError::BadRequest);
    }
    if root.child("allprop").is_some() {
        return Ok(Wanted::All);
    }
    if root.child("propname").is_some() {
        return Ok(Wanted::Names);
    }
    let prop = root.child("prop").ok_or(DavError::BadRequest)?;
    Ok(Wanted::Some(prop.children.iter().map(|p| (p.ns.clone(), p.name.clone())).collect()))
}

/// The multistatus, written entry by entry as the connection takes it.
struct Multistatus {
    entries: std::vec::IntoIter<Entry>,
    wanted: Wanted,
    out: Vec<u8>,
    at: usize,
    started: bool,
    done: bool,
}

impl Read for Multistatus {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.at = 0;
            if !self.started {
                self.started = true;
                self.out.extend_from_slice(
                    b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n",
                );
            }
            match self.entries.next() {
                Some(entry) => write_entry(&mut self.out, &entry, &self.wanted),
                None => {
                    self.out.extend_from_slice(b"</D:multistatus>\n");
                    self.done = true;
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn write_entry(out: &mut Vec<u8>, entry: &Entry, wanted: &Wanted) {
    let mut found = String::new();
    let mut missing = String::new();
    match wanted {
        Wanted::All => {
            LIVE.iter().for_each(|name| {
                live_value(entry, name, &mut found);
            });
            for (i, (ns, name, value)) in entry.dead.iter().enumerate() {
                found.push_str(&element(ns, name, i, value));
            }
        }
        Wanted::Names => {
            LIVE.iter().filter(|name| applies(entry, name)).for_each(|name| {
                found.push_str(&format!("<D:{name}/>"));
            });
            for (i, (ns, name, _)) in entry.dead.iter().enumerate() {
                found.push_str(&empty_element(ns, name, i));
            }
        }
        Wanted::Some(props) => {
            for (i, (ns, name)) in props.iter().enumerate() {
                if ns == "DAV:" && live_value(entry, name, &mut found) {
                    continue;
                }
                match entry.dead.iter().find(|(n, m, _)| n == ns && m == name) {
                    Some((_, _, value)) => found.push_str(&element(ns, name, i, value)),
                    None => missing.push_str(&empty_element(ns, name, i)),
                }
            }
        }
    }
    let mut text = format!("<D:response><D:href>{}</D:href>", xml::escape(&entry.href));
    if !found.is_empty() || missing.is_empty() {
        text.push_str(&format!(
            "<D:propstat><D:prop>{found}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
        ));
    }
    if !missing.is_empty() {
        text.push_str(&format!(
            "<D:propstat><D:prop>{missing}</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>"
        ));
    }
    text.push_str("</D:response>\n");
    out.extend_from_slice(text.as_bytes());
}

/// An empty element of any namespace, with its own prefix declaration.
pub fn empty_element(ns: &str, name: &str, i: usize) -> String {
    element(ns, name, i, "")
}

/// An element of any namespace with `value` (XML) as its content.
fn element(ns: &str, name: &str, i: usize, value: &str) -> String {
    let (open, close) = if ns == "DAV:" {
        (format!("D:{name}"), format!("D:{name}"))
    } else if ns.is_empty() {
        (format!("{name} xmlns=\"\""), name.to_string())
    } else {
        (format!("ns{i}:{name} xmlns:ns{i}=\"{}\"", xml::escape(ns)), format!("ns{i}:{name}"))
    };
    if value.is_empty() {
        format!("<{open}/>")
    } else {
        format!("<{open}>{value}</{close}>")
    }
}

fn applies(entry: &Entry, name: &str) -> bool {
    !(entry.collection && matches!(name, "getcontentlength" | "getetag" | "getcontenttype"))
}

/// Writes live property `name` of `entry`; false when it has none by that name.
fn live_value(entry: &Entry, name: &str, out: &mut String) -> bool {
    if !applies(entry, name) {
        return false;
    }
    let value = match name {
        "resourcetype" if entry.collection => "<D:resourcetype><D:collection/></D:resourcetype>".to_string(),
        "resourcetype" => "<D:resourcetype/>".to_string(),
        "getcontentlength" => format!("<D:getcontentlength>{}</D:getcontentlength>", entry.size),
        "getlastmodified" => format!("<D:getlastmodified>{}</D:getlastmodified>", clock::http_date(entry.mtime)),
        "getetag" => format!("<D:getetag>\"{}-{}\"</D:getetag>", entry.size, entry.mtime),
        "getcontenttype" => format!("<D:getcontenttype>{}</D:getcontenttype>", content_type_for_name(&entry.name)),
        "creationdate" => format!("<D:creationdate>{}</D:creationdate>", clock::rfc3339_utc(entry.ctime)),
        "displayname" => format!("<D:displayname>{}</D:displayname>", xml::escape(&entry.name)),
        "supportedlock" => locking::SUPPORTED_LOCK.to_string(),
        "lockdiscovery" => locking::discovery(&entry.locks),
        _ => return false,
    };
    out.push_str(&value);
    true
}
