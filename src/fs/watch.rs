//! Noticing changes under the media roots as they happen: one inotify watch per directory
//! (Linux), for entries created, removed, moved, or closed after writing. The events say *where*
//! something changed (the watched directory); what changed is for a look (`scan::walk`) to find
//! there. When the kernel's queue overflows, events were lost and anything may have changed. When the kernel's watch limit (`fs.inotify.max_user_watches`) is reached the
//! directories left unwatched are counted: the periodic sweeps still cover them.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// The events that can change what a directory holds.
const EVENTS: u32 = libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_CLOSE_WRITE
    | libc::IN_ATTRIB
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_ONLYDIR;

pub struct Watcher {
    fd: OwnedFd,
    /// The watches of the last round and the keys the caller gave their directories (a
    /// directory watched again keeps its watch and number).
    watched: HashMap<i32, i64>,
}

/// Where events said something changed (the keys of the directories), since the caller last
/// emptied it.
#[derive(Debug, Default)]
pub struct Changed {
    pub dirs: HashSet<i64>,
    /// Events were lost (the kernel's queue overflowed): anything may have changed.
    pub overflowed: bool,
}

/// What one `watch` round did.
#[derive(Debug, Default, PartialEq)]
pub struct Watching {
    pub added: usize,
    /// Directories left unwatched because the kernel's limit was reached.
    pub over_limit: usize,
}

impl Watcher {
    pub fn new() -> io::Result<Watcher> {
        // SAFETY: inotify_init1 takes flags only and returns a new descriptor or -1.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by inotify_init1 and nothing else owns it.
        Ok(Watcher { fd: unsafe { OwnedFd::from_raw_fd(fd) }, watched: HashMap::new() })
    }

    /// Watches each of `dirs`, (key, path) pairs (the kernel keeps one watch per directory, so
    /// watching one again costs a system call and nothing more); events name the key. Directories that cannot be watched (gone, not
    /// readable) are skipped; those refused for the limit are counted. A directory removed takes
    /// its watch with it.
    pub fn watch<'a>(&mut self, dirs: impl IntoIterator<Item = (i64, &'a str)>) -> Watching {
        let mut done = Watching::default();
        let mut watched = HashMap::new();
        for (key, dir) in dirs {
            let Ok(path) = CString::new(dir) else { continue };
            // SAFETY: `path` is a NUL-terminated string that lives across the call.
            let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), path.as_ptr(), EVENTS) };
            if wd >= 0 {
                if watched.insert(wd, key).is_none() && !self.watched.contains_key(&wd) {
                    done.added += 1;
                }
            } else if io::Error::last_os_error().raw_os_error() == Some(libc::ENOSPC) {
                done.over_limit += 1;
            }
        }
        self.watched = watched;
        done
    }

    pub fn watched(&self) -> usize {
        self.watched.len()
    }

    /// Waits at most `timeout` for events; true when some arrived (their directories are added
    /// to `changed`).
    pub fn wait(&self, timeout: Duration, changed: &mut Changed) -> bool {
        let mut poll = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one pollfd we own, for the duration of the call.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready <= 0 {
            return false;
        }
        let mut buffer = [0u8; 4096];
        loop {
            // SAFETY: reads into a buffer we own, at most its length; the descriptor is non-blocking.
            let read = unsafe { libc::read(self.fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
            let Ok(read) = usize::try_from(read) else { break };
            if read == 0 {
                break;
            }
            self.note(&buffer[..read], changed);
        }
        true
    }

    /// The events of one read: `struct inotify_event` (wd, mask, cookie, len, then len bytes of
    /// name), one after another; the kernel never splits one across reads.
    fn note(&self, mut events: &[u8], changed: &mut Changed) {
        const HEAD: usize = 16;
        while events.len() >= HEAD {
            let field = |at: usize| u32::from_ne_bytes([events[at], events[at + 1], events[at + 2], events[at + 3]]);
            let (wd, mask, len) = (field(0) as i32, field(4), field(12) as usize);
            if mask & libc::IN_Q_OVERFLOW != 0 {
                changed.overflowed = true;
            } else if let Some(&key) = self.watched.get(&wd) {
                changed.dirs.insert(key);
            }
            events = events.get(HEAD + len..).unwrap_or_default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_made_in_a_watched_directory_is_an_event_and_silence_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        let mut watcher = Watcher::new().unwrap();
        assert_eq!(watcher.watch([(7, path), (8, "/no/such/dir")]), Watching { added: 1, over_limit: 0 });
        assert_eq!((watcher.watch([(7, path)]).added, watcher.watched()), (0, 1), "watched once");
        let mut changed = Changed::default();
        assert!(!watcher.wait(Duration::from_millis(50), &mut changed), "nothing happened");
        std::fs::write(dir.path().join("new.jpg"), b"x").unwrap();
        assert!(watcher.wait(Duration::from_secs(5), &mut changed), "a new file is an event");
        assert_eq!(changed.dirs, HashSet::from([7]), "in the watched directory");
        assert!(!changed.overflowed);
        assert!(!watcher.wait(Duration::from_millis(50), &mut changed), "the events were read");
        watcher.watch([]);
        assert_eq!(watcher.watched(), 0);
    }
}
