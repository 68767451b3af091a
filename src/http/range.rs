//! HTTP `Range` header → the byte window to send (protocol §6.1). Pure and exhaustively unit
//! tested; it knows nothing about files or responses. Only single `bytes` ranges are honoured:
//! anything malformed, another unit, or several ranges means "send the whole file".

/// What to send for a file of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// No usable Range header: 200 with the whole file.
    Whole,
    /// A satisfiable single range: 206 with bytes `first..=last`.
    Part { first: u64, last: u64 },
    /// A well-formed range that cannot be satisfied: 416 with `bytes */size`.
    Unsatisfiable,
}

/// Interprets the value of a `Range` header for a file of `size` bytes.
pub fn window(header: Option<&str>, size: u64) -> Window {
    let Some(header) = header else { return Window::Whole };
    let Some((unit, spec)) = header.trim().split_once('=') else { return Window::Whole };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Window::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else { return Window::Whole };
    let (start, end) = (start.trim(), end.trim());
    match (parse_digits(start), parse_digits(end)) {
        (Some(first), Some(last)) if first <= last => bounded(first, last, size),
        (Some(_), Some(_)) => Window::Whole,
        (Some(first), None) if end.is_empty() => bounded(first, u64::MAX, size),
        (None, Some(suffix)) if start.is_empty() => suffix_window(suffix, size),
        _ => Window::Whole,
    }
}

fn bounded(first: u64, last: u64, size: u64) -> Window {
    if first >= size {
        return Window::Unsatisfiable;
    }
    Window::Part { first, last: last.min(size - 1) }
}

fn suffix_window(suffix: u64, size: u64) -> Window {
    if suffix == 0 || size == 0 {
        return Window::Unsatisfiable;
    }
    Window::Part { first: size.saturating_sub(suffix), last: size - 1 }
}

/// ASCII digits only (no sign, no whitespace inside), fitting in u64.
fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(first: u64, last: u64) -> Window {
        Window::Part { first, last }
    }

    #[test]
    fn absent_or_malformed_headers_mean_the_whole_file() {
        for header in [
            None,
            Some(""),
            Some("bytes"),
            Some("bytes=abc"),
            Some("items=0-1"),
            Some("bytes=0-1,3-4"),
            Some("bytes=5-1"),
            Some("bytes=-"),
            Some("bytes=+1-2"),
            Some("bytes=1-2-3"),
            Some("bytes=٣-4"),
            Some("bytes=99999999999999999999999-"),
        ] {
            assert_eq!(window(header, 100), Window::Whole, "{header:?}");
        }
    }

    #[test]
    fn closed_range_is_clipped_to_the_file() {
        assert_eq!(window(Some("bytes=0-1"), 100), part(0, 1));
        assert_eq!(window(Some("bytes=10-1000"), 100), part(10, 99));
        assert_eq!(window(Some(" bytes = 2 - 3 "), 100), part(2, 3));
        assert_eq!(window(Some("BYTES=99-99"), 100), part(99, 99));
    }

    #[test]
    fn open_ended_range_runs_to_the_last_byte() {
        assert_eq!(window(Some("bytes=40-"), 100), part(40, 99));
    }

    #[test]
    fn suffix_range_takes_the_tail_and_may_exceed_the_size() {
        assert_eq!(window(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(window(Some("bytes=-1000"), 100), part(0, 99));
    }

    #[test]
    fn ranges_past_the_end_zero_suffix_and_empty_files_are_unsatisfiable() {
        assert_eq!(window(Some("bytes=100-"), 100), Window::Unsatisfiable);
        assert_eq!(window(Some("bytes=200-300"), 100), Window::Unsatisfiable);
        assert_eq!(window(Some("bytes=-0"), 100), Window::Unsatisfiable);
        assert_eq!(window(Some("bytes=0-"), 0), Window::Unsatisfiable);
        assert_eq!(window(Some("bytes=-5"), 0), Window::Unsatisfiable);
    }
}
