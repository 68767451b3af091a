//! Queries for the WebDAV tree (`dav`): a folder's child catalogs and files by display name,
//! the stored names of a directory's rows, and a file row following its file to a new place.
//! Visibility (rootId ∈ R(u)) is checked by the callers, as for the API.

use super::catalogs::{self, Catalog};
use super::files::{self, FileRow};
use rusqlite::{params, Connection, OptionalExtension};

const NOT_UPLOADING: &str = "coalesce(statusForOrigin, 0) != 2 AND coalesce(statusForThumb, 0) != 2 \
                             AND coalesce(statusForScreen, 0) != 2";

/// The catalogs whose logical parent is `parent_id`, by id.
pub fn child_catalogs(conn: &Connection, parent_id: i64) -> rusqlite::Result<Vec<Catalog>> {
    let sql = format!("SELECT {} FROM Catalog WHERE parentId = ?1 ORDER BY id", catalogs::COLUMNS);
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([parent_id], catalogs::from_row)?;
    rows.collect()
}

/// The catalogs with these ids (the user's roots), by id.
pub fn catalogs_with_ids(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<Catalog>> {
    let mut found = Vec::with_capacity(ids.len());
    for &id in ids {
        found.extend(catalogs::by_id(conn, id)?);
    }
    found.sort_by_key(|c| c.id);
    Ok(found)
}

/// The files logically in catalog `catalog_id`, uploads in progress left out, by id.
pub fn files_of(conn: &Connection, catalog_id: i64) -> rusqlite::Result<Vec<FileRow>> {
    let sql = format!("SELECT {} FROM Files WHERE catalogId = ?1 AND {NOT_UPLOADING} ORDER BY id", files::COLUMNS);
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([catalog_id], files::from_row)?;
    rows.collect()
}

/// The first file (by id) logically in catalog `catalog_id` shown as `name`, uploads in progress
/// left out.
pub fn file_shown_as(conn: &Connection, catalog_id: i64, name: &str) -> rusqlite::Result<Option<FileRow>> {
    let sql = format!(
        "SELECT {} FROM Files WHERE catalogId = ?1 AND coalesce(name, fileName) = ?2 AND {NOT_UPLOADING} \
         ORDER BY id LIMIT 1",
        files::COLUMNS
    );
    conn.prepare_cached(&sql)?.query_row(params![catalog_id, name], files::from_row).optional()
}

/// The stored names of every row whose file is in physical catalog `real_catalog_id`.
pub fn stored_names(conn: &Connection, real_catalog_id: i64) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare_cached("SELECT fileName FROM Files WHERE realCatalogId = ?1")?;
    let rows = statement.query_map([real_catalog_id], |row| row.get::<_, Option<String>>(0))?;
    rows.filter_map(|name| name.transpose()).collect()
}

/// File `id` now lies in `to`'s directory as `file_name`, logically there too, shown by that name.
pub fn move_file(conn: &Connection, id: i64, to: &Catalog, file_name: &str, now: i64) -> rusqlite::Result<()> {
    let ext = file_name.rsplit_once('.').map_or("", |(_, ext)| ext);
    conn.prepare_cached(
        "UPDATE Files SET catalogId = ?2, realCatalogId = ?2, rootCatalogId = ?3, fileName = ?4, ext = ?5, \
         name = NULL, lastModifyTime = ?6 WHERE id = ?1",
    )?
    .execute(params![id, to.id, to.root_id, file_name, ext, now])?;
    Ok(())
}

/// Catalog `id` is now shown by the name of its directory.
pub fn clear_catalog_name(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE Catalog SET name = NULL WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Whose a dead property is: a catalog's or a file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Catalog(i64),
    File(i64),
}

impl Owner {
    fn key(self) -> (i64, i64) {
        match self {
            Owner::Catalog(id) => (1, id),
            Owner::File(id) => (2, id),
        }
    }
}

/// Most dead properties one resource keeps.
pub const MAX_PROPERTIES: i64 = 256;

/// The dead properties of `owner`: (namespace, name, value as XML), by namespace and name.
pub fn properties(conn: &Connection, owner: Owner) -> rusqlite::Result<Vec<(String, String, String)>> {
    let (kind, id) = owner.key();
    let mut statement = conn
        .prepare_cached("SELECT ns, name, value FROM DavProperty WHERE kind = ?1 AND ownerId = ?2 ORDER BY ns, name")?;
    let rows = statement.query_map(params![kind, id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    rows.collect()
}

/// Sets (with a value) or removes (without) one dead property; false when `owner` already
/// keeps MAX_PROPERTIES others.
pub fn set_property(
    conn: &Connection,
    owner: Owner,
    ns: &str,
    name: &str,
    value: Option<&str>,
) -> rusqlite::Result<bool> {
    let (kind, id) = owner.key();
    let Some(value) = value else {
        conn.prepare_cached("DELETE FROM DavProperty WHERE kind = ?1 AND ownerId = ?2 AND ns = ?3 AND name = ?4")?
            .execute(params![kind, id, ns, name])?;
        return Ok(true);
    };
    let count: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM DavProperty WHERE kind = ?1 AND ownerId = ?2 AND NOT (ns = ?3 AND name = ?4)",
        )?
        .query_row(params![kind, id, ns, name], |row| row.get(0))?;
    if count >= MAX_PROPERTIES {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT OR REPLACE INTO DavProperty(kind, ownerId, ns, name, value) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![kind, id, ns, name, value])?;
    Ok(true)
}
