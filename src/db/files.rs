//! Queries on `Files`: lookup by id, the paged and filtered listing of files.icc, the uploads of
//! a user, the scanner's insert, and help info. Filters arrive as parsed integer lists and are
//! bound as parameters; the sort order comes from a fixed table, never from client text.

use super::{float_at, int_at, placeholders, text_at, HelpInfo, HelpUpdate};
use crate::model::status;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileRow {
    pub id: i64,
    pub upload_user_id: Option<i64>,
    pub root_catalog_id: i64,
    pub catalog_id: i64,
    pub real_catalog_id: i64,
    pub file_name: String,
    pub ext: Option<String>,
    pub name: Option<String>,
    pub create_time: Option<i64>,
    pub upload_time: Option<i64>,
    pub import_time: Option<i64>,
    pub last_modify_time: Option<i64>,
    pub size: Option<i64>,
    pub file_type: i64,
    pub duration: Option<f64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub status_for_thumb: i64,
    pub status_for_screen: i64,
    pub status_for_origin: i64,
    pub orientation: Option<i64>,
    pub memo: Option<String>,
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

impl FileRow {
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.file_name)
    }
}

pub(crate) const COLUMNS: &str = "id, uploadUserId, rootCatalogId, catalogId, realCatalogId, fileName, ext, name, \
    createTime, uploadTime, importTime, lastModifyTime, size, type, duration, width, height, \
    statusForThumb, statusForScreen, statusForOrigin, orientation, memo, helpInt, helpText";

pub(crate) fn from_row(row: &Row) -> rusqlite::Result<FileRow> {
    Ok(FileRow {
        id: row.get(0)?,
        upload_user_id: int_at(row, 1),
        root_catalog_id: int_at(row, 2).unwrap_or(-1),
        catalog_id: int_at(row, 3).unwrap_or(-1),
        real_catalog_id: int_at(row, 4).unwrap_or(-1),
        file_name: text_at(row, 5).unwrap_or_default(),
        ext: text_at(row, 6),
        name: text_at(row, 7),
        create_time: int_at(row, 8),
        upload_time: int_at(row, 9),
        import_time: int_at(row, 10),
        last_modify_time: int_at(row, 11),
        size: int_at(row, 12),
        file_type: int_at(row, 13).unwrap_or(16),
        duration: float_at(row, 14),
        width: int_at(row, 15),
        height: int_at(row, 16),
        status_for_thumb: int_at(row, 17).unwrap_or(0),
        status_for_screen: int_at(row, 18).unwrap_or(0),
        status_for_origin: int_at(row, 19).unwrap_or(0),
        orientation: int_at(row, 20),
        memo: text_at(row, 21),
        help_int: int_at(row, 22),
        help_text: text_at(row, 23),
    })
}

pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<FileRow>> {
    let sql = format!("SELECT {COLUMNS} FROM Files WHERE id = ?1");
    conn.prepare_cached(&sql)?.query_row([id], from_row).optional()
}

/// Up to `limit` photos and videos with ids below `below`, newest first, whose small thumbnail
/// the server builds (status 0) from an origin that is there (not uploading): what the
/// background builder looks at (it checks the cache files itself).
pub fn wanting_small_thumbnails(conn: &Connection, below: i64, limit: i64) -> rusqlite::Result<Vec<FileRow>> {
    use crate::model::file_type::{GIF, IMAGE, VIDEO};
    let sql = format!(
        "SELECT {COLUMNS} FROM Files WHERE id < ?1 AND type IN (?3, ?4, ?5) AND coalesce(statusForThumb, 0) = ?6 \
         AND coalesce(statusForOrigin, 0) != ?7 ORDER BY id DESC LIMIT ?2"
    );
    let values = params![below, limit, IMAGE, GIF, VIDEO, status::LOCAL, status::UPLOADING];
    let rows = conn.prepare_cached(&sql)?.query_map(values, from_row)?.collect();
    rows
}

/// The optional, client-described columns that uploadFileInfo and updateFile both take
/// (protocol §4.15, §4.19); None = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub duration: Option<f64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub orientation: Option<i64>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub memo: Option<String>,
    pub help_int: Option<i64>,
    pub help_text: Option<String>,
}

/// The filter of files.icc (protocol §4.10), already validated.
#[derive(Debug, Clone)]
pub struct Listing {
    pub roots: Vec<i64>,
    pub catalog_ids: Option<Vec<i64>>,
    pub types: Option<Vec<i64>>,
    pub uploaded_by: Option<i64>,
    pub order: Order,
    pub offset: i64,
    pub limit: i64,
}

/// The sort orders of files.icc; ties are broken by id ascending. A descending order says so as
/// `-id DESC`, which its `…_desc` index in schema.sql, walked backwards, yields without sorting:
/// files copied onto a disk together share their times, and such a tie would otherwise be
/// sorted whole for every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Id,
    CreateTime(bool),
    UploadTime(bool),
    Size(bool),
    Duration(bool),
    Dimensions(bool),
    /// By display name, ignoring ASCII case (the web gallery's; files.icc has no such sort).
    Name(bool),
}

impl Order {
    /// The order for a `sort` value: 0, ±1…±5; None for anything else.
    pub fn from_sort(sort: i64) -> Option<Order> {
        let ascending = sort > 0;
        Some(match sort.abs() {
            0 => Order::Id,
            1 => Order::CreateTime(ascending),
            2 => Order::UploadTime(ascending),
            3 => Order::Size(ascending),
            4 => Order::Duration(ascending),
            5 => Order::Dimensions(ascending),
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Order::Id => "id",
            Order::CreateTime(true) => "createTime, id",
            Order::CreateTime(false) => "createTime DESC, -id DESC",
            Order::UploadTime(true) => "uploadTime, id",
            Order::UploadTime(false) => "uploadTime DESC, -id DESC",
            Order::Size(true) => "size, id",
            Order::Size(false) => "size DESC, -id DESC",
            Order::Duration(true) => "duration, id",
            Order::Duration(false) => "duration DESC, -id DESC",
            Order::Dimensions(true) => "width, height, id",
            Order::Dimensions(false) => "width DESC, height DESC, -id DESC",
            Order::Name(true) => "coalesce(name, fileName) COLLATE NOCASE, id",
            Order::Name(false) => "coalesce(name, fileName) COLLATE NOCASE DESC, id",
        }
    }
}

/// The totals of recent listings, each with the FilesGeneration it was counted at. Counting the
/// matches is most of the work of a files.icc page, and a client paging through a folder asks
/// for the same total again and again.
#[derive(Default)]
pub struct ListingTotals {
    entries: Mutex<HashMap<TotalKey, (i64, i64)>>,
}

/// A listing: its filter and the values bound to it. Remembered with (generation, total).
type TotalKey = (String, Vec<i64>);

/// Listings remembered at most; the map is emptied when it is full.
const TOTALS_KEPT: usize = 256;

impl ListingTotals {
    /// The number of rows matching `filter`, counted again only when Files has changed since.
    fn count(&self, conn: &Connection, filter: &str, values: &[i64]) -> rusqlite::Result<i64> {
        // The generation is read before counting: a count that already sees a later change is
        // stored under the older generation, which is never read again.
        let generation: i64 = conn.prepare_cached("SELECT n FROM FilesGeneration")?.query_row([], |r| r.get(0))?;
        let key = (filter.to_string(), values.to_vec());
        let entries = || crate::sync::lock(&self.entries);
        if let Some(&(counted_at, total)) = entries().get(&key) {
            if counted_at == generation {
                return Ok(total);
            }
        }
        let sql = format!("SELECT count(*) FROM Files WHERE {filter}");
        let total = conn.prepare_cached(&sql)?.query_row(params_from_iter(values.iter()), |r| r.get(0))?;
        let mut entries = entries();
        if entries.len() >= TOTALS_KEPT {
            entries.clear();
        }
        entries.insert(key, (generation, total));
        Ok(total)
    }
}

/// The files a listing may show: none with a part still uploading (2 is `status::UPLOADING`).
/// `files_listed_by_root` in schema.sql is a partial index on exactly this condition; the two
/// must stay word for word alike, so the value is written out here.
const LISTED: &str =
    "coalesce(statusForOrigin, 0) != 2 AND coalesce(statusForThumb, 0) != 2 AND coalesce(statusForScreen, 0) != 2";

/// One page of files matching `listing`, each passed through `each` as it is read, and the
/// total number of matches. Only what `each` makes is kept: a vector of a large page of
/// `FileRow`s would be a block big enough for musl to map and unmap it for every page.
pub fn list<T>(
    conn: &Connection,
    totals: &ListingTotals,
    listing: &Listing,
    mut each: impl FnMut(&FileRow) -> T,
) -> rusqlite::Result<(Vec<T>, i64)> {
    if listing.roots.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let (filter, mut values) = listing_filter(listing);
    let total = totals.count(conn, &filter, &values)?;
    values.push(listing.limit);
    values.push(listing.offset);
    let mut stmt = conn.prepare_cached(&page_sql(&filter, listing.order))?;
    let mut rows = stmt.query(params_from_iter(values.iter()))?;
    let mut page = Vec::with_capacity(usize::try_from((total - listing.offset).clamp(0, listing.limit)).unwrap_or(0));
    while let Some(row) = rows.next()? {
        page.push(each(&from_row(row)?));
    }
    Ok((page, total))
}

/// The WHERE clause of a listing and the values it binds.
pub(super) fn listing_filter(listing: &Listing) -> (String, Vec<i64>) {
    let mut filter = format!("rootCatalogId IN ({}) AND {LISTED}", placeholders(listing.roots.len()));
    let mut values: Vec<i64> = listing.roots.clone();
    for (column, list) in [("catalogId", &listing.catalog_ids), ("type", &listing.types)] {
        if let Some(list) = list {
            filter.push_str(&format!(" AND {column} IN ({})", placeholders(list.len())));
            values.extend(list);
        }
    }
    if let Some(user_id) = listing.uploaded_by {
        filter.push_str(" AND uploadUserId = ?");
        values.push(user_id);
    }
    (filter, values)
}

fn page_sql(filter: &str, order: Order) -> String {
    format!("SELECT {COLUMNS} FROM Files WHERE {filter} ORDER BY {} LIMIT ? OFFSET ?", order.sql())
}

/// Files uploaded by `user_id` with any part still waiting for upload, by id.
pub fn uploading_of(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<FileRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM Files WHERE uploadUserId = ?1 AND \
         ?2 IN (statusForOrigin, statusForThumb, statusForScreen) ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([user_id, status::UPLOADING], from_row)?.collect();
    rows
}

/// True when the physical catalog already has a row for this file name (the scanner, and
/// deleteCatalog's names for clashing files).
pub fn exists_in(conn: &Connection, real_catalog_id: i64, file_name: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM Files WHERE realCatalogId = ?1 AND fileName = ?2")?
        .exists(params![real_catalog_id, file_name])
}

/// A scanned file (protocol §7.4).
pub struct ScannedFile<'a> {
    pub root_id: i64,
    pub catalog_id: i64,
    pub file_name: &'a str,
    pub ext: &'a str,
    pub size: i64,
    pub create_time: i64,
    pub now: i64,
    pub file_type: i64,
    pub duration: Option<f64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub orientation: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

pub fn insert_scanned(conn: &Connection, f: &ScannedFile) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO Files(rootCatalogId, catalogId, realCatalogId, fileName, ext, createTime, importTime, \
         lastModifyTime, size, type, duration, width, height, statusForThumb, statusForScreen, statusForOrigin, \
         orientation, latitude, longitude) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, 0, 0, 0, ?12, ?13, ?14)",
    )?
    .execute(params![
        f.root_id,
        f.catalog_id,
        f.file_name,
        f.ext,
        f.create_time,
        f.now,
        f.size,
        f.file_type,
        f.duration,
        f.width,
        f.height,
        f.orientation,
        f.latitude,
        f.longitude
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Records a failed thumbnail build for one level (protocol §5.3).
pub fn set_thumb_status(conn: &Connection, id: i64, screen: bool, status: i64, now: i64) -> rusqlite::Result<()> {
    let sql = if screen {
        "UPDATE Files SET statusForScreen = ?2, lastModifyTime = ?3 WHERE id = ?1"
    } else {
        "UPDATE Files SET statusForThumb = ?2, lastModifyTime = ?3 WHERE id = ?1"
    };
    conn.prepare_cached(sql)?.execute(params![id, status, now])?;
    Ok(())
}

pub fn help_info(conn: &Connection, id: i64) -> rusqlite::Result<Option<(i64, HelpInfo)>> {
    conn.prepare_cached("SELECT helpInt, helpText, lastModifyTime, rootCatalogId FROM Files WHERE id = ?1")?
        .query_row([id], |row| Ok((int_at(row, 3).unwrap_or(-1), super::help_info_from_row(row)?)))
        .optional()
}

pub fn update_help_info(conn: &Connection, id: i64, update: &HelpUpdate, now: i64) -> rusqlite::Result<()> {
    super::update_help(conn, "Files", id, update, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What running the page statement of `listing` cost SQLite: (sorts, steps of full table
    /// scans, rows returned, VM steps), from the statement's own counters.
    fn page_work(conn: &Connection, listing: &Listing) -> (i32, i32, usize, i32) {
        use rusqlite::StatementStatus;
        let (filter, values) = listing_filter(listing);
        let mut stmt = conn.prepare(&page_sql(&filter, listing.order)).unwrap();
        let values = values.iter().chain([&listing.limit, &listing.offset]);
        let rows = stmt.query_map(params_from_iter(values), |_| Ok(())).unwrap().count();
        (
            stmt.get_status(StatementStatus::Sort),
            stmt.get_status(StatementStatus::FullscanStep),
            rows,
            stmt.get_status(StatementStatus::VmStep),
        )
    }

    #[test]
    fn a_page_of_one_root_skips_earlier_pages_in_the_index_without_sorting_or_scanning() {
        let (_dir, conn) = tied_library();
        crate::db::refresh_statistics(&conn).unwrap();
        let page = |offset| Listing {
            roots: vec![1],
            catalog_ids: None,
            types: None,
            uploaded_by: None,
            order: Order::Id,
            offset,
            limit: 1,
        };
        let (first, late) = (page_work(&conn, &page(0)), page_work(&conn, &page(280)));
        assert_eq!((first.0, first.1, first.2), (0, 0, 1), "(sorts, full-scan steps, rows)");
        assert_eq!((late.0, late.1, late.2), (0, 0, 1), "(sorts, full-scan steps, rows)");
        // Skipping a row inside the partial index costs a few VM steps; checking each skipped
        // row's statuses in the table (an index that does not match LISTED) costs several times
        // more.
        let per_skipped_row = (late.3 - first.3) / 280;
        assert!(per_skipped_row <= 6, "{per_skipped_row} VM steps per skipped row: the page looks up rows it skips");
    }

    /// 600 files in two roots whose times come in ties of 100 (files copied together share
    /// them), with statistics as a scan leaves them.
    fn tied_library() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_and_prepare(&dir.path().join("t.db")).unwrap();
        for i in 0..600 {
            let name = format!("{i}.jpg");
            let file = ScannedFile {
                root_id: 1 + i % 2,
                catalog_id: 1,
                file_name: &name,
                ext: "jpg",
                size: 1,
                create_time: i / 100,
                now: 0,
                file_type: 1,
                duration: None,
                width: Some(640),
                height: Some(480),
                orientation: None,
                latitude: None,
                longitude: None,
            };
            insert_scanned(&conn, &file).unwrap();
        }
        (dir, conn)
    }

    #[test]
    fn with_statistics_no_order_sorts_whole_roots_for_a_page() {
        let (_dir, conn) = tied_library();
        let listing = |order| Listing {
            roots: vec![1, 2],
            catalog_ids: None,
            types: None,
            uploaded_by: None,
            order,
            offset: 200,
            limit: 100,
        };
        let sorts = |order| page_work(&conn, &listing(order)).0;
        assert!(sorts(Order::Id) > 0, "without statistics the planner sorts (and the counter sees it)");
        crate::db::refresh_statistics(&conn).unwrap();
        let stat4: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat4'", [], |r| r.get(0)).unwrap();
        assert_eq!(
            stat4, 0,
            "SQLite is built without STAT4 (.cargo/config.toml): its samples cost every connection memory"
        );
        for sort in [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5] {
            let order = Order::from_sort(sort).unwrap();
            assert_eq!(sorts(order), 0, "sort {sort} sorted");
            assert_eq!(page_work(&conn, &listing(order)).2, 100, "sort {sort} returns a full page");
        }
    }

    #[test]
    fn descending_orders_break_ties_by_id_ascending() {
        let (_dir, conn) = tied_library();
        crate::db::refresh_statistics(&conn).unwrap();
        let totals = ListingTotals::default();
        let listing = Listing {
            roots: vec![1, 2],
            catalog_ids: None,
            types: None,
            uploaded_by: None,
            order: Order::CreateTime(false),
            offset: 90,
            limit: 20,
        };
        let (got, total) = list(&conn, &totals, &listing, |r| (r.create_time, r.id)).unwrap();
        let want: Vec<(Option<i64>, i64)> =
            (591..=600).map(|id| (Some(5), id)).chain((401..=410).map(|id| (Some(4), id))).collect();
        assert_eq!((got, total), (want, 600));
    }
}
