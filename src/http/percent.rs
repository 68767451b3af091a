//! Percent-decoding (RFC 3986 §2.1), for query strings and form bodies (where `+` is a space)
//! and for RFC 5987 extended header values (where it is not). A `%` not followed by two hex
//! digits is kept as it is; invalid UTF-8 becomes U+FFFD.

/// Decodes `%XX` escapes, and `+` as a space when `plus_is_space`.
pub fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() && hex_pair(bytes[i + 1], bytes[i + 2]).is_some() => {
                out.extend(hex_pair(bytes[i + 1], bytes[i + 2]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn escapes_decode_and_broken_ones_stay() {
        assert_eq!(decode("a%20b+c", true), "a b c");
        assert_eq!(decode("a%20b+c", false), "a b+c");
        assert_eq!(decode("%E2%82%AC%", false), "€%");
        assert_eq!(decode("%zz%4", true), "%zz%4");
        assert_eq!(decode("%FF", false), "\u{FFFD}");
    }
}
