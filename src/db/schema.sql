-- The iSync database, table for table and column for column the one iSyncServer created in
-- dataManager.db, so an existing install is adopted in place (protocol §3). Differences:
-- Catalog.path and Files.fileName compare byte-wise (no NOCASE collation, D24), User.password
-- holds a salted hash (D4), Files has longitude/latitude (D12), the listing queries have
-- indices, and FilesGeneration with its triggers counts changes to Files for the listing
-- totals. User names stay ASCII-case-insensitive (NOCASE).

CREATE TABLE IF NOT EXISTS User(
    id integer PRIMARY KEY AUTOINCREMENT,
    name varchar(100) COLLATE NOCASE UNIQUE,
    password text,            -- pbkdf2-sha1$rounds$salt$hash; NULL = cannot log in
    createTime integer,
    lastLoginDate integer,
    lastModifyTime integer,   -- last change of the help info
    helpInt integer,
    helpText text
);

CREATE TABLE IF NOT EXISTS Catalog(
    id integer PRIMARY KEY AUTOINCREMENT,
    path text UNIQUE,         -- absolute physical directory
    rootId integer,           -- root of the logical tree (own id for a root)
    parentId integer,         -- logical parent; -1 for a root
    name text,                -- display name; NULL = last component of path
    createTime integer,
    lastModifyTime integer,
    memo text,
    helpInt integer,
    helpText text
);

CREATE TABLE IF NOT EXISTS UserAssociate(
    id integer PRIMARY KEY AUTOINCREMENT,
    userId integer NOT NULL,
    rootCatalogId integer NOT NULL,
    UNIQUE(userId, rootCatalogId)
);

CREATE TABLE IF NOT EXISTS Files(
    id integer PRIMARY KEY AUTOINCREMENT,
    uploadUserId integer,     -- NULL for scanned files
    rootCatalogId integer,    -- root of the logical catalog: decides visibility
    catalogId integer,        -- logical catalog (moved by updateFile)
    realCatalogId integer,    -- physical catalog: the directory that holds fileName
    fileName text,
    ext text,
    name text,                -- display name; NULL = fileName
    createTime integer,
    uploadTime integer,
    importTime integer,
    lastModifyTime integer,
    size integer,
    type integer,             -- 1 image, 2 GIF, 4 video, 8 audio, 16 other
    duration real,
    width integer,            -- display orientation
    height integer,
    statusForThumb integer,   -- 0 local, 1 build error, 2 uploading, 3 uploaded
    statusForScreen integer,
    statusForOrigin integer,
    orientation integer,      -- EXIF orientation of the stored pixels
    memo text,
    helpInt integer,
    helpText text,
    longitude real,
    latitude real,
    UNIQUE(realCatalogId, fileName)
);

CREATE INDEX IF NOT EXISTS catalog_by_parent ON Catalog(parentId);
CREATE INDEX IF NOT EXISTS catalog_by_root ON Catalog(rootId);
CREATE INDEX IF NOT EXISTS associate_by_root ON UserAssociate(rootCatalogId);
CREATE INDEX IF NOT EXISTS files_by_catalog ON Files(catalogId);
CREATE INDEX IF NOT EXISTS files_by_root ON Files(rootCatalogId);
-- The files a listing shows (files.icc's filter repeats this condition word for word, so SQLite
-- can use it): paging through a root skips the earlier pages in this index, in id order, without
-- reading their rows; with files_by_root alone each skipped file would be a row lookup.
CREATE INDEX IF NOT EXISTS files_listed_by_root ON Files(rootCatalogId)
    WHERE coalesce(statusForOrigin, 0) != 2 AND coalesce(statusForThumb, 0) != 2 AND coalesce(statusForScreen, 0) != 2;
CREATE INDEX IF NOT EXISTS files_by_uploader ON Files(uploadUserId);
CREATE INDEX IF NOT EXISTS files_by_create_time ON Files(createTime);
CREATE INDEX IF NOT EXISTS files_by_upload_time ON Files(uploadTime);
CREATE INDEX IF NOT EXISTS files_by_size ON Files(size);
CREATE INDEX IF NOT EXISTS files_by_duration ON Files(duration);
CREATE INDEX IF NOT EXISTS files_by_dimensions ON Files(width, height);
-- For the descending sorts of files.icc, whose ties still go by id ascending (db/files.rs).
CREATE INDEX IF NOT EXISTS files_by_create_time_desc ON Files(createTime, -id);
CREATE INDEX IF NOT EXISTS files_by_upload_time_desc ON Files(uploadTime, -id);
CREATE INDEX IF NOT EXISTS files_by_size_desc ON Files(size, -id);
CREATE INDEX IF NOT EXISTS files_by_duration_desc ON Files(duration, -id);
CREATE INDEX IF NOT EXISTS files_by_dimensions_desc ON Files(width, height, -id);

-- Bumped by every change to Files that can change how many files a files.icc listing matches
-- (inserts, deletes, updates of the filtered columns), whichever connection or process (the
-- scanner) makes it: files.icc reuses a listing's total while it stays the same.
CREATE TABLE IF NOT EXISTS FilesGeneration(id integer PRIMARY KEY CHECK (id = 1), n integer NOT NULL);
INSERT OR IGNORE INTO FilesGeneration(id, n) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS files_generation_on_insert AFTER INSERT ON Files
BEGIN UPDATE FilesGeneration SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS files_generation_on_delete AFTER DELETE ON Files
BEGIN UPDATE FilesGeneration SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS files_generation_on_update
AFTER UPDATE OF rootCatalogId, catalogId, type, uploadUserId, statusForThumb, statusForScreen, statusForOrigin ON Files
BEGIN UPDATE FilesGeneration SET n = n + 1; END;

-- What the sweep (scan::walk) last saw on the disk, ours alone (the original had none): each
-- file's size and modification time when it was last probed, and for files and folders how many
-- looks in a row have not found them, since when (removed at the second, if long enough after
-- the first). A folder's device and inode tell
-- a folder moved on the disk (it keeps its catalog) and a root's disk that is not mounted from
-- one that was emptied. Rows go with their file or catalog.
CREATE TABLE IF NOT EXISTS DiskFile(
    fileId integer PRIMARY KEY,
    size integer,
    mtime integer,
    missing integer NOT NULL DEFAULT 0,
    missedAt integer          -- when the first look of the current run missed it
);
CREATE TABLE IF NOT EXISTS DiskCatalog(
    catalogId integer PRIMARY KEY,
    device integer,
    inode integer,
    missing integer NOT NULL DEFAULT 0,
    missedAt integer
);
CREATE INDEX IF NOT EXISTS disk_catalog_by_identity ON DiskCatalog(inode, device);
-- The stamp (modification time in ns, inode) of a catalog's directory when a look last listed
-- it completely with nothing left pending: a later look that finds the same stamp need not
-- list it again (scan::walk).
CREATE TABLE IF NOT EXISTS DiskListing(
    catalogId integer PRIMARY KEY,
    mtime integer NOT NULL,
    inode integer NOT NULL
);
CREATE TRIGGER IF NOT EXISTS disk_listing_goes_with_its_catalog AFTER DELETE ON Catalog
BEGIN DELETE FROM DiskListing WHERE catalogId = old.id; END;
CREATE TRIGGER IF NOT EXISTS disk_file_goes_with_its_file AFTER DELETE ON Files
BEGIN DELETE FROM DiskFile WHERE fileId = old.id; END;
CREATE TRIGGER IF NOT EXISTS disk_catalog_goes_with_its_catalog AFTER DELETE ON Catalog
BEGIN DELETE FROM DiskCatalog WHERE catalogId = old.id; END;

-- WebDAV's dead properties (RFC 4918 §4): what clients set with PROPPATCH and read back with
-- PROPFIND, kept with the catalog (kind 1) or file (kind 2) they belong to, so a MOVE, which
-- keeps ids, keeps them; value is the property's content as XML.
CREATE TABLE IF NOT EXISTS DavProperty(
    kind integer NOT NULL,
    ownerId integer NOT NULL,
    ns text NOT NULL,
    name text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY(kind, ownerId, ns, name)
);
CREATE TRIGGER IF NOT EXISTS dav_property_goes_with_its_catalog AFTER DELETE ON Catalog
BEGIN DELETE FROM DavProperty WHERE kind = 1 AND ownerId = old.id; END;
CREATE TRIGGER IF NOT EXISTS dav_property_goes_with_its_file AFTER DELETE ON Files
BEGIN DELETE FROM DavProperty WHERE kind = 2 AND ownerId = old.id; END;
