//! The message of one log line, built whole before simplelog writes it: formatted into a bounded
//! buffer — formatting stops once MESSAGE_BYTES are used, so even a message built from a huge
//! value costs no more than that — with every control character in it (newlines, carriage
//! returns, escape sequences) written as an escape, so the line is one line on a terminal and
//! in the file, whatever it contains.

use std::fmt::{self, Write};

/// The most bytes of message a line carries; longer ones end in `…`.
pub const MESSAGE_BYTES: usize = 1000;

pub fn message(args: &fmt::Arguments) -> String {
    let mut line = String::with_capacity(120);
    let mut message = Bounded { out: &mut line, left: MESSAGE_BYTES, cut: false };
    let _ = fmt::write(&mut message, *args); // an error only means the cap was reached
    if message.cut {
        line.push('…');
    }
    line
}

/// Appends escaped text to `out` until `left` bytes are used, then fails to stop formatting.
struct Bounded<'a> {
    out: &'a mut String,
    left: usize,
    cut: bool,
}

impl Write for Bounded<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for c in text.chars() {
            let before = self.out.len();
            if c.is_control() {
                let _ = write!(self.out, "{}", c.escape_debug());
            } else {
                self.out.push(c);
            }
            let used = self.out.len() - before;
            if used > self.left {
                self.out.truncate(before);
                self.cut = true;
                return Err(fmt::Error);
            }
            self.left -= used;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_so_a_message_stays_one_line() {
        let hostile = "a\nFAKE [ERROR] line\r\u{1b}[2J\u{9b}x\tz";
        let message = message(&format_args!("GET /{hostile} 404"));
        assert_eq!(message, "GET /a\\nFAKE [ERROR] line\\r\\u{1b}[2J\\u{9b}x\\tz 404");
    }

    #[test]
    fn a_huge_message_is_cut_at_the_cap_on_a_character_boundary() {
        let path = format!("/{}", "é".repeat(60 * 1024));
        let cut = message(&format_args!("GET {path} 404 0 1ms"));
        assert!(cut.len() <= MESSAGE_BYTES + "…".len(), "{} bytes", cut.len());
        assert!(cut.ends_with("é…"), "{:?}", &cut[cut.len() - 10..]);
        let escapes = "\u{1}".repeat(10_000);
        let cut = message(&format_args!("{escapes}"));
        assert!(cut.len() <= MESSAGE_BYTES + "…".len());
        assert!(cut.starts_with("\\u{1}\\u{1}"));
    }
}
