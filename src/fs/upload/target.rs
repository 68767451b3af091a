//! One upload target (protocol §4.17 step 3): which file a multipart part addresses, the
//! begin-position check, and the write itself — truncate to the begin position, hash the kept
//! prefix when a check was asked for, append the part's bytes as they arrive, then `fdatasync`
//! before reporting success. Errors say which side failed: the request body (client) or the disk.
//! Targets are opened through `fs::open`, so a resumed upload never writes through a symbolic
//! link that replaced the target or one of its directories.

use super::checksum::{Hasher, Method};
use crate::fs::open::{self, Inside, Mode};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Bytes moved per read/write; the only buffer besides the multipart reader's own.
pub const CHUNK: usize = 64 * 1024;

/// The three upload targets, in the order `check` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Origin,
    Thumb,
    Screen,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Origin, Part::Thumb, Part::Screen];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The word of the protocol: the part's `filename` and the member name in `check`.
    pub fn word(self) -> &'static str {
        match self {
            Part::Origin => "origin",
            Part::Thumb => "thumb",
            Part::Screen => "screen",
        }
    }

    fn from_word(word: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.word() == word)
    }

    /// The target of a multipart part: by its `filename` (exact match); a part whose filename
    /// is absent or unknown but whose field `name` is one of the three words is accepted too
    /// (protocol: MAY). Ok(None) = an ordinary field; Err = a file part with an unknown target.
    pub fn of(filename: Option<&str>, name: Option<&str>) -> Result<Option<Part>, ()> {
        let by_name = name.and_then(Part::from_word);
        match filename {
            Some(filename) => Part::from_word(filename).or(by_name).map(Some).ok_or(()),
            None => Ok(by_name),
        }
    }
}

#[derive(Debug)]
pub enum WriteError {
    /// B < 0 or B > current size: nothing was touched.
    BadBegin { begin: i64, size: u64 },
    /// Reading the request body failed: truncated or malformed multipart, client gone.
    Body(io::Error),
    /// The target could not be inspected, opened, written or synced (ENOSPC, EROFS, EACCES…).
    Disk(io::Error),
}

/// A begin position that passed the check against the target's current size.
#[derive(Debug, Clone, Copy)]
pub struct Begin {
    at: u64,
    existed: bool,
}

/// What a successful part left on disk.
#[derive(Debug)]
pub struct Written {
    pub size: u64,
    pub digest: Option<String>,
}

/// Checks `0 ≤ begin ≤ current size` (a missing target has size 0). A target that is not a
/// regular file (a symbolic link put in its place, a directory) is a disk error: it is never
/// measured through, and `write` would refuse to open it anyway.
pub fn check_begin(path: &Path, begin: i64) -> Result<Begin, WriteError> {
    let (size, existed) = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => (meta.len(), true),
        Ok(_) => return Err(WriteError::Disk(io::Error::from_raw_os_error(libc::ELOOP))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => (0, false),
        Err(e) => return Err(WriteError::Disk(e)),
    };
    match u64::try_from(begin) {
        Ok(at) if at <= size => Ok(Begin { at, existed }),
        _ => Err(WriteError::BadBegin { begin, size }),
    }
}

/// Truncates the target to the begin position, appends `data`, syncs, and digests the whole file
/// when `check` asks for it. `make_dir` creates the parent directory (thumbnail directories).
pub fn write(
    target: &Inside,
    begin: Begin,
    make_dir: bool,
    data: &mut dyn Read,
    check: Option<Method>,
    buf: &mut [u8],
) -> Result<Written, WriteError> {
    let mut file = open_at(target, begin, make_dir)?;
    let mut hasher = check.map(Method::hasher);
    match &mut hasher {
        Some(hasher) => hasher.update_from(&mut file, begin.at, buf).map_err(WriteError::Disk)?,
        None => {
            file.seek(SeekFrom::Start(begin.at)).map_err(WriteError::Disk)?;
        }
    }
    let appended = append(&mut file, data, hasher.as_mut(), buf);
    let synced = file.sync_data();
    if !begin.existed {
        if let Some(parent) = target.path.parent() {
            super::placeholder::sync_dir(parent);
        }
    }
    appended?;
    synced.map_err(WriteError::Disk)?;
    let size = file.metadata().map_err(WriteError::Disk)?.len();
    Ok(Written { size, digest: hasher.map(Hasher::hex) })
}

fn open_at(target: &Inside, begin: Begin, make_dir: bool) -> Result<File, WriteError> {
    if make_dir {
        if let Some(parent) = target.path.parent() {
            std::fs::create_dir_all(parent).map_err(WriteError::Disk)?;
        }
    }
    let file = open::open(target, Mode::Write).map_err(WriteError::Disk)?;
    file.set_len(begin.at).map_err(WriteError::Disk)?;
    Ok(file)
}

/// Copies `data` to the end of `file` chunk by chunk, hashing what was written.
fn append(
    file: &mut File,
    data: &mut dyn Read,
    mut hasher: Option<&mut Hasher>,
    buf: &mut [u8],
) -> Result<u64, WriteError> {
    let mut total = 0u64;
    loop {
        let n = match data.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(WriteError::Body(e)),
        };
        file.write_all(&buf[..n]).map_err(WriteError::Disk)?;
        if let Some(hasher) = hasher.as_deref_mut() {
            hasher.update(&buf[..n]);
        }
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha1(bytes: &[u8]) -> String {
        sha1_smol::Sha1::from(bytes).digest().to_string()
    }

    /// `path` as a target inside the temporary directory `root`.
    fn place(root: &Path, path: &Path) -> Inside {
        Inside { root: root.to_path_buf(), path: path.to_path_buf() }
    }

    #[test]
    fn parts_are_chosen_by_filename_then_by_field_name() {
        assert_eq!(Part::of(Some("origin"), Some("file")), Ok(Some(Part::Origin)));
        assert_eq!(Part::of(Some("screen"), None), Ok(Some(Part::Screen)));
        assert_eq!(Part::of(Some("IMG_1.MOV"), Some("thumb")), Ok(Some(Part::Thumb)));
        assert_eq!(Part::of(None, Some("origin")), Ok(Some(Part::Origin)));
        assert_eq!(Part::of(None, Some("title")), Ok(None), "an ordinary field");
        assert_eq!(Part::of(Some("Origin"), Some("file")), Err(()), "matched exactly");
        assert_eq!(Part::of(Some(""), None), Err(()));
    }

    #[test]
    fn begin_positions_must_lie_within_the_current_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        assert!(check_begin(&path, 0).is_ok(), "a missing target has size 0");
        assert!(matches!(check_begin(&path, 1), Err(WriteError::BadBegin { begin: 1, size: 0 })));
        std::fs::write(&path, b"hello").unwrap();
        assert!(check_begin(&path, 5).is_ok());
        assert!(matches!(check_begin(&path, 6), Err(WriteError::BadBegin { .. })));
        assert!(matches!(check_begin(&path, -1), Err(WriteError::BadBegin { .. })));
    }

    #[test]
    fn writing_truncates_to_the_begin_appends_and_digests_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello there").unwrap();
        let begin = check_begin(&path, 6).unwrap();
        let mut buf = [0u8; 4];
        let written =
            write(&place(dir.path(), &path), begin, false, &mut &b"world"[..], Some(Method::Sha1), &mut buf).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
        assert_eq!(written.size, 11);
        assert_eq!(written.digest, Some(sha1(b"hello world")));
    }

    #[test]
    fn thumbnail_directories_are_created_on_demand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("7/thumb_3");
        let begin = check_begin(&path, 0).unwrap();
        let written = write(&place(dir.path(), &path), begin, true, &mut &b"jpeg"[..], None, &mut [0u8; 16]).unwrap();
        assert_eq!((written.size, written.digest), (4, None));
    }

    #[test]
    fn a_failing_body_keeps_the_bytes_already_written() {
        struct Breaks(usize);
        impl Read for Breaks {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::ConnectionReset, "gone"));
                }
                let n = self.0.min(buf.len());
                buf[..n].fill(b'x');
                self.0 -= n;
                Ok(n)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let begin = check_begin(&path, 0).unwrap();
        let result = write(&place(dir.path(), &path), begin, false, &mut Breaks(10), None, &mut [0u8; 3]);
        assert!(matches!(result, Err(WriteError::Body(_))));
        assert_eq!(std::fs::read(&path).unwrap(), b"xxxxxxxxxx");
    }

    #[test]
    fn a_missing_directory_is_a_disk_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone/f");
        let begin = check_begin(&path, 0).unwrap();
        let result = write(&place(dir.path(), &path), begin, false, &mut &b"x"[..], None, &mut [0u8; 3]);
        assert!(matches!(result, Err(WriteError::Disk(_))));
    }

    #[test]
    fn a_target_swapped_for_a_link_is_neither_measured_nor_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("root"), dir.path().join("secret"));
        std::fs::create_dir(&root).unwrap();
        std::fs::write(&outside, b"do not touch").unwrap();
        let path = root.join("f");
        std::os::unix::fs::symlink(&outside, &path).unwrap();
        assert!(matches!(check_begin(&path, 3), Err(WriteError::Disk(_))), "a link is not measured");
        let begin = Begin { at: 3, existed: true };
        let result = write(&place(&root, &path), begin, false, &mut &b"evil"[..], None, &mut [0u8; 3]);
        assert!(matches!(result, Err(WriteError::Disk(_))), "{result:?}");
        assert_eq!(std::fs::read(&outside).unwrap(), b"do not touch");
    }
}
