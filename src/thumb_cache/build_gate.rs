//! Concurrency control for thumbnail builds: at most N builds run at once
//! (N ≈ CPU cores) and together they may claim at most a memory budget, and
//! concurrent requests for the same key share one build — the first caller runs
//! it, later callers block until it finishes and get a clone of its result.
//! std only (the gate's `Mutex` and `Condvar`, plus a small `Mutex` per build in
//! flight), no polling.
//!
//! Each build states the memory it will need; a build that would take the running
//! builds past the budget waits, unless nothing else runs (so one build larger
//! than the whole budget still runs, alone). Builds start in the order they
//! asked, so a large build is not overtaken forever by small ones.
//!
//! The gate deliberately does not cache: once a build finishes, its key is
//! forgotten, so a later call builds again (callers check their cache file
//! first). A panicking build releases its slot and wakes its waiters (with
//! [`Shared::Recheck`]) through a drop guard, and the panic then continues in
//! the building thread.

use crate::sync::unpoisoned;
use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

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
    /// The memory the running builds stated.
    memory: u64,
    slots: HashMap<String, Arc<Slot>>,
    /// Tickets of the callers waiting to start a build, oldest first.
    queue: VecDeque<u64>,
    next_ticket: u64,
}

/// Bounds concurrent builds and merges concurrent builds of the same key.
pub struct BuildGate {
    max: usize,
    memory_budget: u64,
    state: Mutex<State>,
    changed: Condvar,
}

impl BuildGate {
    /// A gate running at most `max_concurrent` builds at once (0 counts as 1),
    /// which together state at most `memory_budget` bytes.
    pub fn new(max_concurrent: usize, memory_budget: u64) -> Self {
        BuildGate { max: max_concurrent.max(1), memory_budget, state: Mutex::default(), changed: Condvar::new() }
    }

    fn admits(&self, st: &State, memory: u64) -> bool {
        st.running == 0 || (st.running < self.max && st.memory.saturating_add(memory) <= self.memory_budget)
    }

    /// Runs `build` for `key` unless a build of `key` is already running, in
    /// which case this blocks until it finishes and returns its result
    /// ([`Shared::Joined`]). `build` starts once every earlier caller has
    /// started or joined, fewer than `max_concurrent` builds run, and `memory`
    /// fits in what the running builds left of the budget (or nothing runs).
    /// If `build` panics the panic propagates to this caller after the slot
    /// has been released and waiters woken. `build` must not call `run` on the
    /// same gate (it could wait for itself or for a slot it holds).
    pub fn run<T>(&self, key: &str, memory: u64, build: impl FnOnce() -> T) -> Shared<T>
    where
        T: Clone + Send + Sync + 'static,
    {
        let mut st = unpoisoned(self.state.lock());
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.queue.push_back(ticket);
        loop {
            if let Some(slot) = st.slots.get(key).cloned() {
                st.queue.retain(|&t| t != ticket);
                self.changed.notify_all(); // the caller behind may be first now
                return self.wait_for(st, &slot);
            }
            if st.queue.front() == Some(&ticket) && self.admits(&st, memory) {
                break;
            }
            st = unpoisoned(self.changed.wait(st));
        }
        st.queue.pop_front();
        st.running += 1;
        st.memory += memory;
        let slot = Arc::new(Slot::default());
        st.slots.insert(key.to_owned(), Arc::clone(&slot));
        drop(st);
        self.changed.notify_all(); // the next caller may fit beside this build
        let mut guard = Finish { gate: self, key, memory, slot, payload: None };
        let value = build();
        guard.payload = Some(Arc::new(value.clone()));
        drop(guard);
        Shared::Built(value)
    }

    /// Blocks (lock released while waiting) until `slot` is finished.
    fn wait_for<T: Clone + 'static>(&self, mut st: MutexGuard<'_, State>, slot: &Slot) -> Shared<T> {
        #[cfg(test)]
        slot.waiters.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        loop {
            if let Some(done) = unpoisoned(slot.done.lock()).as_ref() {
                let value = done.as_ref().and_then(|p| p.downcast_ref::<T>()).cloned();
                return value.map_or(Shared::Recheck, Shared::Joined);
            }
            st = unpoisoned(self.changed.wait(st));
        }
    }

    /// How many callers are blocked on the build of `key` (tests only).
    #[cfg(test)]
    fn waiting(&self, key: &str) -> usize {
        let st = unpoisoned(self.state.lock());
        st.slots.get(key).map_or(0, |s| s.waiters.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Releases the build slot and publishes the result — also when the build panics.
struct Finish<'a> {
    gate: &'a BuildGate,
    key: &'a str,
    memory: u64,
    slot: Arc<Slot>,
    payload: Option<Payload>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let mut st = unpoisoned(self.gate.state.lock());
        st.running -= 1;
        st.memory -= self.memory;
        st.slots.remove(self.key);
        *unpoisoned(self.slot.done.lock()) = Some(self.payload.take());
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
        let (gate, meter, barrier) = (BuildGate::new(1, u64::MAX), Meter::default(), Barrier::new(4));
        thread::scope(|s| {
            for i in 0..4 {
                let (gate, meter, barrier) = (&gate, &meter, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    gate.run(&format!("k{i}"), 0, || meter.measure(Duration::from_millis(30), || false))
                });
            }
        });
        assert_eq!((meter.peak.load(SeqCst), meter.total.load(SeqCst)), (1, 4));
    }

    #[test]
    fn eight_callers_of_one_key_share_a_single_build() {
        let gate = BuildGate::new(4, u64::MAX);
        let (calls, barrier) = (AtomicUsize::new(0), Barrier::new(8));
        let results: Vec<Shared<String>> = thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        gate.run("same", 0, || {
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
            handles.into_iter().map(|h| h.join().expect("no panic")).collect()
        });
        assert_eq!(calls.load(SeqCst), 1);
        assert_eq!(results.iter().filter(|r| matches!(r, Shared::Built(_))).count(), 1);
        assert!(results.iter().all(|r| r.clone().into_result().as_deref() == Some("thumb.jpg")));
    }

    #[test]
    fn different_keys_run_concurrently_up_to_the_limit_and_no_further() {
        let (gate, meter, barrier) = (BuildGate::new(3, u64::MAX), Meter::default(), Barrier::new(6));
        thread::scope(|s| {
            for i in 0..6 {
                let (gate, meter, barrier) = (&gate, &meter, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    gate.run(&format!("k{i}"), 0, || {
                        meter.measure(Duration::from_secs(10), || meter.peak.load(SeqCst) >= 3)
                    });
                });
            }
        });
        assert_eq!((meter.peak.load(SeqCst), meter.total.load(SeqCst)), (3, 6));
    }

    #[test]
    fn a_panicking_build_releases_its_slot_and_its_waiters_recheck() {
        let gate = BuildGate::new(1, u64::MAX);
        let waiter_result = thread::scope(|s| {
            let owner = s.spawn(|| {
                gate.run("k", 0, || -> u32 {
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while gate.waiting("k") < 1 && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(2));
                    }
                    panic!("decoder exploded")
                })
            });
            let waiter = s.spawn(|| {
                while unpoisoned(gate.state.lock()).slots.is_empty() {
                    thread::sleep(Duration::from_millis(1));
                }
                gate.run("k", 0, || 7u32)
            });
            assert!(owner.join().is_err(), "the panic reaches the builder");
            waiter.join().expect("waiter does not panic")
        });
        assert_eq!(waiter_result, Shared::Recheck);
        // The slot was released: the gate of one still admits a build.
        assert_eq!(gate.run("k", 0, || 8u32), Shared::Built(8));
    }

    #[test]
    fn builds_share_the_memory_budget_and_one_larger_than_it_runs_alone() {
        let (gate, barrier) = (BuildGate::new(4, 10), Barrier::new(9));
        let (inside, memory_inside, most_memory) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
        thread::scope(|s| {
            for i in 0..9 {
                let (gate, barrier, inside, memory_inside, most_memory) =
                    (&gate, &barrier, &inside, &memory_inside, &most_memory);
                s.spawn(move || {
                    barrier.wait();
                    let memory = [3, 6, 25][i % 3];
                    gate.run(&format!("k{i}"), memory as u64, || {
                        let others = inside.fetch_add(1, SeqCst);
                        let total = memory_inside.fetch_add(memory, SeqCst) + memory;
                        if memory > 10 {
                            assert_eq!(others, 0, "a build over the budget runs alone");
                        } else {
                            most_memory.fetch_max(total, SeqCst);
                        }
                        thread::sleep(Duration::from_millis(50));
                        memory_inside.fetch_sub(memory, SeqCst);
                        inside.fetch_sub(1, SeqCst);
                    })
                });
            }
        });
        let most = most_memory.load(SeqCst);
        assert!((6..=10).contains(&most), "builds ran side by side within the budget, at most {most}");
        assert_eq!(unpoisoned(gate.state.lock()).memory, 0, "every build returned its memory");
    }

    #[test]
    fn a_large_build_is_not_overtaken_by_smaller_ones_that_arrive_later() {
        let gate = BuildGate::new(2, 10);
        let order = Mutex::new(Vec::new());
        thread::scope(|s| {
            let (gate, order) = (&gate, &order);
            let first = s.spawn(move || gate.run("small-0", 4, || thread::sleep(Duration::from_millis(60))));
            while unpoisoned(gate.state.lock()).running == 0 {
                thread::sleep(Duration::from_millis(1));
            }
            s.spawn(move || gate.run("large", 8, || unpoisoned(order.lock()).push("large")));
            while unpoisoned(gate.state.lock()).queue.is_empty() {
                thread::sleep(Duration::from_millis(1));
            }
            for i in 1..4 {
                s.spawn(move || gate.run(&format!("small-{i}"), 4, || unpoisoned(order.lock()).push("small")));
            }
            first.join().expect("no panic");
        });
        assert_eq!(unpoisoned(order.lock()).first(), Some(&"large"));
    }
}
