//! The empty placeholder file `uploadFileInfo.icc` creates (protocol §3.7, §4.15): named
//! `YYYY-MM-DD_N[.S(ext)]` (server-local date, N = µs since the epoch mod 10¹⁰), created
//! exclusively (`create_new`) directly inside the catalog's physical directory, with a bounded
//! number of attempts (D11). Client text enters the name only through the sanitiser, and the
//! finished path is checked to lie directly inside the directory. It does not touch the
//! database; the caller inserts the row and removes the placeholder when that fails.

use std::fs::OpenOptions;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Collisions are retried with a fresh N at most this many times (protocol §3.7).
const ATTEMPTS: u32 = 100;
const N_MODULUS: u64 = 10_000_000_000;

#[derive(Debug)]
pub enum PlaceholderError {
    /// Every attempted name already existed.
    Exhausted,
    /// Creating the file failed for another reason (missing directory, permissions, full disk).
    Io(io::Error),
    /// A generated path did not lie directly inside the directory (never expected).
    Outside(PathBuf),
}

/// Creates the placeholder inside `dir` and returns its file name.
pub fn create(dir: &Path, ext: &str) -> Result<String, PlaceholderError> {
    create_with(dir, ext, ATTEMPTS, &mut sequence_number)
}

fn create_with(
    dir: &Path,
    ext: &str,
    attempts: u32,
    next_n: &mut dyn FnMut() -> u64,
) -> Result<String, PlaceholderError> {
    let suffix = sanitise(ext);
    let date = local_date(crate::db::now());
    for _ in 0..attempts {
        let name = file_name(&date, next_n(), &suffix);
        let path = directly_inside(dir, &name)?;
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                file.sync_all().map_err(PlaceholderError::Io)?;
                sync_dir(dir);
                return Ok(name);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(PlaceholderError::Io(e)),
        }
    }
    Err(PlaceholderError::Exhausted)
}

fn file_name(date: &str, n: u64, suffix: &str) -> String {
    if suffix.is_empty() {
        format!("{date}_{n}")
    } else {
        format!("{date}_{n}.{suffix}")
    }
}

/// `dir/name` when `name` is one normal component of `[A-Za-z0-9_.-]`, else an error.
fn directly_inside(dir: &Path, name: &str) -> Result<PathBuf, PlaceholderError> {
    let path = dir.join(name);
    let safe_chars = name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    let mut components = Path::new(name).components();
    let one_normal = matches!((components.next(), components.next()), (Some(Component::Normal(_)), None));
    if safe_chars && one_normal && path.parent() == Some(dir) {
        Ok(path)
    } else {
        Err(PlaceholderError::Outside(path))
    }
}

/// Makes a new directory entry durable; failures (some file systems refuse) are only logged.
pub fn sync_dir(dir: &Path) {
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        log::debug!("cannot fsync directory {}: {e}", dir.display());
    }
}

// merge: replace with safe_path::… (generated-name helpers) once the edits branch lands.
/// µs since the epoch mod 10¹⁰, strictly increasing within this process so that two requests
/// in the same microsecond do not waste attempts on each other.
fn sequence_number() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last.saturating_add(1));
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next % N_MODULUS,
            Err(seen) => last = seen,
        }
    }
}

// merge: replace with safe_path::… (generated-name helpers) once the edits branch lands.
/// The server's local date `YYYY-MM-DD` at `secs` since the epoch.
fn local_date(secs: i64) -> String {
    let time = secs as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&time, &mut tm).is_null() };
    if !ok {
        return "1970-01-01".to_string();
    }
    format!("{:04}-{:02}-{:02}", i64::from(tm.tm_year) + 1900, tm.tm_mon + 1, tm.tm_mday)
}

// merge: replace with safe_path::sanitise (the full §3.7 sanitiser) once the edits branch lands.
/// Protocol §3.7 S(x). NFKD is approximated by folding Latin-1/Latin Extended-A letters to their
/// base letter and full-width ASCII to ASCII; every other non-ASCII character is dropped. The
/// result only ever contains `[A-Za-z0-9_.-]` (exact names are invisible to clients).
fn sanitise(text: &str) -> String {
    let ascii: String = text.chars().filter_map(fold_to_ascii).collect();
    let spaced = ascii.replace(['/', '\\'], " ");
    let joined = spaced.split_whitespace().collect::<Vec<_>>().join("_");
    let kept: String = joined.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).collect();
    kept.trim_matches(['.', '_']).to_string()
}

fn fold_to_ascii(c: char) -> Option<char> {
    const LATIN1: &str = "AAAAAA CEEEEIIII NOOOOO  UUUUY  aaaaaa ceeeeiiii nooooo  uuuuy y";
    match c {
        _ if c.is_ascii() => Some(c),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21),
        '\u{3000}' | '\u{00A0}' => Some(' '),
        '\u{00C0}'..='\u{00FF}' => LATIN1.chars().nth(c as usize - 0xC0).filter(|f| *f != ' '),
        '\u{0100}'..='\u{017F}' => latin_extended_a(c),
        _ => None,
    }
}

fn latin_extended_a(c: char) -> Option<char> {
    // Checked against Python's unicodedata NFKD. Letters without a decomposition (Đ, Ħ, ı, ĸ, Ł,
    // Ŋ, Œ, Ŧ) are blanks: NFKD keeps them non-ASCII, so S drops them. The ligature Ĳ (NFKD "IJ")
    // is dropped too — the one simplification of this table.
    const BASES: &str = concat!(
        "AaAaAaCcCcCcCcDd", "  EeEeEeEeEeGgGg", "GgGgHh  IiIiIiIi", "I   JjKk LlLlLlL",
        "l  NnNnNnn  OoOo", "Oo  RrRrRrSsSsSs", "SsTtTt  UuUuUuUu", "UuUuWwYyYZzZzZzs",
    );
    BASES.chars().nth(c as usize - 0x100).filter(|f| *f != ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sanitiser_follows_the_protocol_examples() {
        assert_eq!(sanitise("My Photos"), "My_Photos");
        assert_eq!(sanitise("../x"), "x");
        assert_eq!(sanitise("café"), "cafe");
        assert_eq!(sanitise("照片"), "");
        assert_eq!(sanitise(".mp4"), "mp4");
        assert_eq!(sanitise("/etc/passwd"), "etc_passwd");
        assert_eq!(sanitise("a\0b"), "ab");
        assert_eq!(sanitise("..\\..\\x"), "x");
        assert_eq!(sanitise("ＭＯＶ"), "MOV");
        assert_eq!(sanitise("Łódź"), "odz", "Ł has no decomposition");
        assert_eq!(sanitise("Ærø"), "r");
    }

    #[test]
    fn the_date_has_the_protocol_shape() {
        let date = local_date(1_500_000_000);
        assert_eq!(date.len(), 10);
        assert!(date.starts_with("2017-07-1"), "{date}");
    }

    #[test]
    fn sequence_numbers_are_below_ten_to_the_tenth_and_never_repeat() {
        let a = sequence_number();
        let b = sequence_number();
        assert!(a < N_MODULUS && b < N_MODULUS);
        assert_ne!(a, b);
    }

    #[test]
    fn hostile_extensions_never_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        for ext in ["../../x", "/etc/passwd", "a\0b", "..", "", "照片", "x/../../y"] {
            let name = create(dir.path(), ext).unwrap();
            assert!(dir.path().join(&name).is_file(), "{ext:?} → {name}");
            assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 7);
    }

    #[test]
    fn collisions_are_retried_a_bounded_number_of_times() {
        let dir = tempfile::tempdir().unwrap();
        let date = local_date(crate::db::now());
        std::fs::write(dir.path().join(format!("{date}_42.mp4")), b"").unwrap();
        let mut always_42 = || 42;
        assert!(matches!(create_with(dir.path(), "mp4", 100, &mut always_42), Err(PlaceholderError::Exhausted)));
        let mut counter = 41;
        let mut next = || {
            counter += 1;
            counter
        };
        assert_eq!(create_with(dir.path(), "mp4", 100, &mut next).unwrap(), format!("{date}_43.mp4"));
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_retry_loop() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        assert!(matches!(create(&missing, "jpg"), Err(PlaceholderError::Io(_))));
    }

    #[test]
    fn only_single_safe_components_count_as_inside() {
        let dir = Path::new("/srv/media");
        assert!(directly_inside(dir, "2017-07-14_1.mp4").is_ok());
        for bad in ["..", "a/b", "/etc", "a b", ""] {
            assert!(directly_inside(dir, bad).is_err(), "{bad:?}");
        }
    }
}
