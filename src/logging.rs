//! Logging through `log`/`simplelog`: everything at info and above to stderr and to
//! `logFileName` (parent directories created, appended, rotated at 5 MB keeping 5 old files as the
//! original did). Set up once by `main`; no other module configures logging.

use simplelog::{CombinedLogger, ConfigBuilder, LevelFilter, SharedLogger, WriteLogger};
use std::fs::OpenOptions;
use std::io::LineWriter;
use std::path::{Path, PathBuf};

const ROTATE_AT_BYTES: u64 = 5 * 1024 * 1024;
const KEEP_OLD_FILES: u32 = 5;

/// Starts logging; a log file that cannot be opened only costs a warning on stderr.
pub fn init(log_file: Option<&Path>) {
    let config = ConfigBuilder::new()
        .set_time_format_rfc3339()
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        .set_location_level(LevelFilter::Off)
        .build();
    // simplelog writes a line in many small pieces: line-buffered, each line is one write, for
    // every request's access-log line.
    let mut loggers: Vec<Box<dyn SharedLogger>> =
        vec![WriteLogger::new(LevelFilter::Info, config.clone(), LineWriter::new(std::io::stderr()))];
    if let Some(path) = log_file {
        match open_rotated(path) {
            Ok(file) => loggers.push(WriteLogger::new(LevelFilter::Info, config, LineWriter::new(file))),
            Err(e) => eprintln!("warning: cannot open log file {}: {e}", path.display()),
        }
    }
    let _ = CombinedLogger::init(loggers);
}

fn open_rotated(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() >= ROTATE_AT_BYTES) {
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", path.display()));
        for n in (1..KEEP_OLD_FILES).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        let _ = std::fs::rename(path, numbered(1));
    }
    OpenOptions::new().create(true).append(true).open(path)
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

#[cfg(test)]
mod tests {
    #[test]
    fn client_text_is_quoted_escaped_and_capped() {
        assert_eq!(super::shown("terry"), "\"terry\"");
        assert_eq!(super::shown("a\nFAKE LINE\r\u{1b}[2J"), "\"a\\nFAKE LINE\\r\\u{1b}[2J\"");
        let long = super::shown(&"x".repeat(10_000));
        assert!(long.chars().count() < 110 && long.ends_with("…\""), "{long}");
    }
}
