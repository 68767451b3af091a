//! Whether the server is serving: the requests being answered now and when the last one was
//! answered, for background work that gives way to clients (`scan::prebuild`). Two atomics;
//! the workers mark each request, nobody waits on them.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// Milliseconds from `epoch()` to the end of the last answer.
static LAST_ANSWERED: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// A request being answered, from `serving()` until it is dropped.
pub struct Serving(());

/// Marks a request as being answered until the returned guard is dropped.
pub fn serving() -> Serving {
    epoch();
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    Serving(())
}

impl Drop for Serving {
    fn drop(&mut self) {
        LAST_ANSWERED.store(epoch().elapsed().as_millis() as u64, Ordering::SeqCst);
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long no request has been answered: `None` while one is, else the time since the last
/// answer (or since the first call here, before any).
pub fn idle_for() -> Option<Duration> {
    if IN_FLIGHT.load(Ordering::SeqCst) > 0 {
        return None;
    }
    let now = epoch().elapsed();
    Some(now.saturating_sub(Duration::from_millis(LAST_ANSWERED.load(Ordering::SeqCst))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_in_flight_is_not_idle_and_its_end_restarts_the_idle_time() {
        let guard = serving();
        assert_eq!(idle_for(), None);
        std::thread::sleep(Duration::from_millis(30));
        drop(guard);
        let idle = idle_for().expect("nothing in flight");
        assert!(idle < Duration::from_millis(30), "{idle:?}");
    }
}
