//! The one clock: Unix time in seconds (what the database stores and sessions expire by), in
//! microseconds (the sequence of generated file names), the server's local calendar date, HTTP
//! dates, and the Unix time of a wall-clock reading (what cameras write). Everything that asks
//! "what time is it" asks here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn since_epoch() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Whole seconds since the Unix epoch.
pub fn now() -> i64 {
    since_epoch().as_secs() as i64
}

/// The same instant as `now`, unsigned, for the in-memory expiry of sessions and share links.
pub fn unix_now() -> u64 {
    since_epoch().as_secs()
}

/// Microseconds since the Unix epoch.
pub fn now_micros() -> u128 {
    since_epoch().as_micros()
}

/// RFC 9110 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) of Unix seconds; times before the
/// epoch are written as the epoch.
pub fn http_date(unix_seconds: i64) -> String {
    let seconds = u64::try_from(unix_seconds).unwrap_or(0);
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// RFC 3339 in UTC (`1994-11-06T08:49:37Z`), as WebDAV's `creationdate` is written.
pub fn rfc3339_utc(unix_seconds: i64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(86_400));
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// Unix seconds of an HTTP date (any of RFC 9110's three forms).
pub fn parse_http_date(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// `YYYY-MM-DD` of `unix_seconds` in the server's time zone, or in UTC if that is unknown.
pub fn local_date(unix_seconds: i64) -> String {
    let time = unix_seconds as _; // libc's time_t: 32 bits on 32-bit musl targets
                                  // SAFETY: an all-zero `tm` is a valid value (integers and a null zone pointer), and
                                  // localtime_r only writes into the `tm` we own; both pointers live across the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let converted = unsafe { !libc::localtime_r(&time, &mut tm).is_null() };
    if converted {
        format!("{:04}-{:02}-{:02}", i64::from(tm.tm_year) + 1900, tm.tm_mon + 1, tm.tm_mday)
    } else {
        let (year, month, day) = civil_from_days(unix_seconds.div_euclid(86_400));
        format!("{year:04}-{month:02}-{day:02}")
    }
}

/// A calendar date and time of day as a camera or a file name writes it, without a zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WallClock {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl WallClock {
    /// The reading, if it names a real instant (years 1900–2200, a day that month has).
    pub fn new(date: (i64, i64, i64), time: (i64, i64, i64)) -> Option<WallClock> {
        let ((year, month, day), (hour, minute, second)) = (date, time);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        let valid = (1900..=2200).contains(&year)
            && (1..=days_in_month).contains(&day)
            && (0..24).contains(&hour)
            && (0..60).contains(&minute)
            && (0..61).contains(&second);
        valid.then_some(WallClock { year, month, day, hour, minute, second })
    }

    /// Unix seconds of the reading taken `offset_minutes` east of UTC.
    pub fn at_offset(self, offset_minutes: i64) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400 + self.hour * 3600 + self.minute * 60 + self.second - offset_minutes * 60
    }

    /// Unix seconds of the reading in the server's time zone (as UTC when the zone is unknown
    /// or the instant does not fit the C library's time_t).
    pub fn local(self) -> i64 {
        // SAFETY: an all-zero `tm` is a valid value; mktime only reads and normalises the `tm`
        // we own.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let field = |v: i64| libc::c_int::try_from(v).unwrap_or(0);
        (tm.tm_year, tm.tm_mon, tm.tm_mday) = (field(self.year - 1900), field(self.month - 1), field(self.day));
        (tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_isdst) =
            (field(self.hour), field(self.minute), field(self.second), -1);
        let converted = unsafe { libc::mktime(&mut tm) };
        #[allow(clippy::useless_conversion)] // time_t is 32 bits on 32-bit musl targets
        let converted = i64::from(converted);
        if converted == -1 {
            self.at_offset(0)
        } else {
            converted
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_and_http_dates_round_the_same_instant() {
        assert_eq!(super::rfc3339_utc(784_111_777), "1994-11-06T08:49:37Z");
        assert_eq!(super::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(super::parse_http_date("yesterday"), None);
    }

    use super::*;

    #[test]
    fn http_dates_are_imf_fixdate() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(1_709_251_199), "Thu, 29 Feb 2024 23:59:59 GMT");
    }

    #[test]
    fn calendar_days_count_from_the_epoch_across_leap_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for days in [-800_000, -1, 0, 19_782, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn a_wall_clock_reading_is_a_real_date_and_counts_from_its_offset() {
        let reading = WallClock::new((2023, 5, 14), (10, 15, 0)).expect("a real date");
        assert_eq!(reading.at_offset(0), 1_684_059_300);
        assert_eq!(reading.at_offset(120), 1_684_059_300 - 7200, "10:15 at +02:00 is 08:15 UTC");
        assert!(WallClock::new((2023, 2, 29), (0, 0, 0)).is_none(), "2023 is not a leap year");
        assert!(WallClock::new((2024, 2, 29), (23, 59, 59)).is_some());
        assert!(WallClock::new((2023, 13, 1), (0, 0, 0)).is_none());
        assert!(WallClock::new((2023, 5, 14), (24, 0, 0)).is_none());
        assert!(WallClock::new((1899, 12, 31), (0, 0, 0)).is_none());
    }
}
