//! Opening a media file without following symbolic links: the one way the server opens a file
//! it sends to a client (downloads, share links, thumbnails), decodes (thumbnail sources) or
//! writes (upload targets). A file is named by the directory it must stay inside (its media root
//! or the thumbnail directory, as configured) and its path below it.
//!
//! The file's directory is opened first and its real path — what `/proc/self/fd/N` of the open
//! directory reads — must lie inside the canonicalised root: that catches a directory anywhere
//! between the root and the file that was swapped for a link leading out. The file itself is
//! then opened relative to that open directory (`openat`) with `O_NOFOLLOW`, so a file swapped
//! for a link is refused (ELOOP), and a swap made after the check cannot redirect the open: the
//! directory is already held. Checking the directory rather than the opened file is what makes
//! writes safe too: `O_CREAT` through a swapped directory would create the file outside before
//! any check of the file could run. Only regular files are handed out (`O_NONBLOCK` keeps a
//! FIFO from blocking the open; regular files ignore that flag).
//!
//! The root's own path is trusted configuration and may itself go through links (a mount point
//! reached through `/mnt/media`). Without `/proc` nothing can be checked, so nothing is opened.
//! Hard links are not symbolic links and are not detected.

use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// A file and the directory it must stay inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inside {
    pub root: PathBuf,
    pub path: PathBuf,
}

/// What the file is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read only; the file must exist.
    Read,
    /// Read and write, created (0666 less the umask) when missing, never truncated.
    Write,
}

/// Opens `place.path` as `mode` asks, refusing a symbolic link as the file, a directory on the
/// way that leads outside `place.root`, and anything that is not a regular file. Refusals for
/// links and escapes are logged (they mean someone changed the media behind the server's back).
pub fn open(place: &Inside, mode: Mode) -> io::Result<File> {
    let result = open_checked(place, mode);
    if let Err(e) = &result {
        if e.raw_os_error() == Some(libc::ELOOP) || e.kind() == io::ErrorKind::PermissionDenied {
            log::warn!("refused to open {}: {e}", place.path.display());
        } else if e.kind() == io::ErrorKind::Other {
            log::error!("cannot open {}: {e}", place.path.display());
        }
    }
    result
}

/// True when an error of [`open`] means the place holds no regular file of the root's: nothing
/// there, a link, a directory leading outside, something that is not a regular file. False when
/// an existing file could not be opened (permissions, the descriptor limit, I/O).
pub fn is_absent(e: &io::Error) -> bool {
    let refused = e.raw_os_error().is_none() && e.kind() != io::ErrorKind::Other;
    refused || matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ELOOP | libc::ENOTDIR))
}

fn open_checked(place: &Inside, mode: Mode) -> io::Result<File> {
    let (Some(dir), Some(name)) = (place.path.parent(), place.path.file_name()) else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file path"));
    };
    let root = std::fs::canonicalize(&place.root)?;
    let dir = OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(dir)?;
    let real = real_path(&dir)?;
    if !real.starts_with(&root) {
        let why = format!("its directory is {}, outside {}", real.display(), root.display());
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    }
    let file = open_at(&dir, name, mode)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// Where an open file really is, as the kernel knows it.
fn real_path(file: &File) -> io::Result<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(|e| io::Error::other(format!("cannot check where an open directory is (is /proc mounted?): {e}")))
}

/// `openat(dir, name, …|O_NOFOLLOW)` for a single path component.
fn open_at(dir: &File, name: &OsStr, mode: Mode) -> io::Result<File> {
    let name = CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let access = match mode {
        Mode::Read => libc::O_RDONLY,
        Mode::Write => libc::O_RDWR | libc::O_CREAT,
    };
    let flags = access | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
    // SAFETY: `dir` is an open descriptor and `name` a NUL-terminated string that outlive the call.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, 0o666 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and is owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::symlink;
    use std::path::Path;

    fn inside(root: &Path, path: PathBuf) -> Inside {
        Inside { root: root.to_path_buf(), path }
    }

    fn read(place: &Inside) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        open(place, Mode::Read)?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    #[test]
    fn regular_files_inside_the_root_open_also_when_the_root_is_reached_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.jpg"), b"photo").unwrap();
        symlink(&root, dir.path().join("mount")).unwrap();
        let via_link = dir.path().join("mount");
        assert_eq!(read(&inside(&root, root.join("sub/a.jpg"))).unwrap(), b"photo");
        assert_eq!(read(&inside(&via_link, via_link.join("sub/a.jpg"))).unwrap(), b"photo");
    }

    #[test]
    fn a_file_swapped_for_a_link_is_refused_even_when_it_points_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(dir.path().join("secret"), b"secret").unwrap();
        std::fs::write(root.join("b.jpg"), b"b").unwrap();
        symlink(dir.path().join("secret"), root.join("a.jpg")).unwrap();
        symlink(root.join("b.jpg"), root.join("c.jpg")).unwrap();
        for name in ["a.jpg", "c.jpg"] {
            let e = read(&inside(&root, root.join(name))).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{name}: {e}");
        }
        let e = open(&inside(&root, root.join("a.jpg")), Mode::Write).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
        assert_eq!(std::fs::read(dir.path().join("secret")).unwrap(), b"secret");
    }

    #[test]
    fn a_directory_swapped_for_a_link_leading_out_is_refused_for_reads_and_creates() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("root"), dir.path().join("outside"));
        std::fs::create_dir_all(root.join("deep")).unwrap();
        std::fs::create_dir_all(outside.join("deeper")).unwrap();
        std::fs::write(outside.join("deeper/a.jpg"), b"secret").unwrap();
        symlink(&outside, root.join("sub")).unwrap();
        let swapped = inside(&root, root.join("sub/deeper/a.jpg"));
        assert_eq!(read(&swapped).unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        let created = inside(&root, root.join("sub/deeper/new.bin"));
        assert_eq!(open(&created, Mode::Write).unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        assert!(!outside.join("deeper/new.bin").exists(), "nothing was created outside");
        let mut file = open(&inside(&root, root.join("deep/new.bin")), Mode::Write).unwrap();
        file.write_all(b"kept").unwrap();
        assert_eq!(std::fs::read(root.join("deep/new.bin")).unwrap(), b"kept");
    }

    #[test]
    fn directories_fifos_and_missing_files_are_not_handed_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("d")).unwrap();
        let fifo = CString::new(root.join("f").as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert_eq!(read(&inside(root, root.join("d"))).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(read(&inside(root, root.join("f"))).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(read(&inside(root, root.join("gone"))).unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
