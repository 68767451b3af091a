//! The log cannot fill a disk (issue 12 item 7): megabytes of requests with long paths and
//! hostile names leave log files that were rotated while the server ran, none larger than the
//! rotation size, at most KEEP_OLD_FILES old ones, and every line short and a line of its own.

use crate::common::{Client, TestServer};
use std::path::Path;

/// src/logging: rotated at 5 MiB, 5 old files kept.
const ROTATE_AT_BYTES: u64 = 5 * 1024 * 1024;
const KEEP_OLD_FILES: usize = 5;
/// A message is cut at 1,000 bytes; with its time, level and `…` a line stays below this.
const LINE_BYTES: usize = 1_100;
/// Bytes of log the requests must cause: more than one file holds.
const LOGGED_BYTES: u64 = ROTATE_AT_BYTES + ROTATE_AT_BYTES / 5;

#[test]
fn megabytes_of_long_paths_rotate_the_log_while_running_and_every_line_stays_short() {
    if crate::common::emulated() {
        // The rotation is the same code on every architecture; this is a test of volume.
        return crate::common::skipped("sends some 35,000 requests, too slow under an emulator; run on the host build");
    }
    let server = TestServer::start();
    let hostile = Client::new(&server.addr)
        .post_form("/login.icc", "userName=x%0A2099-01-01T00:00:00.000Z%20[ERROR]%20forged%1B[2J&password=y");
    assert_eq!(hostile.code(), -10000);
    // Paths well inside any request-line limit, still far longer than a log line may be. The
    // access line shows a path cut short, so it takes tens of thousands of requests to fill a
    // file: sent in rounds until the log has rotated.
    let long_path = format!("/{}", "a".repeat(1_500));
    let dir = server.app_dir().join("building");
    for _round in 0..MAX_ROUNDS {
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let mut connection = server.client().keep_alive();
                    for _ in 0..ROUND_REQUESTS / 4 {
                        assert_eq!(connection.get(&long_path).status, 404);
                    }
                });
            }
        });
        if logged_bytes(&dir) >= LOGGED_BYTES {
            break;
        }
    }
    let mut files = log_files(&dir);
    files.sort();
    assert!(files.len() >= 2, "the log was not rotated while running: {files:?}");
    assert!(files.len() <= KEEP_OLD_FILES + 1, "{files:?}");
    let mut total = 0;
    let mut forged = false;
    for name in &files {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.len() as u64 <= ROTATE_AT_BYTES, "{name} has {} bytes", text.len());
        total += text.len() as u64;
        for line in text.lines() {
            assert!(line.len() <= LINE_BYTES, "a line of {} bytes in {name}: {}…", line.len(), &line[..200]);
            let stamp = line.as_bytes();
            assert!(stamp.len() > 24 && stamp[..4].iter().all(u8::is_ascii_digit) && stamp[10] == b'T', "{line:?}");
            forged |= line.contains("forged");
            assert!(!line.contains('\u{1b}'), "an escape sequence reached the log: {line:?}");
        }
    }
    assert!(total >= ROTATE_AT_BYTES, "only {total} bytes were logged");
    assert!(total <= (KEEP_OLD_FILES as u64 + 1) * ROTATE_AT_BYTES + LINE_BYTES as u64);
    assert!(forged, "the hostile login was logged (as one escaped line)");
}

/// Requests per round, and rounds at most (far more than the ~35,000 needed).
const ROUND_REQUESTS: usize = 4_000;
const MAX_ROUNDS: usize = 40;

fn logged_bytes(dir: &Path) -> u64 {
    log_files(dir).iter().map(|name| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len())).sum()
}

/// `appLog.log` and its rotated siblings.
fn log_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("appLog.log"))
        .collect()
}
