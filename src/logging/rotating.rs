//! The log file, rotated by size while the server runs: when the next line would take it past
//! `limit` bytes, it becomes `<name>.1` (older files move up to `.2` … `.<keep>`, and the oldest
//! is dropped) and a new file is started, so the log never holds more than (keep + 1) × limit
//! bytes. Lines are written whole, one write each, so a rotation never splits one. Whatever
//! fails (a full disk, a vanished directory, permissions) costs one warning on stderr and the
//! lines written meanwhile; every line tries again, so the file comes back by itself. Nothing
//! here panics. As an `io::Write` (what simplelog writes to, a record at a time under its lock)
//! it collects the pieces of a line and writes the line when its newline comes.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct RotatingFile {
    path: PathBuf,
    limit: u64,
    keep: u32,
    /// None while the file cannot be written.
    file: Option<File>,
    /// Bytes in the current file.
    size: u64,
    /// A failure was reported on stderr and no line has been written since.
    reported: bool,
    /// The pieces of the line being written (`io::Write`), at most PENDING_LIMIT bytes.
    pending: Vec<u8>,
}

/// A line longer than this (the logger caps messages far below it) is cut.
const PENDING_LIMIT: usize = 16 * 1024;

impl Write for RotatingFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.keep_pending(&rest[..=end]);
            let line = std::mem::take(&mut self.pending);
            self.write_line(&line);
            self.pending = line;
            self.pending.clear();
            rest = &rest[end + 1..];
        }
        self.keep_pending(rest);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl RotatingFile {
    /// Opens (appends to) `path`, creating its directory. A file that cannot be opened is
    /// reported on stderr; the next line tries again.
    pub fn open(path: &Path, limit: u64, keep: u32) -> RotatingFile {
        let mut log = RotatingFile {
            path: path.to_path_buf(),
            limit,
            keep,
            file: None,
            size: 0,
            reported: false,
            pending: Vec::new(),
        };
        if let Err(e) = log.reopen() {
            log.report("cannot open", &e);
        }
        log
    }

    fn keep_pending(&mut self, piece: &[u8]) {
        let room = PENDING_LIMIT.saturating_sub(self.pending.len());
        self.pending.extend_from_slice(&piece[..piece.len().min(room)]);
        if piece.len() > room && self.pending.last() != Some(&b'\n') && piece.last() == Some(&b'\n') {
            self.pending.push(b'\n');
        }
    }

    /// Appends one whole line (rotating first when it would not fit).
    pub fn write_line(&mut self, line: &[u8]) {
        if let Err((what, e)) = self.try_write(line) {
            self.file = None;
            self.report(what, &e);
            return;
        }
        self.reported = false;
    }

    fn try_write(&mut self, line: &[u8]) -> Result<(), (&'static str, io::Error)> {
        if self.file.is_none() {
            self.reopen().map_err(|e| ("cannot open", e))?;
        }
        if self.size > 0 && self.size.saturating_add(line.len() as u64) > self.limit {
            self.rotate().map_err(|e| ("cannot rotate", e))?;
        }
        let file = self.file.as_mut().ok_or(("cannot open", io::ErrorKind::NotFound.into()))?;
        file.write_all(line).map_err(|e| ("cannot write", e))?;
        self.size += line.len() as u64;
        Ok(())
    }

    fn reopen(&mut self) -> io::Result<()> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        self.size = file.metadata()?.len();
        self.file = Some(file);
        Ok(())
    }

    /// `<name>.<keep-1>` → `<name>.<keep>` (replacing the oldest), …, `<name>` → `<name>.1`,
    /// then a new, empty `<name>`. With keep = 0 the file is simply started again.
    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        let numbered = |n: u32| {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for n in (1..self.keep).rev() {
                match std::fs::rename(numbered(n), numbered(n + 1)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.reopen()
    }

    /// One line on stderr per failure, until a line is written again.
    fn report(&mut self, what: &str, e: &io::Error) {
        if !self.reported {
            self.reported = true;
            let path = super::shown_path(&self.path);
            let _ = writeln!(io::stderr(), "warning: {what} the log file {path} ({e}); logging to stderr only for now");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path).map(|t| t.lines().map(str::to_string).collect()).unwrap_or_default()
    }

    #[test]
    fn the_file_rotates_by_size_keeping_a_bounded_number_of_whole_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/app.log");
        let mut log = RotatingFile::open(&path, 100, 2);
        for n in 0..50 {
            log.write_line(format!("line {n:02} of the log...\n").as_bytes()); // 23 bytes
        }
        let names = ["app.log.2", "app.log.1", "app.log"];
        let mut kept = Vec::new();
        for name in names {
            let file = dir.path().join("logs").join(name);
            assert!(std::fs::metadata(&file).unwrap().len() <= 100, "{name}");
            kept.extend(lines_of(&file));
        }
        assert!(!dir.path().join("logs/app.log.3").exists());
        let expected: Vec<String> = (40..50).map(|n| format!("line {n:02} of the log...")).collect();
        assert_eq!(kept, expected, "the newest lines, whole and in order");
    }

    #[test]
    fn an_oversized_file_from_an_earlier_run_is_rotated_before_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "x".repeat(150)).unwrap();
        let mut log = RotatingFile::open(&path, 100, 1);
        log.write_line(b"new\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("app.log.1")).unwrap().len(), 150);
        let mut appended = RotatingFile::open(&path, 100, 1);
        appended.write_line(b"more\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\nmore\n", "a small file is appended to");
    }

    #[test]
    fn a_log_that_cannot_be_written_is_skipped_and_comes_back_when_it_can() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("logs");
        std::fs::write(&blocker, b"a file where the directory should be").unwrap();
        let path = blocker.join("app.log");
        let mut log = RotatingFile::open(&path, 100, 2);
        log.write_line(b"lost\n");
        assert!(log.file.is_none() && log.reported);
        std::fs::remove_file(&blocker).unwrap();
        log.write_line(b"back\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "back\n");
        assert!(!log.reported);
    }

    #[test]
    fn keeping_no_old_files_starts_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let mut log = RotatingFile::open(&path, 10, 0);
        for line in ["first\n", "second\n", "third\n"] {
            log.write_line(line.as_bytes());
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "third\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
