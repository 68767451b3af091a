//! The load generator: `concurrency` threads, each with its own keep-alive connection (opened
//! before the clock starts), share one request counter and stop at the request count, the time
//! limit or an external stop flag, whichever comes first. Every request's latency is recorded, so
//! p50/p99 are exact. It does not pace requests (closed loop) and does not check bodies beyond
//! the status code; callers validate a sample response before they load an endpoint.

use crate::http::Conn;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

pub struct Spec<'a> {
    pub addr: SocketAddr,
    /// Extra header lines (the session cookie), each ending in CRLF.
    pub extra: &'a str,
    /// Request paths, used round-robin by request number.
    pub paths: &'a [String],
    pub concurrency: usize,
    pub requests: u64,
    pub max_time: Duration,
}

#[derive(Default)]
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
    /// Microseconds, one per successful request, sorted.
    pub latencies: Vec<u32>,
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The p-th percentile latency in milliseconds (nearest rank).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        f64::from(self.latencies[rank.clamp(1, self.latencies.len()) - 1]) / 1000.0
    }
}

/// Runs the load until done or until `stop` is set; bounded by `spec.max_time` in any case.
pub fn run(spec: &Spec, stop: &AtomicBool) -> Outcome {
    if spec.paths.is_empty() || spec.concurrency == 0 {
        return Outcome { first_error: Some("no paths or no clients".into()), ..Outcome::default() };
    }
    let next = AtomicU64::new(0);
    let barrier = Barrier::new(spec.concurrency + 1);
    let mut outcome = Outcome::default();
    let started = std::thread::scope(|scope| {
        let workers: Vec<_> =
            (0..spec.concurrency).map(|_| scope.spawn(|| client(spec, &next, &barrier, stop))).collect();
        barrier.wait();
        let started = Instant::now();
        for worker in workers {
            let part = worker.join().unwrap_or_else(|_| Outcome {
                first_error: Some("client thread panicked".into()),
                ..Outcome::default()
            });
            outcome.ok += part.ok;
            outcome.failed += part.failed;
            outcome.latencies.extend(part.latencies);
            if outcome.first_error.is_none() {
                outcome.first_error = part.first_error;
            }
        }
        started
    });
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort_unstable();
    outcome
}

fn client(spec: &Spec, next: &AtomicU64, barrier: &Barrier, stop: &AtomicBool) -> Outcome {
    let mut conn = Conn::new(spec.addr);
    let mut outcome = Outcome::default();
    if let Err(e) = conn.connect() {
        outcome.first_error = Some(format!("connect: {e}"));
    }
    barrier.wait();
    let deadline = Instant::now() + spec.max_time;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= spec.requests || stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
            break;
        }
        let path = &spec.paths[(i % spec.paths.len() as u64) as usize];
        let t0 = Instant::now();
        match conn.send("GET", path, spec.extra, b"", &mut |_| {}) {
            Ok(head) if head.status == 200 => {
                outcome.ok += 1;
                outcome.latencies.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Ok(head) => fail(&mut outcome, format!("GET {path}: HTTP {}", head.status)),
            Err(e) => fail(&mut outcome, format!("GET {path}: {e}")),
        }
    }
    outcome
}

fn fail(outcome: &mut Outcome, error: String) {
    outcome.failed += 1;
    outcome.first_error.get_or_insert(error);
}
