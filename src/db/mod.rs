//! The SQLite database (`dataManager.db`): opening a connection (WAL, busy timeout, one per
//! worker), creating the schema, and adopting a database made by the original iSyncServer. All SQL
//! of the program lives under this module, one named function per query, values always bound as
//! parameters. Nothing here knows about HTTP or JSON.

pub mod catalogs;
pub mod dav;
pub mod disk;
pub mod edits;
pub mod files;
pub mod gallery;
pub mod migrate;
pub mod uploads;
pub mod users;

use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

pub use rusqlite::Error;
pub type Result<T> = rusqlite::Result<T>;

const SCHEMA: &str = include_str!("schema.sql");

/// Opens a connection with the settings every user of the database shares.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -512)?; // KiB: small and bounded on a Pi
    conn.set_prepared_statement_cache_capacity(48);
    // Without the query planner stability guarantee SQLite re-plans a statement whenever a
    // parameter that fed its plan is bound again, and a bound `LIMIT ?` always feeds it: every
    // files.icc page would be parsed and planned afresh.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

/// Opens the database, creating the schema or migrating an adopted one. Run once at start-up.
pub fn open_and_prepare(path: &Path) -> Result<Connection> {
    let mut conn = open(path)?;
    migrate::adopt(&mut conn)?;
    conn.execute_batch(SCHEMA)?;
    refresh_statistics(&conn)?;
    Ok(conn)
}

/// Lets SQLite re-measure tables that are new to it or have grown or shrunk tenfold (ANALYZE).
/// Without these statistics the planner takes every index for selective, and a files.icc page
/// over two roots sorts all their files for every page. The whole tables are read: sampled on
/// optimize's default 2,000 rows, a large and a tiny root look alike, which leads to the same
/// sort.
pub fn refresh_statistics(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA optimize=0x10002")
}

/// `?,?,?` with one placeholder per value, for `IN (…)` over a parsed integer list.
pub(crate) fn placeholders(count: usize) -> String {
    let mut text = "?,".repeat(count);
    text.pop();
    text
}

/// Runs `body` in a transaction that commits when it returns Ok and rolls back otherwise.
pub fn in_transaction<T, E: From<Error>>(
    conn: &mut Connection,
    body: impl FnOnce(&rusqlite::Transaction) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = body(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Like `in_transaction`, with `synchronous=FULL` for the commit, so it has reached the disk
/// when this returns (in WAL mode NORMAL may lose the last commits on power loss): for a change
/// that irreversible steps on disk follow. NORMAL is restored afterwards; failing to restore it
/// is only logged, because the caller must learn exactly whether the transaction committed.
pub fn in_durable_transaction<T, E: From<Error>>(
    conn: &mut Connection,
    body: impl FnOnce(&rusqlite::Transaction) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    let result = in_transaction(conn, body);
    if let Err(e) = conn.pragma_update(None, "synchronous", "NORMAL") {
        log::warn!("cannot set synchronous=NORMAL again: {e}");
    }
    result
}

/// The client-owned help fields and the record's lastModifyTime (protocol §3.6 HelpInfo).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HelpInfo {
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
    pub last_modify_time: Option<i64>,
}

/// Which help fields to change; None = leave as it is.
#[derive(Debug, Clone, Default)]
pub struct HelpUpdate {
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

fn help_info_from_row(row: &rusqlite::Row) -> Result<HelpInfo> {
    Ok(HelpInfo { help_int: int_at(row, 0), help_text: text_at(row, 1), last_modify_time: int_at(row, 2) })
}

/// Sets the provided help fields of one row of `table` (a name from this module, never client
/// text) and its lastModifyTime.
fn update_help(conn: &Connection, table: &'static str, id: i64, update: &HelpUpdate, now: i64) -> Result<()> {
    let sql = format!(
        "UPDATE {table} SET helpInt = CASE WHEN ?2 THEN ?3 ELSE helpInt END, \
         helpText = CASE WHEN ?4 THEN ?5 ELSE helpText END, lastModifyTime = ?6 WHERE id = ?1"
    );
    conn.prepare_cached(&sql)?.execute(rusqlite::params![
        id,
        update.help_int.is_some(),
        update.help_int,
        update.help_text.is_some(),
        update.help_text,
        now
    ])?;
    Ok(())
}

/// An integer column read leniently: the original stored some times as floats and some helpInt
/// values as text (D31). Unusable values read as NULL.
pub(crate) fn int_at(row: &rusqlite::Row, index: usize) -> Option<i64> {
    use rusqlite::types::ValueRef;
    match row.get_ref(index).ok()? {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.is_finite() && f.abs() < 9.2e18 => Some(f.trunc() as i64),
        ValueRef::Text(t) => {
            std::str::from_utf8(t).ok()?.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.trunc() as i64)
        }
        _ => None,
    }
}

/// A real column read leniently (integers and numeric text accepted; NaN/∞ read as NULL).
pub(crate) fn float_at(row: &rusqlite::Row, index: usize) -> Option<f64> {
    use rusqlite::types::ValueRef;
    let value = match row.get_ref(index).ok()? {
        ValueRef::Integer(i) => i as f64,
        ValueRef::Real(f) => f,
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok()?,
        _ => return None,
    };
    value.is_finite().then_some(value)
}

/// A text column read leniently (numbers are given as their text).
pub(crate) fn text_at(row: &rusqlite::Row, index: usize) -> Option<String> {
    use rusqlite::types::ValueRef;
    match row.get_ref(index).ok()? {
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Null => None,
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    #[test]
    fn a_cached_statement_is_not_planned_again_when_its_limit_changes() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::open_and_prepare(&dir.path().join("t.db")).unwrap();
        let sql = "SELECT id FROM Files WHERE rootCatalogId IN (?) ORDER BY id LIMIT ? OFFSET ?";
        for page in 0..3 {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            stmt.query_map([1, 10 + page, page * 10], |r| r.get::<_, i64>(0)).unwrap().for_each(drop);
        }
        let stmt = conn.prepare_cached(sql).unwrap();
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
    }
}
