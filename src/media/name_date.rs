//! Capture dates written in file names by cameras, phones and messengers, for files whose
//! content does not say when they were taken: `IMG_20230514_101500.jpg`, `PXL_20230514_101500123
//! .jpg`, `VID_20230514_101500.mp4`, `20230514_101500.jpg`, `IMG-20230514-WA0001.jpg` (a date
//! only), `Screenshot_2023-05-14-10-15-00.png`, `2023-05-14 10.15.00.jpg`. The reading is taken
//! in the server's time zone; a date without a time counts as noon, so that no zone moves it to
//! another day. Years outside 1990–2099 are not dates.

use crate::clock::WallClock;

/// The hour given to a date without a time of day.
const NOON: (i64, i64, i64) = (12, 0, 0);

/// Unix seconds of the capture date in the file name `name`, if it holds one.
pub fn taken_from_name(name: &str) -> Option<i64> {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let runs = digit_runs(stem);
    (0..runs.len()).find_map(|at| reading_at(&runs[at..])).map(WallClock::local)
}

/// A run of ASCII digits and the one character before the next run (None at the end, or when
/// more than one character separates them).
#[derive(Debug)]
struct Run<'a> {
    digits: &'a str,
    then: Option<char>,
}

fn digit_runs(text: &str) -> Vec<Run<'_>> {
    let mut runs = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let from = &rest[start..];
        let end = from.find(|c: char| !c.is_ascii_digit()).unwrap_or(from.len());
        let after = &from[end..];
        let mut chars = after.chars();
        let then = match (chars.next(), chars.next()) {
            (Some(c), Some(d)) if d.is_ascii_digit() => Some(c),
            _ => None,
        };
        runs.push(Run { digits: &from[..end], then });
        rest = after;
    }
    runs
}

/// The reading that starts at the first run: `YYYYMMDD` (with `HHMMSS…` in the same run or the
/// next), or `YYYY-MM-DD` in three runs (with `HH-MM-SS` or `HHMMSS` after).
fn reading_at(runs: &[Run]) -> Option<WallClock> {
    let first = runs.first()?;
    let joined = |run: &Run| run.then.is_some_and(|c| matches!(c, '_' | '-' | '.' | ' ' | 'T'));
    if first.digits.len() >= 8 {
        let date = date(first.digits)?;
        let time = match first.digits.len() {
            14.. => time(&first.digits[8..]),
            8 if joined(first) => runs.get(1).and_then(|next| time(next.digits)),
            _ => None,
        };
        return WallClock::new(date, time.unwrap_or(NOON));
    }
    let [year, month, day, rest @ ..] = runs else { return None };
    let split_date = year.digits.len() == 4 && month.digits.len() == 2 && day.digits.len() == 2;
    if !(split_date && joined(year) && joined(month)) {
        return None;
    }
    let date = (number(year.digits)?, number(month.digits)?, number(day.digits)?);
    if !(1990..=2099).contains(&date.0) {
        return None;
    }
    let time = match rest {
        [h, m, s, ..] if joined(day) && joined(h) && joined(m) && [h, m, s].iter().all(|r| r.digits.len() == 2) => {
            Some((number(h.digits)?, number(m.digits)?, number(s.digits)?))
        }
        [hms, ..] if joined(day) => time(hms.digits),
        _ => None,
    };
    WallClock::new(date, time.unwrap_or(NOON))
}

/// `YYYYMMDD` at the start of `digits`, with a year in 1990–2099.
fn date(digits: &str) -> Option<(i64, i64, i64)> {
    let date = (number(digits.get(..4)?)?, number(digits.get(4..6)?)?, number(digits.get(6..8)?)?);
    (1990..=2099).contains(&date.0).then_some(date)
}

/// `HHMMSS` at the start of `digits` (milliseconds may follow).
fn time(digits: &str) -> Option<(i64, i64, i64)> {
    Some((number(digits.get(..2)?)?, number(digits.get(2..4)?)?, number(digits.get(4..6)?)?))
}

fn number(digits: &str) -> Option<i64> {
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (date, time of day).
    type Reading = ((i64, i64, i64), (i64, i64, i64));

    /// The reading found in `name`.
    fn found(name: &str) -> Option<Reading> {
        let runs = digit_runs(name.rsplit_once('.').map_or(name, |(stem, _)| stem));
        let reading = (0..runs.len()).find_map(|at| reading_at(&runs[at..]))?;
        Some(((reading.year, reading.month, reading.day), (reading.hour, reading.minute, reading.second)))
    }

    #[test]
    fn camera_phone_and_messenger_names_give_their_dates() {
        let may_14 = (2023, 5, 14);
        for name in [
            "IMG_20230514_101500.jpg",
            "VID_20230514_101500.mp4",
            "PXL_20230514_101500123.jpg",
            "20230514_101500.jpg",
            "Screenshot_2023-05-14-10-15-00.png",
            "2023-05-14 10.15.00.jpg",
            "signal-2023-05-14-101500.jpg",
            "IMG_20230514101500.HEIC",
        ] {
            assert_eq!(found(name), Some((may_14, (10, 15, 0))), "{name}");
        }
        assert_eq!(found("IMG-20230514-WA0001.jpg"), Some((may_14, NOON)), "a date only is noon");
        assert_eq!(found("holiday 2023-05-14.jpg"), Some((may_14, NOON)));
    }

    #[test]
    fn names_without_a_real_date_give_none() {
        for name in [
            "IMG_1234.JPG",
            "DSC01234.jpg",
            "12345678.jpg",
            "IMG_20231314_101500.jpg",
            "photo_18990101.jpg",
            "2023-5-14.jpg",
            "a8f3e2d1c0b9.jpg",
            "IMG_20230230_101500.jpg",
            "",
        ] {
            assert_eq!(found(name), None, "{name}");
        }
        assert_eq!(found("IMG_20230514_256199.jpg"), None, "an impossible time rejects the reading");
    }

    #[test]
    fn the_reading_is_in_the_servers_zone() {
        let expected = WallClock::new((2023, 5, 14), (10, 15, 0)).unwrap().local();
        assert_eq!(taken_from_name("IMG_20230514_101500.jpg"), Some(expected));
    }
}
