//! The queries behind the editing endpoints (protocol §4.7–4.9, §4.18, §4.19): inserting a
//! created catalog, updating catalog and file fields, moving a subtree to another root, and what
//! deleteCatalog needs (subtrees, catalogs physically inside a directory, relocating and deleting
//! rows). Subtrees are found with recursive CTEs that use UNION, so a damaged (cyclic) tree still
//! terminates. Visibility and the order of the steps are the caller's business, not this module's.

use super::catalogs::{self, Catalog};
use super::files::{self, Details, FileRow};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};

/// The subtree of catalog ?1: the catalog and all its logical descendants, each once.
const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT id FROM Catalog WHERE id = ?1 \
                       UNION SELECT c.id FROM Catalog c JOIN sub ON c.parentId = sub.id)";

/// The client-supplied columns of a new catalog (createCatalog).
#[derive(Debug, Clone)]
pub struct CatalogFields {
    pub name: String,
    pub create_time: i64,
    pub last_modify_time: i64,
    pub memo: Option<String>,
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

/// Inserts a catalog at `path` as a logical child of `parent`; returns its id.
pub fn insert_child(conn: &Connection, path: &str, parent: &Catalog, fields: &CatalogFields) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO Catalog(path, rootId, parentId, name, createTime, lastModifyTime, memo, helpInt, helpText) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        path,
        parent.root_id,
        parent.id,
        fields.name,
        fields.create_time,
        fields.last_modify_time,
        fields.memo,
        fields.help_int,
        fields.help_text
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Which catalog fields updateCatalog changes; None = leave as it is.
#[derive(Debug, Clone, Default)]
pub struct CatalogEdit {
    pub parent_id: Option<i64>,
    pub name: Option<String>,
    pub memo: Option<String>,
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

impl CatalogEdit {
    pub fn is_empty(&self) -> bool {
        self.parent_id.is_none()
            && self.name.is_none()
            && self.memo.is_none()
            && self.help_int.is_none()
            && self.help_text.is_none()
    }
}

/// Sets the provided fields of catalog `id` and its lastModifyTime.
pub fn update_catalog(conn: &Connection, id: i64, edit: &CatalogEdit, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE Catalog SET parentId = CASE WHEN ?2 THEN ?3 ELSE parentId END, \
         name = CASE WHEN ?4 THEN ?5 ELSE name END, memo = CASE WHEN ?6 THEN ?7 ELSE memo END, \
         helpInt = CASE WHEN ?8 THEN ?9 ELSE helpInt END, helpText = CASE WHEN ?10 THEN ?11 ELSE helpText END, \
         lastModifyTime = ?12 WHERE id = ?1",
    )?
    .execute(params![
        id,
        edit.parent_id.is_some(),
        edit.parent_id,
        edit.name.is_some(),
        edit.name,
        edit.memo.is_some(),
        edit.memo,
        edit.help_int.is_some(),
        edit.help_int,
        edit.help_text.is_some(),
        edit.help_text,
        now
    ])?;
    Ok(())
}

/// The ids of catalog `id` and all its logical descendants (cycle-safe).
pub fn subtree(conn: &Connection, id: i64) -> rusqlite::Result<Vec<i64>> {
    let sql = format!("{SUBTREE} SELECT id FROM sub ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt.query_map([id], |r| r.get(0))?.collect();
    ids
}

/// Gives catalog `id`, its logical descendants and the files logically in them the root `root_id`.
pub fn move_subtree_to_root(conn: &Connection, id: i64, root_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "{SUBTREE} UPDATE Files SET rootCatalogId = ?2 WHERE catalogId IN (SELECT id FROM sub)"
    ))?
    .execute(params![id, root_id])?;
    conn.prepare_cached(&format!("{SUBTREE} UPDATE Catalog SET rootId = ?2 WHERE id IN (SELECT id FROM sub)"))?
        .execute(params![id, root_id])?;
    Ok(())
}

/// Catalogs whose path lies strictly inside directory `dir` (byte-wise prefix `dir/`), by id.
pub fn catalogs_inside(conn: &Connection, dir: &str) -> rusqlite::Result<Vec<Catalog>> {
    let prefix = if dir.ends_with('/') { dir.to_string() } else { format!("{dir}/") };
    let upper = format!("{}0", &prefix[..prefix.len() - 1]); // '0' sorts right after '/'
    let sql = format!("SELECT {} FROM Catalog WHERE path >= ?1 AND path < ?2 ORDER BY id", catalogs::COLUMNS);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([&prefix, &upper], catalogs::from_row)?.collect();
    rows
}

/// A rescued catalog's new directory; a NULL display name becomes `old_name` (protocol §4.8 step 1).
pub fn set_catalog_location(conn: &Connection, id: i64, path: &str, old_name: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE Catalog SET path = ?2, name = coalesce(name, ?3) WHERE id = ?1")?
        .execute(params![id, path, old_name])?;
    Ok(())
}

/// Files whose logical catalog is `catalog_id`.
pub fn files_in_catalog(conn: &Connection, catalog_id: i64) -> rusqlite::Result<Vec<FileRow>> {
    let sql = format!("SELECT {} FROM Files WHERE catalogId = ?1 ORDER BY id", files::COLUMNS);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([catalog_id], files::from_row)?.collect();
    rows
}

/// Files physically stored in catalog `real_catalog_id`.
pub fn files_stored_in(conn: &Connection, real_catalog_id: i64) -> rusqlite::Result<Vec<FileRow>> {
    let sql = format!("SELECT {} FROM Files WHERE realCatalogId = ?1 ORDER BY id", files::COLUMNS);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([real_catalog_id], files::from_row)?.collect();
    rows
}

/// A file physically moved to `file_name` in catalog `real_catalog_id`; a NULL display name
/// becomes the old file name, so the client sees no change (protocol §4.8 step 3).
pub fn relocate_file(
    conn: &Connection,
    id: i64,
    real_catalog_id: i64,
    file_name: &str,
    old_file_name: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE Files SET realCatalogId = ?2, fileName = ?3, name = coalesce(name, ?4) WHERE id = ?1")?
        .execute(params![id, real_catalog_id, file_name, old_file_name])?;
    Ok(())
}

/// Deletes catalog `id`, the files logically in it and every user's association with it.
pub fn delete_catalog(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM Files WHERE catalogId = ?1")?.execute([id])?;
    conn.prepare_cached("DELETE FROM UserAssociate WHERE rootCatalogId = ?1")?.execute([id])?;
    conn.prepare_cached("DELETE FROM Catalog WHERE id = ?1")?.execute([id])?;
    Ok(())
}

pub fn delete_file(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM Files WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Which file fields updateFile changes; None = leave as it is. `catalog` is the logical move
/// (catalogId, the target's rootId); `last_modify_time` None means "now".
#[derive(Debug, Clone, Default)]
pub struct FileEdit {
    pub catalog: Option<(i64, i64)>,
    pub name: Option<String>,
    pub ext: Option<String>,
    pub size: Option<i64>,
    pub file_type: Option<i64>,
    pub status_for_thumb: Option<i64>,
    pub status_for_screen: Option<i64>,
    pub create_time: Option<i64>,
    pub import_time: Option<i64>,
    pub last_modify_time: Option<i64>,
    pub details: Details,
}

impl FileEdit {
    /// (column, value) of every provided field except lastModifyTime; the names are constants.
    fn assignments(&self) -> Vec<(&'static str, Value)> {
        let int = |v: Option<i64>| v.map(Value::Integer);
        let real = |v: Option<f64>| v.map(Value::Real);
        let text = |v: &Option<String>| v.clone().map(Value::Text);
        let columns = [
            ("catalogId", int(self.catalog.map(|(catalog_id, _)| catalog_id))),
            ("rootCatalogId", int(self.catalog.map(|(_, root_id)| root_id))),
            ("name", text(&self.name)),
            ("ext", text(&self.ext)),
            ("size", int(self.size)),
            ("type", int(self.file_type)),
            ("statusForThumb", int(self.status_for_thumb)),
            ("statusForScreen", int(self.status_for_screen)),
            ("createTime", int(self.create_time)),
            ("importTime", int(self.import_time)),
            ("duration", real(self.details.duration)),
            ("width", int(self.details.width)),
            ("height", int(self.details.height)),
            ("orientation", int(self.details.orientation)),
            ("longitude", real(self.details.longitude)),
            ("latitude", real(self.details.latitude)),
            ("memo", text(&self.details.memo)),
            ("helpInt", int(self.details.help_int)),
            ("helpText", text(&self.details.help_text)),
        ];
        columns.into_iter().filter_map(|(column, value)| Some((column, value?))).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.last_modify_time.is_none() && self.assignments().is_empty()
    }
}

/// Sets the provided fields of file `id` and its lastModifyTime (the given one, or `now`).
pub fn update_file(conn: &Connection, id: i64, edit: &FileEdit, now: i64) -> rusqlite::Result<()> {
    let mut sets = String::new();
    let mut values = Vec::new();
    for (column, value) in edit.assignments() {
        values.push(value);
        sets.push_str(&format!("{column} = ?{}, ", values.len()));
    }
    values.push(Value::Integer(edit.last_modify_time.unwrap_or(now)));
    values.push(Value::Integer(id));
    let sql = format!("UPDATE Files SET {sets}lastModifyTime = ?{} WHERE id = ?{}", values.len() - 1, values.len());
    conn.prepare(&sql)?.execute(params_from_iter(values))?;
    Ok(())
}
