//! Uploads (protocol §4.15, §4.17): the empty placeholder `uploadFileInfo` creates and its row
//! (`placeholder`, `record`), the per-file-id lock (`locks`), the streaming of multipart file
//! parts into their targets (origin, `thumb_<id>`, `thumbScreen_<id>`) with an optional sha1/md5
//! of each whole target (`receive`, `target`, `checksum`), and the status changes around it
//! (`record`). `receive` does not touch the database: the handler passes it a callback for the
//! one database step that must happen mid-stream.
//!
//! # Crash safety: the order of writes
//!
//! The invariant is that the database never says "uploaded" (status 3) for bytes that are not
//! durably on disk, and that an interrupted upload can always be resumed from the size the
//! disk reports. For every file part of an `uploadFile` request:
//!
//! 1. the begin position is checked against the target's current size (nothing is touched
//!    when it is out of range);
//! 2. the part's status column is set to 2 ("uploading") and committed with
//!    `synchronous=FULL` — before the first byte of the target changes, so a crash while
//!    writing leaves 2, never a stale 3 (this matters when a finished file is re-uploaded);
//! 3. the target is truncated to the begin position and the part's bytes are appended as they
//!    arrive (never buffered whole); a failure leaves the bytes written so far in place;
//! 4. the target is `fdatasync`ed (and its directory `fsync`ed when the file was created);
//! 5. only after every part was written and synced are the touched statuses set to 3 (and
//!    `size` to the size on disk), again with `synchronous=FULL`, and only then is success
//!    answered.
//!
//! A SIGKILL at any point therefore leaves statuses 2 with a prefix of the data on disk, which
//! `uploadingInfo.icc` reports and the client resumes from. A lost final commit (power loss)
//! also only leaves 2.
//!
//! # Concurrency: uploads to one file id are rejected, not queued
//!
//! [`UploadLocks`] holds the ids with an upload in progress. A second upload to the same id
//! while one is running is answered `-10003` at once instead of waiting, so no worker can be
//! blocked behind a stalled client. The lock is released when the handler returns (guard drop).
//! A vanished peer (phone left the Wi-Fi) is detected by TCP keep-alive (see `http::listener`), which
//! ends the body read with an error and so releases the lock.
//!
//! # Disk errors
//!
//! Write errors on a target — including a full disk (ENOSPC) and a read-only file system
//! (EROFS) — are an "I/O error" of protocol §4.17 step 4: touched statuses become 2, the bytes
//! written so far stay, and the answer is `-10003`. Once space is freed the client resumes from
//! `uploadingInfo.icc`. Database failures are answered `-102`.

pub mod checksum;
pub mod locks;
pub mod placeholder;
pub mod receive;
pub mod record;
pub mod target;

pub use locks::UploadLocks;
