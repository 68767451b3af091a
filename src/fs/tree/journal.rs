//! The intent journal of deleteCatalog: `APPDIR/deleteCatalog.journal`, written and synced
//! before the first file is moved, removed once the delete is over. It holds everything needed
//! to finish or undo the delete after a crash: the doomed catalog ids (whether they are still in
//! the database tells whether the transaction committed), the steps on disk in order, and what
//! is removed after the commit. A journal cut short by a crash while it was written has no end
//! record and is ignored (no file was moved before it was complete).
//!
//! Format: NUL-terminated fields (paths are bytes and never contain NUL): a header, then records
//! `token T`, `doomed ID`, `mkdir P`, `dirs P`, `move FROM TO`, `file P`, `tree P`, and `end`.
//!
//! `DeleteLock` (an exclusive `flock` on `APPDIR/deleteCatalog.lock`) is held for as long as a
//! journal is written, carried out or replayed, so a `scan` started while the server deletes
//! never replays a journal that is still being carried out.

use super::moves::Step;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub const JOURNAL_FILE: &str = "deleteCatalog.journal";
pub const LOCK_FILE: &str = "deleteCatalog.lock";
const HEADER: &[u8] = b"isync deleteCatalog journal 1";

/// One deleteCatalog: what it changes on disk, in order, and what it removes after the commit.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Intent {
    /// Unique to the request; names its temporary copies.
    pub token: String,
    /// The catalogs the transaction deletes: all present = not committed, absent = committed.
    pub doomed: Vec<i64>,
    pub steps: Vec<Step>,
    /// Removed after the commit: files (moved-in files, thumbnails), then trees.
    pub files: Vec<PathBuf>,
    pub trees: Vec<PathBuf>,
}

impl Intent {
    /// Writes the journal to `path` and makes it durable (file and directory synced).
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
        file.write_all(&self.encode())?;
        file.sync_all()?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// The journal at `path`: None when there is none, or when it was cut short.
    pub fn read(path: &Path) -> io::Result<Option<Intent>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Intent::decode(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut record = |fields: &[&[u8]]| {
            for field in fields {
                out.extend_from_slice(field);
                out.push(0);
            }
        };
        record(&[HEADER, b"token", self.token.as_bytes()]);
        for id in &self.doomed {
            record(&[b"doomed", id.to_string().as_bytes()]);
        }
        for step in &self.steps {
            match step {
                Step::CreateDir(dir) => record(&[b"mkdir", bytes(dir)]),
                Step::EnsureDir(dir) => record(&[b"dirs", bytes(dir)]),
                Step::Move { from, to } => record(&[b"move", bytes(from), bytes(to)]),
            }
        }
        for file in &self.files {
            record(&[b"file", bytes(file)]);
        }
        for tree in &self.trees {
            record(&[b"tree", bytes(tree)]);
        }
        record(&[b"end"]);
        out
    }

    /// The intent, or None unless the bytes are a whole journal (header to `end`).
    fn decode(bytes: &[u8]) -> Option<Intent> {
        let mut fields = bytes.split(|&b| b == 0);
        if fields.next()? != HEADER {
            return None;
        }
        let path = |bytes: &[u8]| PathBuf::from(OsStr::from_bytes(bytes));
        let mut intent = Intent::default();
        loop {
            match fields.next()? {
                b"token" => intent.token = String::from_utf8(fields.next()?.to_vec()).ok()?,
                b"doomed" => intent.doomed.push(std::str::from_utf8(fields.next()?).ok()?.parse().ok()?),
                b"mkdir" => intent.steps.push(Step::CreateDir(path(fields.next()?))),
                b"dirs" => intent.steps.push(Step::EnsureDir(path(fields.next()?))),
                b"move" => intent.steps.push(Step::Move { from: path(fields.next()?), to: path(fields.next()?) }),
                b"file" => intent.files.push(path(fields.next()?)),
                b"tree" => intent.trees.push(path(fields.next()?)),
                b"end" => return (fields.next() == Some(b"")).then_some(intent),
                _ => return None,
            }
        }
    }
}

fn bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// Removes the journal; a missing one is fine.
pub fn remove(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// An exclusive lock on `APPDIR/deleteCatalog.lock` between processes, released on drop.
pub struct DeleteLock {
    _file: File,
}

impl DeleteLock {
    /// Waits for the lock (another process holds it only while it deletes or replays).
    pub fn acquire(app_dir: &Path) -> io::Result<DeleteLock> {
        let file = OpenOptions::new().write(true).create(true).truncate(false).open(app_dir.join(LOCK_FILE))?;
        loop {
            // SAFETY: flock on a descriptor this function owns; it touches no memory.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(DeleteLock { _file: file });
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Intent {
        Intent {
            token: "0123abcd".into(),
            doomed: vec![4, 17],
            steps: vec![
                Step::CreateDir("/m/rescued".into()),
                Step::EnsureDir("/t/9".into()),
                Step::Move { from: PathBuf::from(OsStr::from_bytes(b"/m/a/\xff odd")), to: "/m/rescued/x".into() },
            ],
            files: vec!["/m/in.jpg".into()],
            trees: vec!["/m/a".into(), "/t/4".into()],
        }
    }

    #[test]
    fn a_journal_reads_back_as_it_was_written_even_with_odd_bytes_in_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        sample().write(&path).unwrap();
        assert_eq!(Intent::read(&path).unwrap(), Some(sample()));
        remove(&path).unwrap();
        assert_eq!(Intent::read(&path).unwrap(), None);
        remove(&path).unwrap();
    }

    #[test]
    fn a_journal_cut_short_anywhere_is_ignored() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            assert_eq!(Intent::decode(&bytes[..len]), None, "cut at {len}");
        }
        assert_eq!(Intent::decode(&bytes), Some(sample()));
    }
}
