//! Concurrency control for thumbnail builds: at most N builds run at once
//! (N ≈ CPU cores), and concurrent requests for the same key share one build —
//! the first caller runs it, later callers block until it finishes and get a
//! clone of its result. std only (one `Mutex` + one `Condvar`), no polling.
//!
//! The gate deliberately does not cache: once a build finishes, its key is
//! forgotten, so a later call builds again (callers check their cache file
//! first). It does not queue fairly either: when a slot frees up, whichever
//! waiting thread wakes first takes it. A panicking build releases its slot and
//! wakes its waiters (with [`Shared::Recheck`]) through a drop guard, and the
//! panic then continues in the building thread.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// What [`BuildGate::run`] hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared<T> {
    /// This caller ran the build; its result.
    Built(T),
    /// Another caller was building this key; a clone of its result.
    Joined(T),
    /// Another caller was building this key but no result could be shared
    /// (its build panicked, or it returned a different type): re-check the
    /// cache, and call `run` again if the thing is still missing.
    Recheck,
}

#[cfg(test)]
impl<T> Shared<T> {
    /// The result, whoever built it; `None` for [`Shared::Recheck`].
    pub fn into_result(self) -> Option<T> {
        match self {
            Shared::Built(v) | Shared::Joined(v) => Some(v),
            Shared::Recheck => None,
        }
    }
}

type Payload = Arc<dyn Any + Send + Sync>;

/// One in-flight build. `done` is `None` while running, then
/// `Some(result or None if it panicked)`; only touched under the gate's lock.
#[derive(Default)]
struct Slot {
    done: Mutex<Option<Option<Payload>>>,
    #[cfg(test)]
    waiters: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct State {
    running: usize,
    slots: HashMap<String, Arc<Slot>>,
}

/// Bounds concurrent builds and merges concurrent builds of the same key.
pub struct BuildGate {
    max: usize,
    state: Mutex<State>,
    changed: Condvar,
}

fn relock<G>(r: Result<G, PoisonError<G>>) -> G {
    r.unwrap_or_else(PoisonError::into_inner)
}

impl BuildGate {
    /// A gate running at most `max_concurrent` builds at once (0 counts as 1).
    pub fn new(max_concurrent: usize) -> Self {
        BuildGate {
            max: max_concurrent.max(1),
            state: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    /// Runs `build` for `key` unless a build of `key` is already running, in
    /// which case this blocks until it finishes and returns its result
    /// ([`Shared::Joined`]). Blocks while `max_concurrent` builds are running.
    /// If `build` panics the panic propagates to this caller after the slot
    /// has been released and waiters woken. `build` must not call `run` on the
    /// same gate (it could wait for itself or for a slot it holds).
    pub fn run<T>(&self, key: &str, build: impl FnOnce() -> T) -> Shared<T>
    where
        T: Clone + Send + Sync + 'static,
    {
        let mut st = relock(self.state.lock());
        loop {
            if let Some(slot) = st.slots.get(key).cloned() {
                return self.wait_for(st, &slot);
            }
            if st.running < self.max {
                break;
            }
            st = relock(self.changed.wait(st));
        }
        st.running += 1;
        let slot = Arc::new(Slot::default());
        st.slots.insert(key.to_owned(), Arc::clone(&slot));
        drop(st);
        let mut guard = Finish {
            gate: self,
            key,
            slot,
            payload: None,
        };
        let value = build();
        guard.payload = Some(Arc::new(value.clone()));
        drop(guard);
        Shared::Built(value)
    }

    /// Blocks (lock released while waiting) until `slot` is finished.
    fn wait_for<T: Clone + 'static>(
        &self,
        mut st: MutexGuard<'_, State>,
        slot: &Slot,
    ) -> Shared<T> {
        #[cfg(test)]
        slot.waiters
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        loop {
            if let Some(done) = relock(slot.done.lock()).as_ref() {
                let value = done.as_ref().and_then(|p| p.downcast_ref::<T>()).cloned();
                return value.map_or(Shared::Recheck, Shared::Joined);
            }
            st = relock(self.changed.wait(st));
        }
    }

    /// How many callers are blocked on the build of `key` (tests only).
    #[cfg(test)]
    fn waiting(&self, key: &str) -> usize {
        let st = relock(self.state.lock());
        st.slots
            .get(key)
            .map_or(0, |s| s.waiters.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Releases the build slot and publishes the result — also when the build panics.
struct Finish<'a> {
    gate: &'a BuildGate,
    key: &'a str,
    slot: Arc<Slot>,
    payload: Option<Payload>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let mut st = relock(self.gate.state.lock());
        st.running -= 1;
        st.slots.remove(self.key);
        *relock(self.slot.done.lock()) = Some(self.payload.take());
        drop(st);
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Barrier;
    use std::thread;
    use std::time::{Duration, Instant};

    /// Counts how many builds are inside the closure at once.
    #[derive(Default)]
    struct Meter {
        now: AtomicUsize,
        peak: AtomicUsize,
        total: AtomicUsize,
    }

    impl Meter {
        /// Enter, then stay until `until()` holds (or `hold` passes), then leave.
        fn measure(&self, hold: Duration, until: impl Fn() -> bool) {
            let n = self.now.fetch_add(1, SeqCst) + 1;
            self.peak.fetch_max(n, SeqCst);
            self.total.fetch_add(1, SeqCst);
            let deadline = Instant::now() + hold;
            while !until() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
            self.now.fetch_sub(1, SeqCst);
        }
    }

    #[test]
    fn a_gate_of_one_runs_builds_one_after_another() {
        let (gate, meter, barrier) = (BuildGate::new(1), Meter::default(), Barrier::new(4));
        thread::scope(|s| {
            for i in 0..4 {
                let (gate, meter, barrier) = (&gate, &meter, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    gate.run(&format!("k{i}"), || {
                        meter.measure(Duration::from_millis(30), || false)
                    })
                });
            }
        });
        assert_eq!((meter.peak.load(SeqCst), meter.total.load(SeqCst)), (1, 4));
    }

    #[test]
    fn eight_callers_of_one_key_share_a_single_build() {
        let gate = BuildGate::new(4);
        let (calls, barrier) = (AtomicUsize::new(0), Barrier::new(8));
        let results: Vec<Shared<String>> = thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        gate.run("same", || {
                            calls.fetch_add(1, SeqCst);
                            let deadline = Instant::now() + Duration::from_secs(10);
                            while gate.waiting("same") < 7 && Instant::now() < deadline {
                                thread::sleep(Duration::from_millis(2));
                            }
                            "thumb.jpg".to_string()
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        assert_eq!(calls.load(SeqCst), 1);
        assert_eq!(
            results
                .iter()
                .filter(|r| matches!(r, Shared::Built(_)))
                .count(),
            1
        );
        assert!(results
            .iter()
            .all(|r| r.clone().into_result().as_deref() == Some("thumb.jpg")));
    }

    #[test]
    fn different_keys_run_concurrently_up_to_the_limit_and_no_further() {
        let (gate, meter, barrier) = (BuildGate::new(3), Meter::default(), Barrier::new(6));
        thread::scope(|s| {
            for i in 0..6 {
                let (gate, meter, barrier) = (&gate, &meter, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    gate.run(&format!("k{i}"), || {
                        meter.measure(Duration::from_secs(10), || meter.peak.load(SeqCst) >= 3)
                    });
                });
            }
        });
        assert_eq!((meter.peak.load(SeqCst), meter.total.load(SeqCst)), (3, 6));
    }

    #[test]
    fn a_panicking_build_releases_its_slot_and_its_waiters_recheck() {
        let gate = BuildGate::new(1);
        let waiter_result = thread::scope(|s| {
            let owner = s.spawn(|| {
                gate.run("k", || -> u32 {
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while gate.waiting("k") < 1 && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(2));
                    }
                    panic!("decoder exploded")
                })
            });
            let waiter = s.spawn(|| {
                while relock(gate.state.lock()).slots.is_empty() {
                    thread::sleep(Duration::from_millis(1));
                }
                gate.run("k", || 7u32)
            });
            assert!(owner.join().is_err(), "the panic reaches the builder");
            waiter.join().expect("waiter does not panic")
        });
        assert_eq!(waiter_result, Shared::Recheck);
        // The slot was released: the gate of one still admits a build.
        assert_eq!(gate.run("k", || 8u32), Shared::Built(8));
    }
}
