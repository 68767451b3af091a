//! Reversible file-system steps for deleteCatalog: created directories and moved files are
//! recorded so that a failure later in the request can put everything back (best effort) before
//! the database transaction is rolled back. Moves fall back to copy-and-remove across file
//! systems (separate USB disks). Deleting is deliberately not here: deletions cannot be undone,
//! so callers only delete after the database change has been committed.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

enum Step {
    CreatedDir(PathBuf),
    Moved { from: PathBuf, to: PathBuf },
}

#[derive(Default)]
pub struct Journal {
    steps: Vec<Step>,
}

impl Journal {
    /// `create_dir` (fails if the path exists), recorded.
    pub fn create_dir(&mut self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)?; // AlreadyExists is expected by callers, so not logged here
        self.steps.push(Step::CreatedDir(path.to_path_buf()));
        Ok(())
    }

    /// Moves a file to a path the caller has checked to be free, recorded.
    pub fn move_file(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        move_file(from, to).inspect_err(|e| log::error!("cannot move {} to {}: {e}", from.display(), to.display()))?;
        self.steps.push(Step::Moved { from: from.to_path_buf(), to: to.to_path_buf() });
        Ok(())
    }

    /// Puts moved files back and removes created (by then empty) directories, newest first.
    /// Failures are logged; there is nothing better to do with them.
    pub fn undo(self) {
        for step in self.steps.into_iter().rev() {
            let (what, result) = match &step {
                Step::Moved { from, to } => (to, move_file(to, from)),
                Step::CreatedDir(dir) => (dir, fs::remove_dir(dir)),
            };
            if let Err(e) = result {
                log::error!("could not undo a step on {} after a failed delete: {e}", what.display());
            }
        }
    }
}

/// `rename`; across file systems a copy to a new file followed by removing the source.
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            copy_to_new(from, to)?;
            fs::remove_file(from)
        }
        other => other,
    }
}

fn copy_to_new(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut target = OpenOptions::new().write(true).create_new(true).open(to)?;
    let copied = io::copy(&mut source, &mut target).and_then(|_| target.sync_all());
    if copied.is_err() {
        let _ = fs::remove_file(to);
    }
    copied
}

/// `name` with `_<k>` inserted before its last dot (`a.b.jpg` → `a.b_1.jpg`), or appended when
/// it has none (`name` → `name_1`) — the clash names of protocol §4.8 step 3.
pub fn suffixed(name: &str, k: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}_{k}.{ext}"),
        None => format!("{name}_{k}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clash_suffixes_go_before_the_last_dot() {
        assert_eq!(suffixed("a.b.jpg", 1), "a.b_1.jpg");
        assert_eq!(suffixed("name", 2), "name_2");
        assert_eq!(suffixed("c.gif", 10), "c_10.gif");
    }

    #[test]
    fn undo_moves_files_back_and_removes_created_directories() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.txt");
        fs::write(&source, b"a").unwrap();
        let mut journal = Journal::default();
        let new_dir = dir.path().join("new");
        journal.create_dir(&new_dir).unwrap();
        journal.move_file(&source, &new_dir.join("a.txt")).unwrap();
        assert!(!source.exists() && new_dir.join("a.txt").is_file());
        journal.undo();
        assert_eq!(fs::read(&source).unwrap(), b"a");
        assert!(!new_dir.exists());
    }

    #[test]
    fn copying_never_overwrites_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        fs::write(&from, b"new").unwrap();
        fs::write(&to, b"old").unwrap();
        assert!(copy_to_new(&from, &to).is_err());
        assert_eq!(fs::read(&to).unwrap(), b"old");
    }
}
