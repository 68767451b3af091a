//! Queries on `Catalog`: lookups by id and path, the children listing with counts, inserting
//! scanned and default-root catalogs, and help info. Visibility (rootId ∈ R(u)) is checked by the
//! callers against the root set; the listing query filters by it in SQL.

use super::{int_at, placeholders, text_at, HelpInfo, HelpUpdate};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub id: i64,
    pub path: String,
    pub root_id: i64,
    pub parent_id: i64,
    pub name: Option<String>,
    pub create_time: Option<i64>,
    pub last_modify_time: Option<i64>,
    pub memo: Option<String>,
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

impl Catalog {
    /// The display name: the stored name, or the last component of the path.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => self.path.rsplit('/').find(|c| !c.is_empty()).unwrap_or("").to_string(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.parent_id == -1
    }
}

/// A catalog with the counts every CatalogInfo carries.
#[derive(Debug, Clone)]
pub struct CatalogWithCounts {
    pub catalog: Catalog,
    pub sub_catalog_count: i64,
    pub file_count: i64,
}

pub(crate) const COLUMNS: &str =
    "id, path, rootId, parentId, name, createTime, lastModifyTime, memo, helpInt, helpText";

pub(crate) fn from_row(row: &Row) -> rusqlite::Result<Catalog> {
    Ok(Catalog {
        id: row.get(0)?,
        path: text_at(row, 1).unwrap_or_default(),
        root_id: int_at(row, 2).unwrap_or(-1),
        parent_id: int_at(row, 3).unwrap_or(-1),
        name: text_at(row, 4),
        create_time: int_at(row, 5),
        last_modify_time: int_at(row, 6),
        memo: text_at(row, 7),
        help_int: int_at(row, 8),
        help_text: text_at(row, 9),
    })
}

const COUNTS: &str = "(SELECT count(*) FROM Catalog s WHERE s.parentId = c.id), \
                      (SELECT count(*) FROM Files f WHERE f.catalogId = c.id)";

fn with_counts_from_row(row: &Row) -> rusqlite::Result<CatalogWithCounts> {
    Ok(CatalogWithCounts { catalog: from_row(row)?, sub_catalog_count: row.get(10)?, file_count: row.get(11)? })
}

pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Catalog>> {
    let sql = format!("SELECT {COLUMNS} FROM Catalog WHERE id = ?1");
    conn.prepare_cached(&sql)?.query_row([id], from_row).optional()
}

pub fn by_path(conn: &Connection, path: &str) -> rusqlite::Result<Option<Catalog>> {
    let sql = format!("SELECT {COLUMNS} FROM Catalog WHERE path = ?1");
    conn.prepare_cached(&sql)?.query_row([path], from_row).optional()
}

/// The directories of every root catalog (parentId = -1): every media file lies below one.
pub fn root_paths(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare_cached("SELECT path FROM Catalog WHERE parentId = -1")?;
    let paths = statement.query_map([], |row| Ok(text_at(row, 0)))?;
    paths.filter_map(Result::transpose).collect()
}

/// The id and directory of every catalog (the folders the sweeper watches).
pub fn all_paths(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut statement = conn.prepare_cached("SELECT id, path FROM Catalog")?;
    let rows = statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, text_at(row, 1))))?;
    rows.filter_map(|row| match row {
        Ok((id, Some(path))) => Some(Ok((id, path))),
        Ok((_, None)) => None,
        Err(e) => Some(Err(e)),
    })
    .collect()
}

/// Every catalog, by id (the start-up check of what the scanner may have indexed).
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<Catalog>> {
    let sql = format!("SELECT {COLUMNS} FROM Catalog ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], from_row)?.collect();
    rows
}

pub fn with_counts(conn: &Connection, id: i64) -> rusqlite::Result<Option<CatalogWithCounts>> {
    let sql = format!("SELECT {COLUMNS}, {COUNTS} FROM Catalog c WHERE id = ?1");
    conn.prepare_cached(&sql)?.query_row([id], with_counts_from_row).optional()
}

/// Catalogs whose parentId is in `parent_ids` and whose rootId is in `roots`, by id.
pub fn children(conn: &Connection, parent_ids: &[i64], roots: &[i64]) -> rusqlite::Result<Vec<CatalogWithCounts>> {
    if parent_ids.is_empty() || roots.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS}, {COUNTS} FROM Catalog c WHERE parentId IN ({}) AND rootId IN ({}) ORDER BY id",
        placeholders(parent_ids.len()),
        placeholders(roots.len())
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(parent_ids.iter().chain(roots)), with_counts_from_row)?;
    rows.collect()
}

/// A new catalog as the scanner or the default-folder setup inserts it.
pub struct NewCatalog<'a> {
    pub path: &'a str,
    /// None inserts a root (parentId -1, rootId = its own id).
    pub parent: Option<(i64, i64)>, // (parentId, rootId)
    pub name: Option<&'a str>,
    pub create_time: i64,
    pub last_modify_time: i64,
}

/// Inserts a catalog and returns it as stored.
pub fn insert(conn: &Connection, new: &NewCatalog) -> rusqlite::Result<Catalog> {
    let (parent_id, root_id) = new.parent.unwrap_or((-1, -1));
    conn.prepare_cached(
        "INSERT INTO Catalog(path, rootId, parentId, name, createTime, lastModifyTime) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![new.path, root_id, parent_id, new.name, new.create_time, new.last_modify_time])?;
    let id = conn.last_insert_rowid();
    if new.parent.is_none() {
        conn.prepare_cached("UPDATE Catalog SET rootId = id WHERE id = ?1")?.execute([id])?;
    }
    by_id(conn, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

pub fn set_name(conn: &Connection, id: i64, name: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE Catalog SET name = ?2 WHERE id = ?1")?.execute(params![id, name])?;
    Ok(())
}

pub fn help_info(conn: &Connection, id: i64) -> rusqlite::Result<Option<(i64, HelpInfo)>> {
    conn.prepare_cached("SELECT helpInt, helpText, lastModifyTime, rootId FROM Catalog WHERE id = ?1")?
        .query_row([id], |row| Ok((int_at(row, 3).unwrap_or(-1), super::help_info_from_row(row)?)))
        .optional()
}

pub fn update_help_info(conn: &Connection, id: i64, update: &HelpUpdate, now: i64) -> rusqlite::Result<()> {
    super::update_help(conn, "Catalog", id, update, now)
}

/// Merges root `root_id` into the tree of catalog `parent` (scanner, protocol §7.3 step 5).
pub fn merge_root_into(conn: &Connection, root_id: i64, parent: &Catalog) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE Catalog SET parentId = ?2 WHERE id = ?1")?.execute(params![root_id, parent.id])?;
    conn.prepare_cached("UPDATE Catalog SET rootId = ?2 WHERE rootId = ?1")?
        .execute(params![root_id, parent.root_id])?;
    conn.prepare_cached("UPDATE Files SET rootCatalogId = ?2 WHERE rootCatalogId = ?1")?
        .execute(params![root_id, parent.root_id])?;
    Ok(())
}
