//! The catalog's vocabulary as it is stored and sent (protocol §3): the media types of a file
//! and the statuses of its three parts (origin, level-0 and level-1 thumbnail). The scanner,
//! the SQL, the handlers and the parameter checks all name these, never the bare numbers.

/// `fileType`: one bit per kind of media.
pub mod file_type {
    pub const IMAGE: i64 = 1;
    pub const GIF: i64 = 2;
    pub const VIDEO: i64 = 4;
    pub const AUDIO: i64 = 8;
    pub const OTHER: i64 = 16;
    /// Every valid value.
    pub const ALL: [i64; 5] = [IMAGE, GIF, VIDEO, AUDIO, OTHER];
    /// The types that have thumbnails (protocol §5.1).
    pub const VISUAL: [i64; 3] = [IMAGE, GIF, VIDEO];
}

/// `statusForOrigin`, `statusForThumb`, `statusForScreen`.
pub mod status {
    /// On the server (origin) or built by the server on demand (thumbnails).
    pub const LOCAL: i64 = 0;
    /// The server could not build this thumbnail.
    pub const BUILD_ERROR: i64 = 1;
    /// The client is uploading this part (or was, and can resume).
    pub const UPLOADING: i64 = 2;
    /// The client uploaded this part completely.
    pub const UPLOADED: i64 = 3;
}
