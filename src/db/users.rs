//! Queries on `User` and `UserAssociate`: login lookup, the root set R(u) of a user, help info,
//! and the scanner's user creation. Passwords arrive here already hashed.

use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub password: Option<String>,
    pub create_time: Option<i64>,
    pub last_login_date: Option<i64>,
    pub last_modify_time: Option<i64>,
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

const USER_COLUMNS: &str = "id, name, password, createTime, lastLoginDate, lastModifyTime, helpInt, helpText";

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        password: row.get(2)?,
        create_time: row.get(3)?,
        last_login_date: row.get(4)?,
        last_modify_time: row.get(5)?,
        help_int: row.get(6)?,
        help_text: row.get(7)?,
    })
}

/// The user whose name equals `name` ASCII-case-insensitively (the column is NOCASE).
pub fn by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM User WHERE name = ?1");
    conn.prepare_cached(&sql)?.query_row([name], user_from_row).optional()
}

pub fn exists(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM User WHERE id = ?1")?.exists([id])
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM User", [], |r| r.get(0))
}

pub fn set_last_login(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE User SET lastLoginDate = ?2 WHERE id = ?1")?.execute(params![id, now])?;
    Ok(())
}

/// Creates a user (scanner); `password_hash` None = cannot log in until a password is set.
pub fn create(conn: &Connection, name: &str, password_hash: Option<&str>, now: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO User(name, password, createTime, lastLoginDate, lastModifyTime) VALUES (?1, ?2, ?3, ?3, ?3)",
    )?
    .execute(params![name, password_hash, now])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_password(conn: &Connection, id: i64, password_hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE User SET password = ?2 WHERE id = ?1")?.execute(params![id, password_hash])?;
    Ok(())
}

/// R(u): the root catalog ids the user may access, ascending.
pub fn root_ids(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT rootCatalogId FROM UserAssociate WHERE userId = ?1 ORDER BY rootCatalogId")?;
    let ids = stmt.query_map([user_id], |r| r.get(0))?.collect();
    ids
}

/// Grants `user_id` access to a root; an existing grant is left alone.
pub fn associate(conn: &Connection, user_id: i64, root_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO UserAssociate(userId, rootCatalogId) VALUES (?1, ?2)")?
        .execute(params![user_id, root_id])?;
    Ok(())
}

/// The users who may access a root.
pub fn users_of_root(conn: &Connection, root_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT userId FROM UserAssociate WHERE rootCatalogId = ?1")?;
    let ids = stmt.query_map([root_id], |r| r.get(0))?.collect();
    ids
}

pub fn remove_root_associations(conn: &Connection, root_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM UserAssociate WHERE rootCatalogId = ?1")?.execute([root_id])?;
    Ok(())
}

/// Help info of the user: (helpInt, helpText, lastModifyTime).
pub fn help_info(conn: &Connection, id: i64) -> rusqlite::Result<Option<super::HelpInfo>> {
    conn.prepare_cached("SELECT helpInt, helpText, lastModifyTime FROM User WHERE id = ?1")?
        .query_row([id], super::help_info_from_row)
        .optional()
}

pub fn update_help_info(conn: &Connection, id: i64, update: &super::HelpUpdate, now: i64) -> rusqlite::Result<()> {
    super::update_help(conn, "User", id, update, now)
}
