//! Logging through `log`/`simplelog`: everything at info and above goes to stderr and to
//! `logFileName`, one line per record (`<RFC 3339 local time> [LEVEL] message`). Before simplelog
//! sees a record, its message is capped and its control characters are escaped (`line`), so no
//! module — and no client text or file name that reaches a message — can forge a line or write a
//! long one. The file is rotated by size while the server runs (`rotating`), so the log cannot
//! fill a disk. Set up once by `main`; no other module configures logging. `shown` and
//! `shown_path` make client text and paths short and readable in messages (and on the scanner's
//! stderr).

mod line;
mod rotating;

use rotating::RotatingFile;
use simplelog::{CombinedLogger, ConfigBuilder, LevelFilter, SharedLogger, WriteLogger};
use std::io::LineWriter;
use std::path::Path;

/// The log file is rotated when the next line would take it past this size…
pub const ROTATE_AT_BYTES: u64 = 5 * 1024 * 1024;
/// …keeping this many old files (`<logFileName>.1` … `.5`), as the original did.
pub const KEEP_OLD_FILES: u32 = 5;

/// Starts logging to stderr and, when given, to `log_file`; a log file that cannot be opened
/// costs a warning on stderr (and is tried again with every line).
pub fn init(log_file: Option<&Path>) {
    let stderr = LineWriter::new(std::io::stderr()); // simplelog writes a line in pieces
    let mut loggers: Vec<Box<dyn SharedLogger>> = vec![WriteLogger::new(LevelFilter::Info, config(), stderr)];
    if let Some(path) = log_file {
        let file = RotatingFile::open(path, ROTATE_AT_BYTES, KEEP_OLD_FILES);
        loggers.push(WriteLogger::new(LevelFilter::Info, config(), file));
    }
    let logger: &'static Sanitized = Box::leak(Box::new(Sanitized { inner: CombinedLogger::new(loggers) }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

fn config() -> simplelog::Config {
    ConfigBuilder::new()
        .set_time_format_rfc3339()
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        .set_location_level(LevelFilter::Off)
        .build()
}

/// Hands every record to simplelog with its message capped and escaped.
struct Sanitized {
    inner: Box<CombinedLogger>,
}

impl log::Log for Sanitized {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        log::Log::enabled(&*self.inner, metadata)
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = line::message(record.args());
        let sanitized = |args| log::Record::builder().level(record.level()).target(record.target()).args(args).build();
        log::Log::log(&*self.inner, &sanitized(format_args!("{message}")));
    }

    fn flush(&self) {
        log::Log::flush(&*self.inner);
    }
}

/// Text from a client as the log shows it: quoted, control characters escaped, at most
/// SHOWN_CHARS characters, so one request cannot forge log lines or flood the log.
pub fn shown(text: &str) -> String {
    const SHOWN_CHARS: usize = 100;
    let mut cut: String = text.chars().take(SHOWN_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// A path as the log and the scanner show it: quoted, control characters escaped, and a long
/// one cut in the middle (its start and its file name are what a reader needs), so a file name
/// or a client's path never makes a long line.
pub fn shown_path(path: &Path) -> String {
    const HEAD_CHARS: usize = 40;
    const TAIL_CHARS: usize = 100;
    let text = path.to_string_lossy();
    let count = text.chars().count();
    if count <= HEAD_CHARS + TAIL_CHARS {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(HEAD_CHARS).collect();
    let tail: String = text.chars().skip(count - TAIL_CHARS).collect();
    format!("{:?}", format!("{head}…{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Log;

    #[test]
    fn client_text_is_quoted_escaped_and_capped() {
        assert_eq!(shown("terry"), "\"terry\"");
        assert_eq!(shown("a\nFAKE LINE\r\u{1b}[2J"), "\"a\\nFAKE LINE\\r\\u{1b}[2J\"");
        let long = shown(&"x".repeat(10_000));
        assert!(long.chars().count() < 110 && long.ends_with("…\""), "{long}");
    }

    #[test]
    fn paths_are_quoted_escaped_and_cut_in_the_middle() {
        assert_eq!(shown_path(Path::new("/media/a b.jpg")), "\"/media/a b.jpg\"");
        assert_eq!(shown_path(Path::new("/m/x\ny.jpg")), "\"/m/x\\ny.jpg\"");
        let long = format!("/media/{}IMG_0001.JPG", "d/".repeat(30_000));
        let shown = shown_path(Path::new(&long));
        assert!(shown.chars().count() < 150, "{shown}");
        assert!(
            shown.starts_with("\"/media/d/") && shown.ends_with("d/IMG_0001.JPG\"") && shown.contains('…'),
            "{shown}"
        );
    }

    fn lines_of(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
    }

    /// Many threads logging through one logger into a small rotating file: every line arrives
    /// whole (never interleaved or split across files), in order per thread, and no file grows
    /// past the limit.
    #[test]
    fn threads_logging_at_once_write_whole_lines_into_bounded_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let (limit, keep) = (4_000, 3);
        let file = WriteLogger::new(LevelFilter::Info, config(), RotatingFile::open(&path, limit, keep));
        let logger = Sanitized { inner: CombinedLogger::new(vec![file]) };
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let logger = &logger;
                scope.spawn(move || {
                    for n in 0..300 {
                        let pad = "x".repeat(n % 50);
                        let args = format_args!("thread {thread} line {n} {pad}");
                        logger.log(&log::Record::builder().level(log::Level::Info).args(args).build());
                    }
                });
            }
        });
        let mut last_seen = [None::<usize>; 8];
        for name in ["app.log.3", "app.log.2", "app.log.1", "app.log"] {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            assert!(text.len() as u64 <= limit, "{name} has {} bytes", text.len());
            assert!(text.ends_with('\n'));
            for line in text.lines() {
                let message = line.split_once(" [INFO] ").unwrap_or_else(|| panic!("{line:?}")).1;
                let words: Vec<&str> = message.split(' ').collect();
                let (thread, n): (usize, usize) = (words[1].parse().unwrap(), words[3].parse().unwrap());
                assert_eq!(words.get(4).copied().unwrap_or(""), "x".repeat(n % 50), "{line:?}");
                assert!(last_seen[thread] < Some(n), "{line:?} after {:?}", last_seen[thread]);
                last_seen[thread] = Some(n);
            }
        }
        let newest = lines_of(&dir.path().join("app.log"));
        assert!(newest.last().is_some_and(|l| l.contains(" line 299 ")), "the newest line is kept: {newest:?}");
        assert!(!dir.path().join("app.log.4").exists(), "only {keep} old files are kept");
    }
}
