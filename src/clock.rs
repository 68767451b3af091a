//! The one clock: Unix time in seconds (what the database stores and sessions expire by), in
//! microseconds (the sequence of generated file names), the server's local calendar date, and
//! HTTP dates. Everything that asks "what time is it" asks here.

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
    }
}
