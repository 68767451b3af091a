//! What the sweep keeps about the disk (`DiskFile`, `DiskCatalog`): the files of one physical
//! catalog with their last probed size and time, the physical sub-catalogs of a directory, the
//! missing counts of files and catalogs, a folder's device and inode (a root's device, a moved
//! folder found again), re-probed metadata written back, a moved directory's rows given their
//! new paths, and a vanished directory's rows removed with everything below it.

use super::{int_at, text_at};
use rusqlite::{params, Connection, OptionalExtension};

/// A file row of a physical catalog, as the sweep compares it with the disk.
#[derive(Debug, Clone)]
pub struct KnownFile {
    pub id: i64,
    pub file_name: String,
    /// The size the row says.
    pub size: i64,
    /// (size, mtime) when it was last probed; None before its first sweep.
    pub probed: Option<(i64, i64)>,
    /// Looks in a row that have not found it.
    pub missing: i64,
}

/// The files whose physical catalog is `real_catalog_id`, uploads in progress (any status 2)
/// left out: the sweep never touches those.
pub fn files_in(conn: &Connection, real_catalog_id: i64) -> rusqlite::Result<Vec<KnownFile>> {
    let mut statement = conn.prepare_cached(
        "SELECT f.id, f.fileName, d.size, d.mtime, coalesce(d.missing, 0), coalesce(f.size, 0) FROM Files f \
         LEFT JOIN DiskFile d ON d.fileId = f.id WHERE f.realCatalogId = ?1 \
         AND coalesce(f.statusForOrigin, 0) != 2 AND coalesce(f.statusForThumb, 0) != 2 \
         AND coalesce(f.statusForScreen, 0) != 2",
    )?;
    let rows = statement.query_map([real_catalog_id], |row| {
        let probed = int_at(row, 2).zip(int_at(row, 3));
        Ok(KnownFile {
            id: row.get(0)?,
            file_name: text_at(row, 1).unwrap_or_default(),
            size: row.get(5)?,
            probed,
            missing: row.get(4)?,
        })
    })?;
    rows.collect()
}

/// Records that file `id` was found with this size and modification time (and is not missing).
pub fn record_probed(conn: &Connection, id: i64, size: i64, mtime: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO DiskFile(fileId, size, mtime, missing) VALUES (?1, ?2, ?3, 0)")?
        .execute(params![id, size, mtime])?;
    Ok(())
}

/// What a missing count is kept for: a file row, or a catalog (its directory).
#[derive(Debug, Clone, Copy)]
pub enum Kept {
    File,
    Catalog,
}

impl Kept {
    fn found_sql(self) -> &'static str {
        match self {
            Kept::File => "UPDATE DiskFile SET missing = 0, missedAt = NULL WHERE fileId = ?1",
            Kept::Catalog => "UPDATE DiskCatalog SET missing = 0, missedAt = NULL WHERE catalogId = ?1",
        }
    }

    fn missed_sql(self) -> &'static str {
        match self {
            Kept::File => {
                "INSERT INTO DiskFile(fileId, missing, missedAt) VALUES (?1, 1, ?2) ON CONFLICT(fileId) \
                 DO UPDATE SET missing = missing + 1, missedAt = coalesce(missedAt, ?2) RETURNING missing, missedAt"
            }
            Kept::Catalog => {
                "INSERT INTO DiskCatalog(catalogId, missing, missedAt) VALUES (?1, 1, ?2) ON CONFLICT(catalogId) \
                 DO UPDATE SET missing = missing + 1, missedAt = coalesce(missedAt, ?2) RETURNING missing, missedAt"
            }
        }
    }
}

/// Records that the file or catalog `id` was found (again, after looks that missed it).
pub fn found(conn: &Connection, kept: Kept, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(kept.found_sql())?.execute([id])?;
    Ok(())
}

/// Counts one more look (at `now`) that did not find the file or catalog `id`; returns the
/// looks in a row and when the first of them was.
pub fn missed(conn: &Connection, kept: Kept, id: i64, now: i64) -> rusqlite::Result<(i64, i64)> {
    conn.prepare_cached(kept.missed_sql())?
        .query_row(params![id, now], |row| Ok((row.get(0)?, int_at(row, 1).unwrap_or(now))))
}

/// What a new probe says of a changed (or never probed) file.
#[derive(Debug, Clone)]
pub struct Reprobed {
    pub size: i64,
    pub file_type: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub orientation: Option<i64>,
    pub duration: Option<f64>,
    /// The capture time, when the content or the name gives one (else createTime is kept).
    pub taken: Option<i64>,
    pub place: Option<(f64, f64)>,
    /// True when the content changed, so cached thumbnails are to be built again.
    pub changed: bool,
}

/// Writes a new probe of file `id` back, unless it became an upload in progress meanwhile. A
/// changed file takes the probe's metadata and its thumbnails count as not built; a first look
/// at a row from before only fills what the row lacks, and gives thumbnails an older version
/// failed to build (status 1, such as an iPhone's HEIC) another try. An uploaded file keeps the createTime
/// its client gave.
pub fn update_probed(conn: &Connection, id: i64, p: &Reprobed, now: i64) -> rusqlite::Result<()> {
    const NOT_UPLOADING: &str = "coalesce(statusForOrigin, 0) != 2 AND coalesce(statusForThumb, 0) != 2 \
                                 AND coalesce(statusForScreen, 0) != 2";
    let (latitude, longitude) = (p.place.map(|(latitude, _)| latitude), p.place.map(|(_, longitude)| longitude));
    if p.changed {
        let sql = format!(
            "UPDATE Files SET size = ?2, type = ?3, width = ?4, height = ?5, orientation = ?6, duration = ?7, \
             createTime = CASE WHEN uploadUserId IS NULL THEN coalesce(?8, createTime) ELSE createTime END, \
             latitude = coalesce(?9, latitude), longitude = coalesce(?10, longitude), lastModifyTime = ?11, \
             statusForThumb = 0, statusForScreen = 0 WHERE id = ?1 AND {NOT_UPLOADING}"
        );
        let values = params![
            id,
            p.size,
            p.file_type,
            p.width,
            p.height,
            p.orientation,
            p.duration,
            p.taken,
            latitude,
            longitude,
            now
        ];
        conn.prepare_cached(&sql)?.execute(values)?;
    } else {
        let sql = format!(
            "UPDATE Files SET size = ?2, width = coalesce(width, ?3), height = coalesce(height, ?4), \
             orientation = coalesce(orientation, ?5), duration = coalesce(duration, ?6), \
             createTime = CASE WHEN uploadUserId IS NULL THEN coalesce(?7, createTime) ELSE createTime END, \
             latitude = coalesce(latitude, ?8), longitude = coalesce(longitude, ?9), \
             statusForThumb = CASE statusForThumb WHEN 1 THEN 0 ELSE statusForThumb END, \
             statusForScreen = CASE statusForScreen WHEN 1 THEN 0 ELSE statusForScreen END \
             WHERE id = ?1 AND {NOT_UPLOADING}"
        );
        let values = params![id, p.size, p.width, p.height, p.orientation, p.duration, p.taken, latitude, longitude];
        conn.prepare_cached(&sql)?.execute(values)?;
    }
    Ok(())
}

/// Removes file `id` gone from the disk, if it is still in physical catalog `real_catalog_id`
/// and not an upload in progress (the API may have changed it since the look); true if removed.
pub fn remove_file(conn: &Connection, id: i64, real_catalog_id: i64) -> rusqlite::Result<bool> {
    let removed = conn
        .prepare_cached(
            "DELETE FROM Files WHERE id = ?1 AND realCatalogId = ?2 AND coalesce(statusForOrigin, 0) != 2 \
             AND coalesce(statusForThumb, 0) != 2 AND coalesce(statusForScreen, 0) != 2",
        )?
        .execute(params![id, real_catalog_id])?;
    Ok(removed > 0)
}

/// True when a root catalog lies in the physical tree at `dir` (or is it).
pub fn holds_root(conn: &Connection, dir: &str) -> rusqlite::Result<bool> {
    let dir = dir.trim_end_matches('/');
    conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM Catalog WHERE coalesce(parentId, -1) = -1 \
         AND (path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0')))",
    )?
    .query_row([dir], |row| row.get(0))
}

/// A catalog whose directory lies directly inside another one's.
#[derive(Debug, Clone)]
pub struct KnownCatalog {
    pub id: i64,
    pub path: String,
    pub parent_id: i64,
    pub missing: i64,
    /// Device and inode of its directory at the last look, if recorded.
    pub device: Option<i64>,
    pub inode: Option<i64>,
}

impl KnownCatalog {
    pub fn is_root(&self) -> bool {
        self.parent_id == -1
    }
}

/// The catalogs whose directories are directly inside `dir` (by path, whatever their logical
/// parents are).
pub fn sub_catalogs(conn: &Connection, dir: &str) -> rusqlite::Result<Vec<KnownCatalog>> {
    let dir = dir.trim_end_matches('/');
    let mut statement = conn.prepare_cached(
        "SELECT c.id, c.path, coalesce(c.parentId, -1), coalesce(d.missing, 0), d.device, d.inode FROM Catalog c \
         LEFT JOIN DiskCatalog d ON d.catalogId = c.id WHERE c.path > ?1 || '/' AND c.path < ?1 || '0' \
         AND instr(substr(c.path, length(?1) + 2), '/') = 0",
    )?;
    let rows = statement.query_map([dir], |row| {
        Ok(KnownCatalog {
            id: row.get(0)?,
            path: row.get(1)?,
            parent_id: row.get(2)?,
            missing: row.get(3)?,
            device: int_at(row, 4),
            inode: int_at(row, 5),
        })
    })?;
    rows.collect()
}

/// The stamp of catalog `id`'s directory when it was last listed completely, if recorded.
pub fn listed_stamp(conn: &Connection, id: i64) -> rusqlite::Result<Option<(i64, i64)>> {
    conn.prepare_cached("SELECT mtime, inode FROM DiskListing WHERE catalogId = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
}

/// Records (or, with `None`, forgets) the stamp of catalog `id`'s directory.
pub fn set_listed_stamp(conn: &Connection, id: i64, stamp: Option<(i64, i64)>) -> rusqlite::Result<()> {
    match stamp {
        Some((mtime, inode)) => conn
            .prepare_cached(
                "INSERT INTO DiskListing(catalogId, mtime, inode) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(catalogId) DO UPDATE SET mtime = ?2, inode = ?3",
            )?
            .execute(params![id, mtime, inode])?,
        None => conn.prepare_cached("DELETE FROM DiskListing WHERE catalogId = ?1")?.execute([id])?,
    };
    Ok(())
}

/// The device catalog `id`'s directory was on when last seen, if recorded.
pub fn device_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    let device = conn
        .prepare_cached("SELECT device FROM DiskCatalog WHERE catalogId = ?1")?
        .query_row([id], |row| Ok(int_at(row, 0)))
        .optional()?;
    Ok(device.flatten())
}

pub fn set_device(conn: &Connection, id: i64, device: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO DiskCatalog(catalogId, device) VALUES (?1, ?2) ON CONFLICT(catalogId) DO UPDATE SET device = ?2",
    )?
    .execute(params![id, device])?;
    Ok(())
}

/// Records the device and inode of catalog `id`'s directory (written only when they changed).
pub fn set_identity(conn: &Connection, id: i64, device: i64, inode: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO DiskCatalog(catalogId, device, inode) VALUES (?1, ?2, ?3) ON CONFLICT(catalogId) \
         DO UPDATE SET device = ?2, inode = ?3 WHERE device IS NOT ?2 OR inode IS NOT ?3",
    )?
    .execute(params![id, device, inode])?;
    Ok(())
}

/// The catalog whose directory had this device and inode at its last look, with its path.
pub fn catalog_with_identity(conn: &Connection, device: i64, inode: i64) -> rusqlite::Result<Option<(i64, String)>> {
    conn.prepare_cached(
        "SELECT c.id, c.path FROM DiskCatalog d JOIN Catalog c ON c.id = d.catalogId \
         WHERE d.inode = ?2 AND d.device = ?1",
    )?
    .query_row(params![device, inode], |row| Ok((row.get(0)?, row.get(1)?)))
    .optional()
}

/// Moves the catalog of directory `from` and every catalog below it to `to` on the disk, under
/// the logical parent `parent_id`: the rows (and their ids) stay, only their paths change.
pub fn move_tree(conn: &Connection, from: &str, to: &str, parent_id: i64) -> rusqlite::Result<()> {
    let (from, to) = (from.trim_end_matches('/'), to.trim_end_matches('/'));
    conn.prepare_cached(
        "UPDATE Catalog SET path = ?2 || substr(path, length(?1) + 1) \
         WHERE path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0')",
    )?
    .execute([from, to])?;
    conn.prepare_cached("UPDATE Catalog SET parentId = ?2 WHERE path = ?1")?.execute(params![to, parent_id])?;
    conn.prepare_cached(
        "UPDATE DiskCatalog SET missing = 0 WHERE catalogId IN (SELECT id FROM Catalog WHERE path = ?1)",
    )?
    .execute([to])?;
    Ok(())
}

/// How many files the catalogs of the physical tree at `dir` hold.
pub fn files_under(conn: &Connection, dir: &str) -> rusqlite::Result<i64> {
    let dir = dir.trim_end_matches('/');
    conn.prepare_cached(
        "SELECT count(*) FROM Files WHERE realCatalogId IN \
         (SELECT id FROM Catalog WHERE path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0'))",
    )?
    .query_row([dir], |row| row.get(0))
}

/// What removing a vanished directory took away, for the thumbnails to follow.
#[derive(Debug, Default)]
pub struct Removed {
    /// (file id, physical catalog id) of every file row removed.
    pub files: Vec<(i64, i64)>,
    pub catalogs: Vec<i64>,
}

/// Removes the catalog of directory `dir` and every catalog below it on the disk, with the
/// files they hold physically (uploads in progress among them: they cannot be finished). Files
/// and catalogs that only belong to them logically (moved there by the API from elsewhere) go
/// back to their physical catalog, or to the removed catalog's parent. Callers make sure no
/// root lies in the tree (`holds_root`).
pub fn remove_tree(conn: &Connection, dir: &str) -> rusqlite::Result<Removed> {
    let dir = dir.trim_end_matches('/');
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS doomed(id integer PRIMARY KEY); DELETE FROM doomed;")?;
    conn.prepare_cached(
        "INSERT INTO doomed(id) SELECT id FROM Catalog WHERE path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0')",
    )?
    .execute([dir])?;
    let parent: Option<(i64, i64)> = conn
        .prepare_cached("SELECT parentId, rootId FROM Catalog WHERE path = ?1")?
        .query_row([dir], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let mut removed = Removed::default();
    {
        let mut files = conn.prepare_cached("SELECT id, realCatalogId FROM Files WHERE realCatalogId IN doomed")?;
        removed.files = files.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut catalogs = conn.prepare_cached("SELECT id FROM doomed")?;
        removed.catalogs = catalogs.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
    }
    conn.execute_batch(
        "DELETE FROM Files WHERE realCatalogId IN doomed;
         UPDATE Files SET catalogId = realCatalogId,
             rootCatalogId = coalesce((SELECT rootId FROM Catalog WHERE id = Files.realCatalogId), rootCatalogId)
             WHERE catalogId IN doomed;",
    )?;
    if let Some((parent_id, root_id)) = parent {
        conn.prepare_cached(
            "UPDATE Catalog SET parentId = ?1, rootId = ?2 WHERE parentId IN doomed AND id NOT IN doomed",
        )?
        .execute(params![parent_id, root_id])?;
    }
    conn.execute_batch(
        "DELETE FROM UserAssociate WHERE rootCatalogId IN doomed;
         DELETE FROM Catalog WHERE id IN doomed;
         DELETE FROM doomed;",
    )?;
    Ok(removed)
}
