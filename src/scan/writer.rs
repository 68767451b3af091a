//! The scanner's writes: a write transaction opened only when a look first has something to
//! write, with BEGIN IMMEDIATE (which waits for the lock with the busy timeout, where upgrading a
//! read transaction would fail at once when another connection wrote meanwhile), and committed
//! after BATCH rows or COMMIT_AFTER, so that the API's writers never wait long. A look that
//! changes nothing writes nothing and takes no lock. Files to remove because of what a
//! transaction says (cached thumbnails) are removed only once it has committed.

use rusqlite::Connection;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Rows written per transaction, at most.
const BATCH: usize = 500;
/// How long a transaction may stay open, at most (plus one probe).
const COMMIT_AFTER: Duration = Duration::from_millis(200);

pub struct Writer<'c> {
    conn: &'c Connection,
    open: Option<Instant>,
    rows: usize,
    after_commit: Vec<PathBuf>,
}

impl<'c> Writer<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Writer { conn, open: None, rows: 0, after_commit: Vec::new() }
    }

    /// The connection, for reads (which see this writer's uncommitted rows).
    pub fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// Runs one write, in the open transaction or a new one.
    pub fn write<T>(&mut self, write: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        if self.open.is_none() {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.open = Some(Instant::now());
        }
        self.rows += 1;
        write(self.conn)
    }

    /// Removes `path` (a file, or a directory with everything in it) once the writes so far have
    /// committed.
    pub fn remove_after_commit(&mut self, path: PathBuf) {
        self.after_commit.push(path);
    }

    /// Commits if the transaction has been open long enough or holds enough rows.
    pub fn commit_if_due(&mut self) -> rusqlite::Result<()> {
        match self.open {
            Some(since) if self.rows >= BATCH || since.elapsed() >= COMMIT_AFTER => self.commit(),
            _ => Ok(()),
        }
    }

    /// Commits what is open, then removes the files that waited for it.
    pub fn commit(&mut self) -> rusqlite::Result<()> {
        if self.open.take().is_some() {
            self.rows = 0;
            self.conn.execute_batch("COMMIT")?;
        }
        for path in self.after_commit.drain(..) {
            let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            if let Err(e) = removed.filter_not_found() {
                log::warn!("scan: cannot remove {}: {e}", crate::logging::shown_path(&path));
            }
        }
        Ok(())
    }
}

impl Drop for Writer<'_> {
    /// An error left the transaction open: nothing of it stays, and nothing waits for it.
    fn drop(&mut self) {
        if self.open.is_some() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A removal of something already gone is a success.
trait NotFoundIsFine {
    fn filter_not_found(self) -> std::io::Result<()>;
}

impl NotFoundIsFine for std::io::Result<()> {
    fn filter_not_found(self) -> std::io::Result<()> {
        match self {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
