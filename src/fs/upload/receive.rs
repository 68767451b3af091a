//! The body of `uploadFile.icc` (protocol §4.17 steps 3–4): walks the multipart stream part by
//! part, sends each file part to its target in order of appearance, and reports which targets
//! were touched, their digests, and why it stopped early if it did. It neither reads the query
//! nor writes the database: the caller supplies the plan and the "mark as uploading" step.

use super::checksum::Method;
use super::target::{self, Part, WriteError, CHUNK};
use crate::error::ApiError;
use crate::fs::open::Inside;
use crate::http::multipart::{classify, MultipartError, MultipartReader};
use std::io::{self, Read};

/// Where each part goes (and the directory it must stay inside) and from which position;
/// `None` = the target cannot be written (an origin whose physical catalog row is missing).
pub struct Plan {
    pub targets: [Option<Inside>; 3],
    pub begins: [i64; 3],
    pub check: Option<Method>,
}

/// What a request did, by `Part::index`: touched targets, the size each written target has on
/// disk, digests, and the failure if any.
#[derive(Debug, Default)]
pub struct Outcome {
    pub touched: [bool; 3],
    pub sizes: [Option<u64>; 3],
    pub digests: [Option<String>; 3],
    pub failure: Option<Failure>,
}

impl Outcome {
    pub fn touched_any(&self) -> bool {
        self.touched.iter().any(|&t| t)
    }
}

/// Why an upload stopped (every case is step 4 of the protocol).
#[derive(Debug)]
pub enum Failure {
    UnknownPart(String),
    BadBegin {
        part: Part,
        begin: i64,
        size: u64,
    },
    NoPhysicalCatalog,
    /// Truncated or malformed multipart, client disconnect.
    Body(io::Error),
    /// The target could not be written (full disk, read-only file system, permissions…).
    Disk(Part, io::Error),
    /// Marking a part as uploading failed (database).
    Marking(ApiError),
}

impl Failure {
    /// The protocol code: every upload failure is -10003 except a failing database (-102).
    pub fn api_error(&self) -> ApiError {
        match self {
            Failure::Marking(error) => *error,
            _ => ApiError::InvalidParameter,
        }
    }

    /// A line for the log: client mistakes at info level, disk trouble as a warning.
    pub fn log(&self, file_id: i64) {
        match self {
            Failure::Disk(part, e) => {
                log::warn!("upload of file {file_id}: cannot write {}: {}", part.word(), disk_cause(e))
            }
            Failure::Body(e) => log::info!("upload of file {file_id} stopped: {}", body_cause(e)),
            Failure::BadBegin { part, begin, size } => {
                log::info!("upload of file {file_id}: {} begins at {begin} but {size} bytes are stored", part.word())
            }
            Failure::UnknownPart(name) => log::info!("upload of file {file_id}: unknown part {name:?}"),
            Failure::NoPhysicalCatalog => log::warn!("upload of file {file_id}: its physical catalog row is missing"),
            Failure::Marking(_) => {}
        }
    }
}

fn disk_cause(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOSPC) => format!("the disk is full ({e})"),
        Some(libc::EROFS) => format!("the file system is read-only ({e})"),
        _ => e.to_string(),
    }
}

fn body_cause(e: &io::Error) -> String {
    match classify(e) {
        Some(MultipartError::Truncated) => "the body ended early (client disconnect)".to_string(),
        Some(other) => other.to_string(),
        None => format!("reading the body failed: {e}"),
    }
}

/// Streams every file part of `parts` to its target. `mark` runs once per target, after its
/// begin position was accepted and before its first byte changes.
pub fn receive<R: Read>(
    parts: &mut MultipartReader<R>,
    plan: &Plan,
    mark: &mut dyn FnMut(Part) -> Result<(), ApiError>,
) -> Outcome {
    let mut outcome = Outcome::default();
    if let Err(failure) = receive_parts(parts, plan, mark, &mut outcome) {
        outcome.failure = Some(failure);
    }
    outcome
}

fn receive_parts<R: Read>(
    parts: &mut MultipartReader<R>,
    plan: &Plan,
    mark: &mut dyn FnMut(Part) -> Result<(), ApiError>,
    outcome: &mut Outcome,
) -> Result<(), Failure> {
    let mut buf = vec![0u8; CHUNK];
    while let Some(headers) = parts.next_part().map_err(|e| Failure::Body(e.into()))? {
        let part = match Part::of(headers.filename.as_deref(), headers.name.as_deref()) {
            Ok(Some(part)) => part,
            Ok(None) => continue,
            Err(()) => return Err(Failure::UnknownPart(headers.filename.unwrap_or_default())),
        };
        let i = part.index();
        let place = plan.targets[i].as_ref().ok_or(Failure::NoPhysicalCatalog)?;
        let begin = target::check_begin(&place.path, plan.begins[i]).map_err(|e| failure_of(part, e))?;
        if !outcome.touched[i] {
            mark(part).map_err(Failure::Marking)?;
            outcome.touched[i] = true;
        }
        let make_dir = part != Part::Origin;
        let written = target::write(place, begin, make_dir, &mut parts.part_reader(), plan.check, &mut buf)
            .map_err(|e| failure_of(part, e))?;
        outcome.sizes[i] = Some(written.size);
        outcome.digests[i] = written.digest;
    }
    Ok(())
}

fn failure_of(part: Part, error: WriteError) -> Failure {
    match error {
        WriteError::BadBegin { begin, size } => Failure::BadBegin { part, begin, size },
        WriteError::Body(e) => Failure::Body(e),
        WriteError::Disk(e) => Failure::Disk(part, e),
    }
}

#[cfg(test)]
mod tests;
