//! Adopting a database written by the original iSyncServer (protocol §3.1): its tables compare
//! `Catalog.path` and `Files.fileName` case-insensitively (D24) and lack `longitude`/`latitude`
//! (D12), and its passwords are plaintext (D4). The rebuild runs in one transaction and keeps
//! every id and the AUTOINCREMENT counters, so ids the client already knows stay valid.

use crate::password::{hash_password, is_hashed};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Columns of the original `Catalog` table, which ours shares.
const CATALOG_COLUMNS: &str = "id, path, rootId, parentId, name, createTime, lastModifyTime, memo, helpInt, helpText";
/// Columns of the original `Files` table, which ours shares (ours adds longitude, latitude).
const FILES_COLUMNS: &str = "id, uploadUserId, rootCatalogId, catalogId, realCatalogId, fileName, ext, name, \
    createTime, uploadTime, importTime, lastModifyTime, size, type, duration, width, height, \
    statusForThumb, statusForScreen, statusForOrigin, orientation, memo, helpInt, helpText";

/// Migrates an existing database in place; a new or already migrated one is left as it is.
pub fn adopt(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut changed = false;
    if table_sql(&tx, "Catalog")?.is_some_and(|sql| has_nocase(&sql, "path")) {
        rebuild(&tx, "Catalog", CATALOG_COLUMNS)?;
        changed = true;
    }
    if let Some(sql) = table_sql(&tx, "Files")? {
        if has_nocase(&sql, "fileName") || !sql.contains("longitude") {
            rebuild(&tx, "Files", FILES_COLUMNS)?;
            changed = true;
        }
    }
    let hashed = if table_sql(&tx, "User")?.is_some() { hash_plaintext_passwords(&tx)? } else { 0 };
    tx.commit()?;
    if changed || hashed > 0 {
        log::info!("adopted an iSyncServer database: tables rebuilt: {changed}, passwords hashed: {hashed}");
    }
    Ok(())
}

fn table_sql(tx: &Transaction, table: &str) -> rusqlite::Result<Option<String>> {
    tx.query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0)).optional()
}

/// True when the column's declaration in a CREATE TABLE statement carries COLLATE NOCASE.
fn has_nocase(create_sql: &str, column: &str) -> bool {
    let lower = create_sql.to_ascii_lowercase();
    let column = column.to_ascii_lowercase();
    lower.split(',').any(|decl| {
        let mut words = decl.split_whitespace();
        let first = words.next().map(|w| w.trim_start_matches('('));
        first == Some(column.as_str()) && decl.contains("nocase")
    })
}

/// Recreates `table` with our schema, copying the shared columns with their ids.
fn rebuild(tx: &Transaction, table: &str, columns: &str) -> rusqlite::Result<()> {
    let sequence: Option<i64> =
        tx.query_row("SELECT seq FROM sqlite_sequence WHERE name = ?1", [table], |r| r.get(0)).optional()?;
    let old = format!("{table}_iSyncServer");
    tx.execute_batch(&format!("ALTER TABLE \"{table}\" RENAME TO \"{old}\""))?;
    tx.execute_batch(super::SCHEMA)?; // creates the new table; indices are re-run after the drop
    tx.execute_batch(&format!(
        "INSERT INTO \"{table}\" ({columns}) SELECT {columns} FROM \"{old}\"; DROP TABLE \"{old}\";"
    ))?;
    if let Some(seq) = sequence {
        tx.execute("UPDATE sqlite_sequence SET seq = max(seq, ?2) WHERE name = ?1", params![table, seq])?;
        tx.execute(
            "INSERT INTO sqlite_sequence(name, seq) SELECT ?1, ?2 \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?1)",
            params![table, seq],
        )?;
    }
    Ok(())
}

fn hash_plaintext_passwords(tx: &Transaction) -> rusqlite::Result<usize> {
    let plaintext: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, password FROM User WHERE password IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.filter(|row| row.as_ref().map_or(true, |(_, pw): &(i64, String)| !is_hashed(pw)))
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, password) in &plaintext {
        tx.execute("UPDATE User SET password = ?2 WHERE id = ?1", params![id, hash_password(password)])?;
    }
    Ok(plaintext.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nocase_is_found_only_on_the_named_column() {
        let sql =
            "Create Table x(id integer, path varchar(200) collate nocase UNIQUE, name varchar(100) collate nocase)";
        assert!(has_nocase(sql, "path"));
        assert!(!has_nocase("create table x(path text unique, name text collate nocase)", "path"));
    }
}
