//! Request parameters and their value types (protocol §1.3–1.5). Parameters come either from a
//! JSON object body alone, or from the query string plus a form body (query wins, first
//! occurrence wins). Every typed getter answers None for "absent or invalid", which is all §1.5
//! needs: the caller substitutes its default or fails with -10003. Reading the body is not done
//! here (see `request`); this module only interprets text.

use super::percent;
use crate::model::{file_type, status};
use crate::numbers::{number_as_int, parse_int};
use miniserde::json::{Number, Object, Value};

/// Timestamps must lie in years 1–9999 (protocol §1.4).
const TIMESTAMP_RANGE: std::ops::RangeInclusive<f64> = -62135596800.0..=253402300799.0;

pub enum Params {
    /// Query string and form fields, in priority order (query first).
    Pairs(Vec<(String, String)>),
    /// A JSON body; None when it was not valid JSON or not an object (every lookup fails).
    Json(Option<Object>),
}

/// One raw parameter value before typing.
enum Raw<'a> {
    Text(&'a str),
    Json(&'a Value),
}

impl Params {
    fn raw(&self, name: &str) -> Option<Raw<'_>> {
        match self {
            Params::Pairs(pairs) => pairs.iter().find(|(k, _)| k == name).map(|(_, v)| Raw::Text(v)),
            Params::Json(object) => match object.as_ref()?.get(name)? {
                Value::Null => None,
                value => Some(Raw::Json(value)),
            },
        }
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        match self.raw(name)? {
            Raw::Text(text) => parse_int(text),
            Raw::Json(Value::Number(n)) => number_as_int(n),
            Raw::Json(Value::String(text)) => parse_int(text),
            Raw::Json(Value::Bool(b)) => Some(i64::from(*b)),
            Raw::Json(_) => None,
        }
    }

    /// A comma-separated list of ints (a JSON integer or array of integers is also accepted).
    pub fn int_list(&self, name: &str) -> Option<Vec<i64>> {
        match self.raw(name)? {
            Raw::Text(text) => parse_int_list(text),
            Raw::Json(Value::String(text)) => parse_int_list(text),
            Raw::Json(Value::Number(Number::I64(n))) => Some(vec![*n]),
            Raw::Json(Value::Number(Number::U64(n))) => Some(vec![i64::try_from(*n).ok()?]),
            Raw::Json(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Value::Number(Number::I64(n)) => Some(*n),
                    Value::Number(Number::U64(n)) => i64::try_from(*n).ok(),
                    _ => None,
                })
                .collect(),
            Raw::Json(_) => None,
        }
    }

    /// Seconds since the epoch, truncated toward zero, within years 1–9999.
    pub fn timestamp(&self, name: &str) -> Option<i64> {
        let value = self.number(name)?;
        TIMESTAMP_RANGE.contains(&value).then_some(value.trunc() as i64)
    }

    /// A finite float.
    pub fn float(&self, name: &str) -> Option<f64> {
        self.number(name)
    }

    fn number(&self, name: &str) -> Option<f64> {
        let value = match self.raw(name)? {
            Raw::Text(text) => parse_float(text)?,
            Raw::Json(Value::String(text)) => parse_float(text)?,
            Raw::Json(Value::Number(Number::I64(n))) => *n as f64,
            Raw::Json(Value::Number(Number::U64(n))) => *n as f64,
            Raw::Json(Value::Number(Number::F64(f))) => *f,
            Raw::Json(_) => return None,
        };
        value.is_finite().then_some(value)
    }

    /// A string as given (JSON numbers and booleans become their text).
    pub fn string(&self, name: &str) -> Option<String> {
        match self.raw(name)? {
            Raw::Text(text) => Some(text.to_string()),
            Raw::Json(Value::String(text)) => Some(text.clone()),
            Raw::Json(Value::Number(n)) => Some(n.to_string()),
            Raw::Json(Value::Bool(b)) => Some(b.to_string()),
            Raw::Json(_) => None,
        }
    }

    /// A string of `min..=max` Unicode code points.
    pub fn string_of_length(&self, name: &str, min: usize, max: usize) -> Option<String> {
        self.string(name).filter(|s| (min..=max).contains(&s.chars().count()))
    }

    /// *fileType*: an int that is one of 1, 2, 4, 8, 16.
    pub fn file_type(&self, name: &str) -> Option<i64> {
        self.int(name).filter(|t| file_type::ALL.contains(t))
    }

    /// *thumbStatusIn*: an int; 2 stays 2, every other integer becomes 0.
    pub fn thumb_status(&self, name: &str) -> Option<i64> {
        self.int(name).map(|value| if value == status::UPLOADING { status::UPLOADING } else { status::LOCAL })
    }
}

/// Text form of *intlist*: at least one piece, every piece a valid int.
pub fn parse_int_list(text: &str) -> Option<Vec<i64>> {
    text.split(',').map(parse_int).collect()
}

/// A finite decimal or float literal (no `nan`, `inf`, hex or underscores).
fn parse_float(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let valid = !trimmed.is_empty()
        && trimmed.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && trimmed.bytes().any(|b| b.is_ascii_digit());
    valid.then(|| trimmed.parse::<f64>().ok()).flatten().filter(|f| f.is_finite())
}

/// A JSON body's object; None when the text is not JSON or not an object.
pub fn json_object(text: &str) -> Option<Object> {
    match miniserde::json::from_str(text) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` text → pairs, percent-decoded with `+` as space.
pub fn parse_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (percent::decode(name, true), percent::decode(value, true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Params {
        Params::Pairs(parse_urlencoded(text))
    }

    fn json(text: &str) -> Params {
        Params::Json(json_object(text))
    }

    #[test]
    fn ints_follow_the_text_rules() {
        let p = pairs("a=+007&b=%20-3%20&c=&d=1.5&e=%D9%A3&f=99999999999999999999&g=0x1");
        assert_eq!(p.int("a"), Some(7));
        assert_eq!(p.int("b"), Some(-3));
        for name in ["c", "d", "e", "f", "g", "missing"] {
            assert_eq!(p.int(name), None, "{name}");
        }
    }

    #[test]
    fn json_ints_truncate_fractions_and_read_strings_and_booleans() {
        let p = json(r#"{"a": 3.9, "b": "12", "c": true, "d": [1], "e": null, "f": -2.5}"#);
        assert_eq!(p.int("a"), Some(3));
        assert_eq!(p.int("b"), Some(12));
        assert_eq!(p.int("c"), Some(1));
        assert_eq!(p.int("d"), None);
        assert_eq!(p.int("e"), None);
        assert_eq!(p.int("f"), Some(-2));
    }

    #[test]
    fn broken_json_fails_every_lookup() {
        let p = json("{nope");
        assert_eq!(p.string("a"), None);
        assert_eq!(json("[1,2]").int("a"), None);
    }

    #[test]
    fn int_lists_reject_empty_pieces_and_accept_json_arrays() {
        let p = pairs("a=1,%202%20,-1&b=&c=1,,2&d=1,2,&e=%D9%A3");
        assert_eq!(p.int_list("a"), Some(vec![1, 2, -1]));
        for name in ["b", "c", "d", "e"] {
            assert_eq!(p.int_list(name), None, "{name}");
        }
        let p = json(r#"{"a": "3,4", "b": 5, "c": [6, 7], "d": [], "e": ["1"]}"#);
        assert_eq!(p.int_list("a"), Some(vec![3, 4]));
        assert_eq!(p.int_list("b"), Some(vec![5]));
        assert_eq!(p.int_list("c"), Some(vec![6, 7]));
        assert_eq!(p.int_list("d"), None);
        assert_eq!(p.int_list("e"), None);
    }

    #[test]
    fn timestamps_truncate_and_stay_within_years_1_to_9999() {
        let p = pairs("a=1492571204.7&b=1.49e9&c=nan&d=inf&e=253402300800&f=-1.5&g=abc");
        assert_eq!(p.timestamp("a"), Some(1492571204));
        assert_eq!(p.timestamp("b"), Some(1490000000));
        assert_eq!(p.timestamp("f"), Some(-1));
        for name in ["c", "d", "e", "g"] {
            assert_eq!(p.timestamp(name), None, "{name}");
        }
        assert_eq!(json(r#"{"t": "12.5", "u": 7}"#).timestamp("t"), Some(12));
    }

    #[test]
    fn strings_keep_empty_values_and_count_code_points() {
        let p = pairs("a=&b=caf%C3%A9&c=a+b");
        assert_eq!(p.string("a"), Some(String::new()));
        assert_eq!(p.string_of_length("b", 1, 4), Some("café".to_string()));
        assert_eq!(p.string_of_length("a", 1, 4), None);
        assert_eq!(p.string("c"), Some("a b".to_string()));
        let p = json(r#"{"n": 5, "o": {"x": 1}}"#);
        assert_eq!(p.string("n"), Some("5".to_string()));
        assert_eq!(p.string("o"), None);
    }

    #[test]
    fn file_types_are_the_five_single_values_and_thumb_statuses_are_2_or_0() {
        let p = pairs("a=4&b=3&c=16&d=x&s=2&t=1&u=3&v=-7&w=two");
        assert_eq!(
            (p.file_type("a"), p.file_type("b"), p.file_type("c"), p.file_type("d")),
            (Some(4), None, Some(16), None)
        );
        assert_eq!((p.thumb_status("s"), p.thumb_status("t"), p.thumb_status("u")), (Some(2), Some(0), Some(0)));
        assert_eq!((p.thumb_status("v"), p.thumb_status("w"), p.thumb_status("none")), (Some(0), None, None));
    }

    #[test]
    fn the_first_occurrence_of_a_name_wins() {
        assert_eq!(pairs("a=1&a=2").int("a"), Some(1));
    }

    #[test]
    fn percent_decoding_leaves_broken_escapes_alone() {
        assert_eq!(percent::decode("%41%4a%zz%4", true), "AJ%zz%4");
    }
}
