//! The one place where text from clients becomes part of a path (design habit 7, protocol §3.7):
//! the name sanitiser S(x), `child_of` (a single normal component, checked to lie directly inside
//! its parent), the server-generated names `S(name)_<date>_<n>` and `<date>_<n>.<ext>` with a
//! bounded exclusive-create loop, and removal of a directory tree that never follows symbolic links.
//!
//! It deliberately does not decide *where* things go (callers pass a parent directory taken from
//! the database) and never touches the database. Unicode NFKD is not available without a crate, so
//! step 1 of S is approximated by `fold_char`: the Latin letters with diacritics of Latin-1 and
//! Latin Extended-A (à→a, é→e, ñ→n, ł→l …), a few letters NFKD would drop but that read naturally
//! in ASCII (ß→ss, ø→o, æ→ae, œ→oe, þ→th), the f-ligatures, full-width ASCII forms and the Unicode
//! spaces are mapped the way NFKD + "drop non-ASCII" would; every other non-ASCII character is
//! dropped. Names are never shown to clients, so this only has to give safe, readable names.
//! The date in generated names is the server's **local** date (UTC if the local time is unknown).

use crate::clock;
use crate::error::ApiError;
use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};

/// How often a generated name is tried before giving up (protocol §3.7, D11).
pub const CREATE_ATTEMPTS: u32 = 100;
/// Longest sanitised stem used in a generated name, so the whole name stays below NAME_MAX (255).
const MAX_STEM: usize = 200;
/// N = microseconds since the epoch modulo 10¹⁰.
const SEQUENCE_MODULUS: u128 = 10_000_000_000;

/// Latin Extended-A (U+0100–U+017F) folded to one ASCII letter each; Ĳ ĳ Œ œ are handled apart.
const LATIN_EXTENDED_A: &[u8; 128] = b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/// The sanitiser S(x) of protocol §3.7. The result consists only of `[A-Za-z0-9_.-]`, never
/// starts or ends with `.` or `_` (so it is never `.` or `..`), and may be empty.
pub fn sanitize(text: &str) -> String {
    let mut ascii = String::with_capacity(text.len());
    text.chars().for_each(|c| fold_char(c, &mut ascii));
    let spaced = ascii.replace(['/', '\\'], " ");
    let joined = spaced.split(is_split_space).filter(|piece| !piece.is_empty()).collect::<Vec<_>>().join("_");
    let kept: String = joined.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).collect();
    kept.trim_matches(['.', '_']).to_string()
}

/// The ASCII whitespace Python's `str.split()` splits on (the original's step 3).
fn is_split_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f')
}

/// Step 1 of S for one character: ASCII is kept, known letters are folded, the rest dropped.
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    let folded = match c {
        'À'..='Å' => "A",
        'Æ' => "AE",
        'Ç' => "C",
        'È'..='Ë' => "E",
        'Ì'..='Ï' => "I",
        'Ð' => "D",
        'Ñ' => "N",
        'Ò'..='Ö' | 'Ø' => "O",
        'Ù'..='Ü' => "U",
        'Ý' => "Y",
        'Þ' => "TH",
        'ß' => "ss",
        'à'..='å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è'..='ë' => "e",
        'ì'..='ï' => "i",
        'ð' => "d",
        'ñ' => "n",
        'ò'..='ö' | 'ø' => "o",
        'ù'..='ü' => "u",
        'ý' | 'ÿ' => "y",
        'þ' => "th",
        'Ĳ' => "IJ",
        'ĳ' => "ij",
        'Œ' => "OE",
        'œ' => "oe",
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        'ﬃ' => "ffi",
        'ﬄ' => "ffl",
        'ﬅ' | 'ﬆ' => "st",
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        '\u{100}'..='\u{17f}' => {
            out.push(char::from(LATIN_EXTENDED_A[c as usize - 0x100]));
            return;
        }
        '\u{ff01}'..='\u{ff5e}' => {
            // Full-width ASCII: NFKD maps U+FF01–U+FF5E to U+0021–U+007E.
            out.extend(char::from_u32(c as u32 - 0xfee0));
            return;
        }
        _ => "",
    };
    out.push_str(folded);
}

/// `parent/name` for a name that is exactly one normal path component (not empty, `.` or `..`,
/// no `/`, `\` or NUL, not absolute), verified to lie directly inside `parent`. Anything else is
/// refused with -102: callers pass sanitised or server-made names, so a refusal is a server bug
/// or a damaged database row, never something to "repair".
pub fn child_of(parent: &Path, name: &str) -> Result<PathBuf, ApiError> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    let mut components = Path::new(name).components();
    let single = matches!(components.next(), Some(Component::Normal(_))) && components.next().is_none();
    let path = parent.join(name);
    if plain && single && path.parent() == Some(parent) && path.file_name() == Some(OsStr::new(name)) {
        Ok(path)
    } else {
        log::error!("refused to build a path from {name:?} inside {}", parent.display());
        Err(ApiError::Data)
    }
}

/// A server-generated name (protocol §3.7). With a prefix (catalog directories):
/// `S(prefix)_<YYYY-MM-DD>_<N>` (`_<date>_<N>` when S(prefix) is empty). Without one (upload
/// placeholders): `<YYYY-MM-DD>_<N>` followed by `.S(ext)` when S(ext) is not empty. The date is
/// the server's local date; N is microseconds since the epoch modulo 10¹⁰. Prefer
/// `create_unique`, which retries on collisions.
#[cfg(test)]
pub fn generated_name(prefix: Option<&str>, ext: &str) -> String {
    let (date, n) = stamp();
    name_from(prefix, ext, &date, n)
}

/// Creates a fresh generated name inside `parent` with `create` (e.g. `std::fs::create_dir`, or
/// `OpenOptions::new().write(true).create_new(true).open`), which must fail with `AlreadyExists`
/// when the name is taken. Collisions are retried with a fresh N, at most `CREATE_ATTEMPTS`
/// times; exhausting them or any other error gives -102. Returns the path and what `create` made.
pub fn create_unique<T>(
    parent: &Path,
    prefix: Option<&str>,
    ext: &str,
    mut create: impl FnMut(&Path) -> io::Result<T>,
) -> Result<(PathBuf, T), ApiError> {
    let mut last_n = None;
    for _ in 0..CREATE_ATTEMPTS {
        let (date, mut n) = stamp();
        if let Some(previous) = last_n.filter(|&p| n <= p) {
            n = (previous + 1) % SEQUENCE_MODULUS; // same microsecond as the failed try
        }
        last_n = Some(n);
        let path = child_of(parent, &name_from(prefix, ext, &date, n))?;
        match create(&path) {
            Ok(made) => return Ok((path, made)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                log::error!("cannot create {}: {e}", path.display());
                return Err(ApiError::Internal);
            }
        }
    }
    log::error!("no free generated name in {} after {CREATE_ATTEMPTS} attempts", parent.display());
    Err(ApiError::Internal)
}

/// S(text) cut to a length that leaves room for the date and sequence suffixes.
pub fn sanitized_stem(text: &str) -> String {
    let mut stem = sanitize(text);
    stem.truncate(MAX_STEM); // ASCII only, so any byte index is a char boundary
    stem.trim_end_matches(['.', '_']).to_string()
}

fn name_from(prefix: Option<&str>, ext: &str, date: &str, n: u128) -> String {
    match prefix {
        Some(prefix) => format!("{}_{date}_{n}", sanitized_stem(prefix)),
        None => {
            let ext = sanitize(ext);
            if ext.is_empty() {
                format!("{date}_{n}")
            } else {
                format!("{date}_{n}.{ext}")
            }
        }
    }
}

/// (local date, N) of the current instant.
fn stamp() -> (String, u128) {
    (clock::local_date(clock::now()), clock::now_micros() % SEQUENCE_MODULUS)
}

/// Removes `path` and everything beneath it without following symbolic links: a link (also at
/// the top) is unlinked, never descended into, so its target survives. The recursion is std's
/// `remove_dir_all`, which on Unix walks with `openat`/`unlinkat` and `O_NOFOLLOW` (lstat
/// semantics) and so also closes the race of a directory being swapped for a link between a
/// check and the descent, which a hand-written `symlink_metadata` walk cannot. A path that does
/// not exist is not an error.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    ignore_missing(result)
}

/// Removes one file (a link itself, never its target); a missing file is not an error.
pub fn remove_file_if_exists(path: &Path) -> io::Result<()> {
    ignore_missing(std::fs::remove_file(path))
}

fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests;
