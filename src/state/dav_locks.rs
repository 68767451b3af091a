//! WebDAV's write locks (RFC 4918 §6–7): which resource each lock token covers, its depth,
//! scope, owner and expiry. A resource is named by its path in the WebDAV tree (`/Root/a.jpg`,
//! the decoded names joined with `/`), so a lock may cover a name that has no file yet. Memory
//! only: a restart forgets every lock, which clients take as expiry. At most `CAPACITY` live
//! locks; timeouts are capped at `MAX_TIMEOUT`. Deciding which request must submit which token is
//! the WebDAV layer's (`dav::locking`).

use crate::random;
use std::sync::Mutex;

/// Live locks at most (a family's clients hold a handful).
const CAPACITY: usize = 1024;
/// Longest timeout granted, in seconds; "Infinite" gets this.
pub const MAX_TIMEOUT: u64 = 3600;

#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    /// `opaquelocktoken:<uuid>`
    pub token: String,
    pub path: String,
    /// Depth infinity (on a collection: every member too).
    pub deep: bool,
    pub exclusive: bool,
    /// The client's owner text, given back in lock discovery.
    pub owner: String,
    pub timeout: u64,
    pub expires: u64,
}

impl Lock {
    /// True when this lock covers the resource at `path`.
    pub fn covers(&self, path: &str) -> bool {
        self.path == path || (self.deep && is_below(path, &self.path))
    }
}

/// True when `path` lies strictly below `ancestor`.
pub fn is_below(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor).is_some_and(|rest| rest.starts_with('/'))
}

/// Why a lock was not granted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Another lock holds the resource (or a member, or an ancestor with depth infinity).
    Conflict,
    /// The table is full.
    Full,
}

#[derive(Default)]
pub struct DavLocks {
    locks: Mutex<Vec<Lock>>,
}

impl DavLocks {
    /// The live locks that cover `path`.
    pub fn covering(&self, path: &str, now: u64) -> Vec<Lock> {
        self.live(now).into_iter().filter(|lock| lock.covers(path)).collect()
    }

    /// The live locks that cover `path` or anything below it.
    pub fn within(&self, path: &str, now: u64) -> Vec<Lock> {
        self.live(now).into_iter().filter(|lock| lock.covers(path) || is_below(&lock.path, path)).collect()
    }

    fn live(&self, now: u64) -> Vec<Lock> {
        let mut locks = crate::sync::lock(&self.locks);
        locks.retain(|lock| lock.expires > now);
        locks.clone()
    }

    /// Grants a new lock on `path` unless one that overlaps it conflicts (an exclusive lock
    /// conflicts with every other; shared locks with exclusive ones).
    pub fn grant(
        &self,
        path: &str,
        deep: bool,
        exclusive: bool,
        owner: String,
        timeout: u64,
        now: u64,
    ) -> Result<Lock, Refused> {
        let mut locks = crate::sync::lock(&self.locks);
        locks.retain(|lock| lock.expires > now);
        let overlaps = |lock: &Lock| lock.covers(path) || (deep && is_below(&lock.path, path));
        if locks.iter().any(|lock| overlaps(lock) && (exclusive || lock.exclusive)) {
            return Err(Refused::Conflict);
        }
        if locks.len() >= CAPACITY {
            return Err(Refused::Full);
        }
        let timeout = timeout.clamp(1, MAX_TIMEOUT);
        let token = format!("opaquelocktoken:{}", uuid());
        let lock = Lock { token, path: path.to_string(), deep, exclusive, owner, timeout, expires: now + timeout };
        locks.push(lock.clone());
        Ok(lock)
    }

    /// Extends the live lock `token` that covers `path`.
    pub fn refresh(&self, token: &str, path: &str, timeout: u64, now: u64) -> Option<Lock> {
        let mut locks = crate::sync::lock(&self.locks);
        let lock = locks.iter_mut().find(|lock| lock.token == token && lock.expires > now && lock.covers(path))?;
        lock.timeout = timeout.clamp(1, MAX_TIMEOUT);
        lock.expires = now + lock.timeout;
        Some(lock.clone())
    }

    /// Ends lock `token` if it covers `path`; true if it did.
    pub fn release(&self, token: &str, path: &str, now: u64) -> bool {
        let mut locks = crate::sync::lock(&self.locks);
        let before = locks.len();
        locks.retain(|lock| lock.expires > now && !(lock.token == token && lock.covers(path)));
        locks.len() < before
    }

    /// Forgets the locks on `path` and below it (the resource was deleted or moved away).
    pub fn forget(&self, path: &str) {
        crate::sync::lock(&self.locks).retain(|lock| lock.path != path && !is_below(&lock.path, path));
    }
}

/// A random (version 4) UUID.
fn uuid() -> String {
    let mut bytes = random::bytes::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = random::hex(&bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_locks_conflict_with_overlapping_ones_and_shared_ones_share() {
        let locks = DavLocks::default();
        let a = locks.grant("/R/a", false, true, String::new(), 60, 0).unwrap();
        assert!(a.token.starts_with("opaquelocktoken:") && a.token.len() == 16 + 36);
        assert_eq!(locks.grant("/R/a", false, false, String::new(), 60, 0), Err(Refused::Conflict));
        assert_eq!(locks.grant("/R", true, true, String::new(), 60, 0), Err(Refused::Conflict), "a member is locked");
        assert!(locks.grant("/R", false, true, String::new(), 60, 0).is_ok(), "depth 0 does not reach the member");
        assert!(locks.grant("/S/b", false, false, String::new(), 60, 0).is_ok());
        assert!(locks.grant("/S/b", false, false, String::new(), 60, 0).is_ok());
        assert_eq!(locks.covering("/R/a", 1).len(), 1);
        assert_eq!(locks.covering("/R/a", 61).len(), 0, "expired");
    }

    #[test]
    fn deep_locks_cover_members_and_release_needs_the_token() {
        let locks = DavLocks::default();
        let lock = locks.grant("/R/dir", true, true, String::new(), 99_999, 0).unwrap();
        assert_eq!(lock.timeout, MAX_TIMEOUT);
        assert_eq!(locks.covering("/R/dir/x/y", 1).len(), 1);
        assert_eq!(locks.covering("/R/dirx", 1).len(), 0);
        assert_eq!(locks.within("/R", 1).len(), 1);
        assert!(!locks.release("opaquelocktoken:other", "/R/dir", 1));
        assert!(locks.refresh(&lock.token, "/R/dir/x", 10, 1).is_some());
        assert!(locks.release(&lock.token, "/R/dir", 1));
        assert!(locks.covering("/R/dir", 1).is_empty());
    }
}
