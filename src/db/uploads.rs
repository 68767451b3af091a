//! The writes of the upload endpoints on `Files` (protocol §4.15, §4.17): inserting the row
//! `uploadFileInfo` registers, and setting the statuses of the parts an `uploadFile` request
//! touched. Status changes are committed with `synchronous=FULL`, because the upload's
//! crash-safety argument (see `fs::upload`) depends on them being durable before the next step.

use super::files::Details;
use rusqlite::{params, Connection};

/// A row registered by uploadFileInfo; `name` and `ext` are stored as the client gave them.
#[derive(Debug, Clone, Default)]
pub struct NewUpload {
    pub upload_user_id: i64,
    pub root_catalog_id: i64,
    pub catalog_id: i64,
    pub file_name: String,
    pub name: String,
    pub ext: String,
    pub size: i64,
    pub file_type: i64,
    pub status_for_thumb: i64,
    pub status_for_screen: i64,
    pub create_time: i64,
    pub upload_time: i64,
    pub import_time: i64,
    pub last_modify_time: i64,
    pub details: Details,
}

/// Inserts the row (statusForOrigin = 2, catalogId = realCatalogId) and returns its id.
pub fn insert(conn: &Connection, f: &NewUpload) -> rusqlite::Result<i64> {
    let d = &f.details;
    conn.prepare_cached(
        "INSERT INTO Files(uploadUserId, rootCatalogId, catalogId, realCatalogId, fileName, name, ext, size, type, \
         statusForThumb, statusForScreen, statusForOrigin, createTime, uploadTime, importTime, lastModifyTime, \
         duration, width, height, orientation, longitude, latitude, memo, helpInt, helpText) \
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 2, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
         ?21, ?22, ?23)",
    )?
    .execute(params![
        f.upload_user_id,
        f.root_catalog_id,
        f.catalog_id,
        f.file_name,
        f.name,
        f.ext,
        f.size,
        f.file_type,
        f.status_for_thumb,
        f.status_for_screen,
        f.create_time,
        f.upload_time,
        f.import_time,
        f.last_modify_time,
        d.duration,
        d.width,
        d.height,
        d.orientation,
        d.longitude,
        d.latitude,
        d.memo,
        d.help_int,
        d.help_text
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Which status columns a change applies to: origin, thumb, screen.
pub type Parts = [bool; 3];

/// Sets the status of the given parts, and optionally `size` and `lastModifyTime`, durably.
pub fn set_statuses(
    conn: &Connection,
    id: i64,
    parts: Parts,
    status: i64,
    size: Option<i64>,
    now: Option<i64>,
) -> rusqlite::Result<()> {
    durably(conn, |conn| {
        conn.prepare_cached(
            "UPDATE Files SET statusForOrigin = CASE WHEN ?2 THEN ?5 ELSE statusForOrigin END, \
             statusForThumb = CASE WHEN ?3 THEN ?5 ELSE statusForThumb END, \
             statusForScreen = CASE WHEN ?4 THEN ?5 ELSE statusForScreen END, \
             size = coalesce(?6, size), lastModifyTime = coalesce(?7, lastModifyTime) WHERE id = ?1",
        )?
        .execute(params![id, parts[0], parts[1], parts[2], status, size, now])?;
        Ok(())
    })
}

/// Runs `body` with `synchronous=FULL`, so a commit reaches the disk before it returns (in WAL
/// mode NORMAL may lose the last commits on power loss), then restores NORMAL.
fn durably<T>(conn: &Connection, body: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    let result = body(conn);
    let restored = conn.pragma_update(None, "synchronous", "NORMAL");
    let value = result?;
    restored?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_and_prepare(&dir.path().join("t.db")).unwrap();
        (dir, conn)
    }

    fn statuses(conn: &Connection, id: i64) -> (i64, i64, i64, i64, i64) {
        conn.query_row(
            "SELECT statusForOrigin, statusForThumb, statusForScreen, size, lastModifyTime FROM Files WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    }

    #[test]
    fn an_upload_row_starts_with_the_origin_uploading_and_keeps_client_values() {
        let (_dir, conn) = database();
        let new = NewUpload {
            catalog_id: 4,
            file_name: "x.mp4".into(),
            ext: "../MP4".into(),
            status_for_thumb: 2,
            size: 10,
            details: Details { longitude: Some(8.5), ..Details::default() },
            ..NewUpload::default()
        };
        let id = insert(&conn, &new).unwrap();
        let row = crate::db::files::by_id(&conn, id).unwrap().unwrap();
        assert_eq!((row.status_for_origin, row.status_for_thumb, row.status_for_screen), (2, 2, 0));
        assert_eq!((row.catalog_id, row.real_catalog_id, row.ext.as_deref()), (4, 4, Some("../MP4")));
        let longitude: f64 = conn.query_row("SELECT longitude FROM Files WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(longitude, 8.5);
    }

    #[test]
    fn only_the_given_parts_change_and_absent_size_and_time_are_kept() {
        let (_dir, conn) = database();
        let id = insert(&conn, &NewUpload { size: 10, last_modify_time: 5, ..NewUpload::default() }).unwrap();
        set_statuses(&conn, id, [false, true, true], 3, None, None).unwrap();
        assert_eq!(statuses(&conn, id), (2, 3, 3, 10, 5));
        set_statuses(&conn, id, [true, false, false], 3, Some(42), Some(9)).unwrap();
        assert_eq!(statuses(&conn, id), (3, 3, 3, 42, 9));
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 1, "NORMAL is restored");
    }
}
