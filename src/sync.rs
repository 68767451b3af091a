//! Locks that survive a panic. A handler that panics while holding a lock is caught by the
//! worker (`http::server`), and every structure guarded here stays consistent between
//! statements, so a poisoned lock is simply taken over instead of failing every later request.

use std::sync::{LockResult, Mutex, MutexGuard};

/// Locks `mutex`, taking it over if a panicking thread left it poisoned.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    unpoisoned(mutex.lock())
}

/// The guard of a lock result (a lock or a condition-variable wait), poisoned or not.
pub fn unpoisoned<G>(result: LockResult<G>) -> G {
    result.unwrap_or_else(std::sync::PoisonError::into_inner)
}
