//! The queries only the web gallery asks: files per month (the timeline's headers and
//! scrubber), a cover file per folder, and the chain of folders above one (breadcrumbs).
//! Filters are those of files.icc (`files::listing_filter`), bound as parameters.

use super::catalogs::{self, CatalogWithCounts};
use super::files::{listing_filter, Listing};
use rusqlite::{params_from_iter, Connection};

/// The types a folder's cover may be: still images, GIFs and videos (they have thumbnails).
const VISUAL_TYPES: &str = "1, 2, 4";
/// Folders are nested this deep at most, as far as breadcrumbs go.
const MAX_DEPTH: i64 = 256;

/// Files matching `listing` per month of their createTime, shifted by `utc_offset` seconds
/// (the viewer's time zone), newest month first; a month is `YYYY-MM`, and files without a
/// date come last under "".
pub fn months(conn: &Connection, listing: &Listing, utc_offset: i64) -> rusqlite::Result<Vec<(String, i64)>> {
    if listing.roots.is_empty() {
        return Ok(Vec::new());
    }
    let (filter, mut values) = listing_filter(listing);
    values.insert(0, utc_offset);
    let sql = format!(
        "SELECT coalesce(strftime('%Y-%m', createTime + ?, 'unixepoch'), '') AS month, count(*) \
         FROM Files WHERE {filter} GROUP BY month ORDER BY month = '', month DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values.iter()), |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// For each of `catalog_ids` (within `roots`) that has one, its newest picture or video that
/// is not still uploading: (catalog id, file id).
pub fn covers(conn: &Connection, catalog_ids: &[i64], roots: &[i64]) -> rusqlite::Result<Vec<(i64, i64)>> {
    if catalog_ids.is_empty() || roots.is_empty() {
        return Ok(Vec::new());
    }
    let listing = Listing {
        roots: roots.to_vec(),
        catalog_ids: Some(catalog_ids.to_vec()),
        types: None,
        uploaded_by: None,
        order: super::files::Order::Id,
        offset: 0,
        limit: 0,
    };
    let (filter, values) = listing_filter(&listing);
    // SQLite takes the bare column `id` from the row that holds the max.
    let sql = format!(
        "SELECT catalogId, id, max(coalesce(createTime, 0)) FROM Files \
         WHERE {filter} AND type IN ({VISUAL_TYPES}) GROUP BY catalogId ORDER BY catalogId"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values.iter()), |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// Catalog `id` and its logical ancestors, the root first; None when it does not exist, its
/// chain is broken or cyclic, or it does not end in one of `roots`.
pub fn trail(conn: &Connection, id: i64, roots: &[i64]) -> rusqlite::Result<Option<Vec<CatalogWithCounts>>> {
    let mut chain = Vec::new();
    let mut next = id;
    while next != -1 {
        if chain.len() as i64 >= MAX_DEPTH || chain.iter().any(|c: &CatalogWithCounts| c.catalog.id == next) {
            return Ok(None);
        }
        let Some(entry) = catalogs::with_counts(conn, next)? else { return Ok(None) };
        next = entry.catalog.parent_id;
        chain.push(entry);
    }
    chain.reverse();
    let visible = chain.first().is_some_and(|root| roots.contains(&root.catalog.id));
    Ok(visible.then_some(chain))
}
