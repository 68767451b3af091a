//! Start-up: cold start (from spawning `isync serve` on the shared, scanned app dir to the first
//! successful answer of `GET /`) and the RSS of a server that has just started and answered
//! nothing. "Cold" means a new process; the binary and the database are in the page cache.

use crate::http::Conn;
use crate::procs::Server;
use crate::report::{Budget, Row};
use crate::setup::{Setup, START_LIMIT};
use crate::{progress, Bench, MIB};
use std::time::{Duration, Instant};

/// Polls of `GET /` after the listening line before giving up (1 ms apart at most).
const POLLS: usize = 2000;
const FILES: usize = crate::fixtures::SMALL_FILES + crate::fixtures::BIG_FILES;

pub fn cold_start(b: &Bench, setup: &Setup) -> Result<Vec<Row>, String> {
    let (mut first_answer, mut listening) = (Vec::new(), Vec::new());
    for round in 0..=b.runs {
        let started = Instant::now();
        let (server, to_line) = Server::start(&b.bin, &setup.app, &[], START_LIMIT)?;
        let mut answered = None;
        for _ in 0..POLLS {
            if let Ok((head, body)) = Conn::new(server.addr).get("/", "") {
                if head.status == 200 && body == b"hello world" {
                    answered = Some(started.elapsed());
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let answered = answered.ok_or("isync serve never answered GET / with hello world")?;
        drop(server);
        if round > 0 {
            progress(&format!("cold start {round}/{}: {:.1} ms", b.runs, answered.as_secs_f64() * 1000.0));
            first_answer.push(answered.as_secs_f64() * 1000.0);
            listening.push(to_line.as_secs_f64() * 1000.0);
        }
    }
    Ok(vec![
        Row::new("cold start: spawn → first 200 from GET /", "ms", &first_answer).budget(Budget::AtMost(20.0)),
        Row::new("cold start: spawn → `listening on` line", "ms", &listening),
    ])
}

/// RSS half a second after start, before any request.
pub fn idle_rss(b: &Bench, setup: &Setup) -> Result<Vec<Row>, String> {
    let mut rss = Vec::new();
    for run in 0..b.runs {
        let (server, _) = Server::start(&b.bin, &setup.app, &[], START_LIMIT)?;
        std::thread::sleep(Duration::from_millis(500));
        rss.push(server.rss_kib()? as f64 / MIB);
        progress(&format!("idle RSS {}/{}: {:.2} MiB", run + 1, b.runs, rss[run]));
    }
    Ok(vec![Row::new(format!("RSS of `serve` idle after start ({FILES} files in the database)"), "MiB", &rss)
        .budget(Budget::AtMost(4.0))])
}
