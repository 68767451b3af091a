//! The protocol's error codes and the ONE place where an error becomes a `code`, a message and an
//! HTTP status. Handlers return `ApiError` values; the server turns them into envelopes. Causes of
//! infrastructure failures (I/O, SQLite) are logged here and never sent to the client.

/// Every failure a request can end in, named after what went wrong rather than after its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    /// -100: the user has no root folder and the default one could not be set up.
    NoRootFolder,
    /// -102: the database is inconsistent (a row points at a catalog that does not exist, a
    /// stored name is not a file name).
    Data,
    /// -102 with HTTP 500 (protocol §1.8): an unexpected failure of the server itself (I/O,
    /// SQLite), logged where it happened.
    Internal,
    /// -103: deleting catalogs failed.
    DeleteFailed,
    /// -10000: wrong user name or password.
    BadLogin,
    /// -10001: not logged in, or the session expired.
    NotLoggedIn,
    /// -10002 with HTTP 403: a request that changes something came from another site's page
    /// (its `Origin` or `Sec-Fetch-Site` says so); the old client sends neither header.
    CrossSite,
    /// -10003: a parameter is missing or invalid (also several "not found" cases).
    InvalidParameter,
    /// -10004: the resource was not found (or is not visible).
    NotFound,
    /// -10005: operation not supported for this file type.
    UnsupportedType,
    /// -10006: the file is registered but missing on disk.
    MissingOnDisk,
    /// -10007: invalid catalog id.
    InvalidCatalog,
    /// -10008: the thumbnail cannot be built.
    ThumbnailFailed,
    /// -10009: the content has not been uploaded yet.
    WaitingForUpload,
    /// -10010: nothing was modified.
    NotModified,
}

/// Where a failure is answered: the HTTP status differs per endpoint family (protocol §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Ordinary JSON endpoints: HTTP 200 with a negative code (500 for internal failures).
    Json,
    /// `downFile.ic*`: 403 / 416 / 404 / 500 as the protocol lists.
    Download,
    /// `thumbnail.icc`: 404 for "cannot build" and "waiting for upload".
    Thumbnail,
}

impl ApiError {
    pub fn code(self) -> i64 {
        match self {
            ApiError::NoRootFolder => -100,
            ApiError::Data | ApiError::Internal => -102,
            ApiError::DeleteFailed => -103,
            ApiError::BadLogin => -10000,
            ApiError::NotLoggedIn => -10001,
            ApiError::CrossSite => -10002,
            ApiError::InvalidParameter => -10003,
            ApiError::NotFound => -10004,
            ApiError::UnsupportedType => -10005,
            ApiError::MissingOnDisk => -10006,
            ApiError::InvalidCatalog => -10007,
            ApiError::ThumbnailFailed => -10008,
            ApiError::WaitingForUpload => -10009,
            ApiError::NotModified => -10010,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ApiError::NoRootFolder => "The server has no root folder set for this user",
            ApiError::Data | ApiError::Internal => "Database data error",
            ApiError::DeleteFailed => "Delete operation failed",
            ApiError::BadLogin => "Incorrect user name or password",
            ApiError::NotLoggedIn => "You must log in to access this content",
            ApiError::CrossSite => "No access permission",
            ApiError::InvalidParameter => "Invalid parameter",
            ApiError::NotFound => "The specified resource was not found",
            ApiError::UnsupportedType => "This operation is not supported for this file type",
            ApiError::MissingOnDisk => "The specified resource has been removed",
            ApiError::InvalidCatalog => "Invalid catalog id",
            ApiError::ThumbnailFailed => "Unable to build thumbnail",
            ApiError::WaitingForUpload => "Waiting for upload",
            ApiError::NotModified => "The data was not modified",
        }
    }

    /// The HTTP status of this failure on the given surface (protocol §1.8).
    pub fn status(self, surface: Surface) -> u16 {
        match (surface, self) {
            (_, ApiError::Internal) => 500,
            (_, ApiError::CrossSite) => 403,
            (Surface::Download, ApiError::NotLoggedIn) => 403,
            (Surface::Download, ApiError::InvalidParameter) => 416,
            (Surface::Download, ApiError::NotFound) => 404,
            (Surface::Download, ApiError::Data | ApiError::MissingOnDisk) => 500,
            (Surface::Thumbnail, ApiError::ThumbnailFailed | ApiError::WaitingForUpload) => 404,
            (Surface::Json | Surface::Thumbnail, _) => 200,
            (Surface::Download, _) => 200,
        }
    }
}

/// An I/O failure that reached a handler without more context; the server's access line names
/// the request it happened in.
impl From<std::io::Error> for ApiError {
    fn from(err: std::io::Error) -> Self {
        log::error!("i/o failure: {err}");
        ApiError::Internal
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        log::error!("database failure: {err}");
        ApiError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_surface_uses_the_statuses_of_the_protocol() {
        assert_eq!(ApiError::NotLoggedIn.status(Surface::Download), 403);
        assert_eq!(ApiError::InvalidParameter.status(Surface::Download), 416);
        assert_eq!(ApiError::NotFound.status(Surface::Download), 404);
        assert_eq!(ApiError::MissingOnDisk.status(Surface::Download), 500);
        assert_eq!(ApiError::NotLoggedIn.status(Surface::Json), 200);
        assert_eq!(ApiError::ThumbnailFailed.status(Surface::Thumbnail), 404);
        assert_eq!(ApiError::NotFound.status(Surface::Thumbnail), 200);
        for surface in [Surface::Json, Surface::Download, Surface::Thumbnail] {
            assert_eq!(ApiError::Internal.status(surface), 500, "{surface:?}");
        }
        assert_eq!(ApiError::Data.status(Surface::Json), 200);
    }
}
