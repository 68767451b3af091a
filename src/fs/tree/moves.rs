//! The file-system steps of deleteCatalog that can be undone — creating a rescue directory,
//! creating a thumbnail directory, moving a file — carried out in order, and undone from what
//! the disk shows rather than from memory, so the same undo serves a request that failed half
//! way and a start-up after a crash (`recover`). Deleting is deliberately not here: deletions
//! cannot be undone, so they happen only after the database change has committed.
//!
//! A move is a rename; across file systems (separate USB disks) it is a copy to a hidden
//! temporary name beside the target, synced and renamed into place, and then the source is
//! removed — so a move caught half way leaves either the source alone (and maybe our temporary
//! copy, whose name is unique to the request) or a complete copy beside it.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A new directory (a rescued catalog's); undone by removing it once it is empty again.
    CreateDir(PathBuf),
    /// `create_dir_all` of a thumbnail directory; never undone (an empty cache directory is harmless).
    EnsureDir(PathBuf),
    /// A file moved to a path that was free when the request was planned.
    Move { from: PathBuf, to: PathBuf },
}

/// Carries out `steps` in order. On failure: the index of the failing step (which may have
/// been carried out in part) and why.
pub fn execute(steps: &[Step], token: &str) -> Result<(), (usize, io::Error)> {
    for (index, step) in steps.iter().enumerate() {
        let done = match step {
            Step::CreateDir(dir) => fs::create_dir(dir),
            Step::EnsureDir(dir) => fs::create_dir_all(dir),
            Step::Move { from, to } => move_file(from, to, &temp_beside(to, token, "move", index)),
        };
        done.map_err(|e| (index, e))?;
    }
    Ok(())
}

/// Makes the renames and new entries of `steps` durable: every directory they touched is
/// fsynced (failures only logged: some file systems refuse).
pub fn sync_dirs(steps: &[Step]) {
    let mut dirs = BTreeSet::new();
    for step in steps {
        match step {
            Step::CreateDir(dir) | Step::EnsureDir(dir) => dirs.extend([Some(dir.as_path()), dir.parent()]),
            Step::Move { from, to } => dirs.extend([from.parent(), to.parent()]),
        }
    }
    for dir in dirs.into_iter().flatten() {
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            log::debug!("cannot fsync directory {}: {e}", dir.display());
        }
    }
}

/// Undoes `steps`, newest first, judging each by what is on disk: a moved file is moved back,
/// a temporary copy is removed, a created directory is removed when empty. Safe to repeat.
/// Failures are logged and the rest is still undone; returns false if any step could not be.
pub fn undo(steps: &[Step], token: &str) -> bool {
    let mut clean = true;
    for (index, step) in steps.iter().enumerate().rev() {
        let result = match step {
            Step::Move { from, to } => undo_move(from, to, token, index),
            Step::CreateDir(dir) => match fs::remove_dir(dir) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
            Step::EnsureDir(_) => Ok(()),
        };
        if let Err(e) = result {
            log::error!("could not undo a step of a failed delete ({step:?}): {e}");
            clean = false;
        }
    }
    clean
}

fn undo_move(from: &Path, to: &Path, token: &str, index: usize) -> io::Result<()> {
    remove_if_exists(&temp_beside(to, token, "move", index))?;
    let (source, target) = (fs::symlink_metadata(from), fs::symlink_metadata(to));
    match (source, target) {
        (Err(_), Ok(_)) => move_file(to, from, &temp_beside(from, token, "undo", index)),
        // The copy was complete but the source not yet removed: the copy goes. A different
        // file at the target is not ours (the target was free when planned) and stays.
        (Ok(source), Ok(target)) if target.is_file() && target.len() == source.len() => fs::remove_file(to),
        (Ok(_), Ok(_)) => Err(io::Error::other(format!("{} is not the copy of {}", to.display(), from.display()))),
        (Ok(_), Err(_)) => Ok(()), // never moved
        (Err(e), Err(_)) => Err(e),
    }
}

/// `rename`; across file systems a copy under `temp`, renamed to `to`, then the source removed.
fn move_file(from: &Path, to: &Path, temp: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            copy_to_new(from, temp)?;
            fs::rename(temp, to)?;
            fs::remove_file(from)
        }
        other => other,
    }
}

/// Copies `from` to the new file `to` and syncs it; a failed copy is removed again.
fn copy_to_new(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut target = OpenOptions::new().write(true).create_new(true).open(to)?;
    let copied = io::copy(&mut source, &mut target).and_then(|_| target.sync_all());
    if copied.is_err() {
        let _ = fs::remove_file(to);
    }
    copied
}

/// The hidden name a cross-device copy is written under before it is renamed to `target`.
fn temp_beside(target: &Path, token: &str, what: &str, index: usize) -> PathBuf {
    target.with_file_name(format!(".isync-{what}-{token}-{index}"))
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_moves_files_back_and_removes_created_directories() {
        let dir = tempfile::tempdir().unwrap();
        let (source, new_dir) = (dir.path().join("a.txt"), dir.path().join("new"));
        fs::write(&source, b"a").unwrap();
        let steps = [
            Step::CreateDir(new_dir.clone()),
            Step::EnsureDir(dir.path().join("thumbs/7")),
            Step::Move { from: source.clone(), to: new_dir.join("a.txt") },
        ];
        execute(&steps, "t").unwrap();
        assert!(!source.exists() && new_dir.join("a.txt").is_file());
        assert!(undo(&steps, "t"));
        assert_eq!(fs::read(&source).unwrap(), b"a");
        assert!(!new_dir.exists());
        assert!(undo(&steps, "t"), "undoing again changes nothing");
        assert_eq!(fs::read(&source).unwrap(), b"a");
    }

    #[test]
    fn undo_after_a_crash_half_way_restores_whatever_was_done() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["a", "b", "c"];
        for name in names {
            fs::write(dir.path().join(name), name).unwrap();
        }
        fs::create_dir(dir.path().join("to")).unwrap();
        let steps: Vec<Step> =
            names.iter().map(|n| Step::Move { from: dir.path().join(n), to: dir.path().join("to").join(n) }).collect();
        execute(&steps[..1], "t").unwrap(); // "crashed" after the first move
        fs::copy(dir.path().join("b"), dir.path().join("to/b")).unwrap(); // a finished copy, source kept
        fs::write(dir.path().join("to/.isync-move-t-2"), b"c partial").unwrap(); // a copy cut short
        assert!(undo(&steps, "t"));
        for name in names {
            assert_eq!(fs::read_to_string(dir.path().join(name)).unwrap(), name);
        }
        assert!(fs::read_dir(dir.path().join("to")).unwrap().next().is_none(), "nothing left in the target");
    }

    #[test]
    fn a_foreign_file_at_a_target_is_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("mine"), dir.path().join("theirs"));
        fs::write(&from, b"mine").unwrap();
        fs::write(&to, b"theirs, longer").unwrap();
        assert!(!undo(&[Step::Move { from: from.clone(), to: to.clone() }], "t"));
        assert_eq!(fs::read(&to).unwrap(), b"theirs, longer");
        assert_eq!(fs::read(&from).unwrap(), b"mine");
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
