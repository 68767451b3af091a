//! How a WebDAV request fails, and the one mapping of those failures onto HTTP statuses
//! (RFC 4918 §11, RFC 7231). Infrastructure errors (SQLite, I/O) are logged where they are
//! converted and answered 500, or 507 when the disk is full; the API's own errors, met through
//! the code WebDAV shares with it, get the status that means the same.

use crate::error::ApiError;
use std::io;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DavError {
    /// 400: a malformed href, header or body.
    BadRequest,
    /// 401: no credentials, or wrong ones.
    Unauthorized,
    /// 403: a request that is understood and never allowed (a root deleted, a PUT on the top).
    Forbidden,
    /// 403 with the `propfind-finite-depth` precondition (RFC 4918 §9.1): Depth infinity.
    InfiniteDepth,
    /// 404
    NotFound,
    /// 405: the method does not apply to this resource (MKCOL on something that exists).
    MethodNotAllowed,
    /// 409: the parent collection of the target does not exist.
    Conflict,
    /// 412: Overwrite: F on an existing destination, or an If header that does not hold.
    PreconditionFailed,
    /// 413: a request body larger than WebDAV's XML bodies may be.
    TooLarge,
    /// 415: a body where none is defined (MKCOL).
    UnsupportedMediaType,
    /// 423: the resource is locked and the request did not submit the lock's token, or a file
    /// is being uploaded through the API.
    Locked,
    /// 502: a Destination on another server.
    BadGateway,
    /// 500, logged where it happened.
    Internal,
    /// 507: the disk is full.
    InsufficientStorage,
}

impl DavError {
    pub fn status(self) -> u16 {
        match self {
            DavError::BadRequest => 400,
            DavError::Unauthorized => 401,
            DavError::Forbidden | DavError::InfiniteDepth => 403,
            DavError::NotFound => 404,
            DavError::MethodNotAllowed => 405,
            DavError::Conflict => 409,
            DavError::PreconditionFailed => 412,
            DavError::TooLarge => 413,
            DavError::UnsupportedMediaType => 415,
            DavError::Locked => 423,
            DavError::BadGateway => 502,
            DavError::Internal => 500,
            DavError::InsufficientStorage => 507,
        }
    }

    /// The response body: the RFC's error element where it names one, else a short text.
    pub fn body(self) -> &'static str {
        match self {
            DavError::InfiniteDepth => {
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:propfind-finite-depth/></D:error>\n"
            }
            DavError::Locked => {
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:lock-token-submitted/></D:error>\n"
            }
            _ => "",
        }
    }
}

impl From<rusqlite::Error> for DavError {
    fn from(e: rusqlite::Error) -> Self {
        log::error!("WebDAV: database error: {e}");
        DavError::Internal
    }
}

impl From<io::Error> for DavError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => DavError::NotFound,
            io::ErrorKind::PermissionDenied => DavError::Forbidden,
            io::ErrorKind::AlreadyExists => DavError::MethodNotAllowed,
            _ if e.raw_os_error() == Some(libc::ENOSPC) || e.raw_os_error() == Some(libc::EDQUOT) => {
                log::warn!("WebDAV: the disk is full");
                DavError::InsufficientStorage
            }
            _ => {
                log::error!("WebDAV: I/O error: {e}");
                DavError::Internal
            }
        }
    }
}

impl From<ApiError> for DavError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::BadLogin | ApiError::NotLoggedIn => DavError::Unauthorized,
            ApiError::CrossSite => DavError::Forbidden,
            ApiError::InvalidParameter => DavError::BadRequest,
            ApiError::NotFound | ApiError::MissingOnDisk => DavError::NotFound,
            ApiError::InvalidCatalog => DavError::Conflict,
            ApiError::WaitingForUpload => DavError::Locked,
            ApiError::NoRootFolder | ApiError::UnsupportedType | ApiError::NotModified => DavError::Forbidden,
            ApiError::ThumbnailFailed | ApiError::Data | ApiError::Internal | ApiError::DeleteFailed => {
                DavError::Internal
            }
        }
    }
}
