//! Where a catalog's files are on disk (and the media root they must stay inside), and the file
//! facts the catalog stores about them. Paths built here join database values (a catalog's
//! path, a file's stored name), never client text: client text goes through `safe_path` first.

use crate::db::{self, catalogs::Catalog};
use crate::error::ApiError;
use rusqlite::Connection;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The physical file of a row: its real catalog's directory and its stored name.
pub fn physical_file(catalog_path: &str, file_name: &str) -> PathBuf {
    Path::new(catalog_path).join(file_name)
}

/// The media root whose directory holds `catalog`'s directory: the deepest root catalog
/// directory its path lies in (component-wise). This is the physical root, which `fs::open`
/// checks files against; the catalog's `rootId` can name another root after a move across roots,
/// which moves nothing on disk. A catalog below no root (a damaged database) is its own root.
pub fn root_of(conn: &Connection, catalog: &Catalog) -> Result<String, ApiError> {
    let path = Path::new(&catalog.path);
    let roots = db::catalogs::root_paths(conn)?;
    let deepest =
        roots.into_iter().filter(|root| path.starts_with(root)).max_by_key(|root| Path::new(root).components().count());
    Ok(deepest.unwrap_or_else(|| {
        log::warn!("catalog {} ({}) lies in no root's directory", catalog.id, catalog.path);
        catalog.path.clone()
    }))
}

/// Size of the regular file at `path`, 0 when there is none; a symbolic link there is not
/// followed (it counts as no file, as it does for every open of a media file: `fs::open`).
pub fn size_or_zero(path: &Path) -> u64 {
    std::fs::symlink_metadata(path).ok().filter(|m| m.is_file()).map_or(0, |m| m.len())
}

/// ⌊min(ctime, mtime, atime)⌋ of a path, or now when it cannot be read (protocol §3.5, §7.3).
pub fn earliest_time(path: &Path) -> i64 {
    match std::fs::metadata(path) {
        Ok(m) => m.ctime().min(m.mtime()).min(m.atime()),
        Err(_) => crate::clock::now(),
    }
}

/// File systems that update a directory's modification time whenever an entry is added,
/// removed or renamed in it, on every system that writes them (`statfs` magic numbers): ext2–4,
/// btrfs, XFS, F2FS, tmpfs. Not FAT, exFAT or NTFS: a disk filled on another computer may add
/// entries without it (and FAT's root directory has no time at all).
const TRUSTED_DIRECTORY_TIMES: [i64; 5] = [0xEF53, 0x9123_683E, 0x5846_5342, 0xF2F5_2010, 0x0102_1994];

/// The stamp of directory `path` that changes whenever what it lists changes: its modification
/// time (nanoseconds) and inode; `None` when it cannot be read or its file system does not keep
/// directory times faithfully (then it must be listed every time).
pub fn listing_stamp(path: &str) -> Option<(i64, i64)> {
    let c_path = std::ffi::CString::new(path).ok()?;
    // SAFETY: statfs fills a struct we own from a NUL-terminated path that lives across the call.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c_path.as_ptr(), &mut fs) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)] // f_type is i64, u32 or c_ulong, by target
    let kind = fs.f_type as i64;
    if !TRUSTED_DIRECTORY_TIMES.contains(&kind) {
        return None;
    }
    let metadata = std::fs::symlink_metadata(path).ok().filter(|m| m.is_dir())?;
    Some((metadata.mtime() * 1_000_000_000 + metadata.mtime_nsec(), metadata.ino() as i64))
}
