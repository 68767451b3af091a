//! The lenient integers of protocol §1.4, shared by request parameters and settings: text is
//! surrounding whitespace, an optional sign and ASCII digits that fit in i64; a JSON number is
//! taken when it is an integer or a finite float (truncated toward zero), a JSON string when
//! its text is such an integer (the original's setup script wrote numbers as strings).

use miniserde::json::{Number, Value};

/// Text form of *int*: surrounding whitespace, optional sign, ASCII digits, fits in i64.
pub fn parse_int(text: &str) -> Option<i64> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    trimmed.parse().ok()
}

/// A JSON number as an integer: exact integers, or finite floats truncated toward zero.
pub fn number_as_int(number: &Number) -> Option<i64> {
    match *number {
        Number::I64(n) => Some(n),
        Number::U64(n) => i64::try_from(n).ok(),
        Number::F64(f) if f.is_finite() && f.abs() < 9.2e18 => Some(f.trunc() as i64),
        Number::F64(_) => None,
    }
}

/// An integer from a JSON number or a string holding one.
pub fn int_of_json(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => number_as_int(n),
        Value::String(text) => parse_int(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ints_allow_a_sign_and_whitespace_but_nothing_else() {
        assert_eq!(parse_int(" +007 "), Some(7));
        assert_eq!(parse_int("-3"), Some(-3));
        for bad in ["", "+", "1.5", "0x1", "1_000", "99999999999999999999", "\u{663}"] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn json_numbers_and_numeric_strings_become_ints() {
        assert_eq!(int_of_json(&Value::Number(Number::F64(60.9))), Some(60));
        assert_eq!(int_of_json(&Value::Number(Number::F64(f64::NAN))), None);
        assert_eq!(int_of_json(&Value::String(" 500".into())), Some(500));
        assert_eq!(int_of_json(&Value::String("x".into())), None);
        assert_eq!(int_of_json(&Value::Bool(true)), None);
    }
}
