//! The per-file-id upload lock (protocol §3.8: uploads to one file id are serialised). A second
//! upload while one is in progress is refused rather than queued, so a stalled client can never
//! park other workers behind it. The guard releases the id when dropped, also on panic.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
pub struct UploadLocks {
    busy: Mutex<HashSet<i64>>,
}

/// Proof that this request is the only upload to `id`; releases it on drop.
pub struct UploadGuard<'a> {
    locks: &'a UploadLocks,
    id: i64,
}

impl UploadLocks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the lock for `id`, or None when another upload to it is running.
    pub fn try_lock(&self, id: i64) -> Option<UploadGuard<'_>> {
        // The set's lock must be released before a guard can exist: a guard's drop takes it.
        let inserted = self.set().insert(id);
        inserted.then(|| UploadGuard { locks: self, id })
    }

    fn set(&self) -> MutexGuard<'_, HashSet<i64>> {
        crate::sync::lock(&self.busy)
    }
}

impl Drop for UploadGuard<'_> {
    fn drop(&mut self) {
        self.locks.set().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_upload_to_the_same_id_is_refused_until_the_first_ends() {
        let locks = UploadLocks::new();
        let first = locks.try_lock(7).expect("free");
        assert!(locks.try_lock(7).is_none());
        assert!(locks.try_lock(8).is_some(), "other ids are independent");
        drop(first);
        assert!(locks.try_lock(7).is_some());
    }

    #[test]
    fn a_panicking_upload_releases_its_lock() {
        let locks = UploadLocks::new();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _guard = locks.try_lock(3);
            panic!("handler bug");
        }));
        assert!(outcome.is_err());
        assert!(locks.try_lock(3).is_some());
    }
}
