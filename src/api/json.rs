//! A tiny JSON writer for the response envelope and the row objects. It keeps members in the
//! order the protocol lists them and omits NULL members, which a derive-based serializer cannot
//! promise. Parsing request bodies and config files is left to `miniserde`.

use crate::http::body_block;
use std::fmt::Write as _;

/// The text of a typical object (a file row is about 250 bytes).
const ROW_BYTES: usize = 256;

/// An empty String of at least `bytes` capacity, in the worker's spare body block when it fits.
fn text_with_capacity(bytes: usize) -> String {
    String::from_utf8(body_block::take(bytes)).unwrap_or_default() // an empty block: valid UTF-8
}

/// Builds one JSON object (or an array of them) into a String.
#[derive(Default)]
pub struct JsonObject {
    text: String,
    members: usize,
}

impl JsonObject {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An object expected to take about `bytes` of text: one allocation instead of a series of
    /// doublings, each a copy.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut text = text_with_capacity(bytes.max(ROW_BYTES));
        text.push('{');
        JsonObject { text, members: 0 }
    }

    fn key(&mut self, key: &str) {
        if self.members > 0 {
            self.text.push_str(", ");
        }
        self.members += 1;
        write_string(&mut self.text, key);
        self.text.push_str(": ");
    }

    pub fn int(mut self, key: &str, value: i64) -> Self {
        self.key(key);
        write_int(&mut self.text, value);
        self
    }

    /// A float member; non-finite values cannot be represented in JSON and are omitted.
    pub fn float(mut self, key: &str, value: f64) -> Self {
        if value.is_finite() {
            self.key(key);
            write_float(&mut self.text, value);
        }
        self
    }

    pub fn string(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        write_string(&mut self.text, value);
        self
    }

    /// A member whose value is an object built in place by `fill`.
    pub fn object(mut self, key: &str, fill: impl FnOnce(JsonObject) -> JsonObject) -> Self {
        self.key(key);
        let mut inner = JsonObject { text: std::mem::take(&mut self.text), members: 0 };
        inner.text.push('{');
        self.text = fill(inner).finish();
        self
    }

    /// A member whose value is an array of already-encoded JSON values, written in place.
    pub fn array<I: IntoIterator<Item = String>>(mut self, key: &str, items: I) -> Self {
        self.key(key);
        write_array(&mut self.text, items);
        self
    }

    /// A member whose value is already JSON text.
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.text.push_str(json);
        self
    }

    pub fn opt_int(self, key: &str, value: Option<i64>) -> Self {
        match value {
            Some(v) => self.int(key, v),
            None => self,
        }
    }

    pub fn opt_float(self, key: &str, value: Option<f64>) -> Self {
        match value {
            Some(v) => self.float(key, v),
            None => self,
        }
    }

    pub fn opt_string(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.string(key, v),
            None => self,
        }
    }

    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// Joins already-encoded JSON values into an array.
pub fn array<I: IntoIterator<Item = String>>(items: I) -> String {
    let items: Vec<String> = items.into_iter().collect();
    let mut text = String::with_capacity(2 + items.iter().map(|item| item.len() + 2).sum::<usize>());
    write_array(&mut text, items);
    text
}

fn write_array<I: IntoIterator<Item = String>>(out: &mut String, items: I) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item);
    }
    out.push(']');
}

/// `value` in decimal, without the machinery of `write!` through core::fmt.
fn write_int(out: &mut String, value: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// A JSON string literal.
pub fn string(value: &str) -> String {
    let mut text = String::with_capacity(value.len() + 2);
    write_string(&mut text, value);
    text
}

fn write_float(out: &mut String, value: f64) {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let _ = write!(out, "{value:.1}");
    } else {
        let _ = write!(out, "{value}");
    }
}

fn write_string(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    // 0xE2 starts U+2028 and U+2029; most names have nothing to escape and are copied whole.
    if !value.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\' || b == 0xE2) {
        out.push_str(value);
        out.push('"');
        return;
    }
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_order_and_nulls_are_omitted() {
        let text = JsonObject::new()
            .int("code", 0)
            .opt_string("msg", None)
            .string("name", "a\"b\\c\n\u{1}é")
            .opt_float("duration", Some(2.5))
            .float("whole", 3.0)
            .float("nan", f64::NAN)
            .finish();
        assert_eq!(text, r#"{"code": 0, "name": "a\"b\\c\n\u0001é", "duration": 2.5, "whole": 3.0}"#);
    }

    #[test]
    fn integers_are_written_in_decimal_at_both_extremes() {
        for value in [0, 7, -7, 10, 1_700_000_000, i64::MAX, i64::MIN] {
            assert_eq!(JsonObject::new().int("n", value).finish(), format!("{{\"n\": {value}}}"));
        }
    }

    #[test]
    fn line_separators_are_escaped_and_other_text_is_kept() {
        assert_eq!(string("a\u{2028}b\u{2029}"), r#""a\u2028b\u2029""#);
        assert_eq!(string("Ünïcödé € 写真"), "\"Ünïcödé € 写真\"");
    }

    #[test]
    fn objects_and_arrays_are_written_in_place_into_their_parent() {
        let text = JsonObject::new()
            .int("code", 0)
            .object("data", |data| {
                data.array("list", vec!["1".to_string(), string("x")])
                    .array("none", Vec::new())
                    .object("page", |p| p.int("n", 2))
            })
            .finish();
        assert_eq!(text, r#"{"code": 0, "data": {"list": [1, "x"], "none": [], "page": {"n": 2}}}"#);
    }

    #[test]
    fn arrays_join_encoded_values() {
        assert_eq!(array(vec!["1".to_string(), string("x")]), r#"[1, "x"]"#);
        assert_eq!(array(Vec::<String>::new()), "[]");
    }
}
