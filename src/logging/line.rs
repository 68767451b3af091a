//! One log line, built whole before it is written: `<local RFC 3339 time> [<LEVEL>] <message>`
//! and a newline. The message is formatted into a bounded buffer — formatting stops once
//! MESSAGE_BYTES are used, so even a message built from a huge value costs no more than that —
//! and every control character in it (newlines, carriage returns, escape sequences) is written
//! as an escape, so the line is one line on a terminal and in the file, whatever it contains.

use std::fmt::{self, Write};

/// The most bytes of message a line carries; longer ones end in `…`.
pub const MESSAGE_BYTES: usize = 1000;

pub fn format(level: log::Level, args: &fmt::Arguments) -> String {
    let mut line = String::with_capacity(160);
    line.push_str(&crate::clock::local_timestamp());
    line.push_str(" [");
    line.push_str(level.as_str());
    line.push_str("] ");
    let mut message = Bounded { out: &mut line, left: MESSAGE_BYTES, cut: false };
    let _ = fmt::write(&mut message, *args); // an error only means the cap was reached
    if message.cut {
        line.push('…');
    }
    line.push('\n');
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

    fn message_of(line: &str) -> &str {
        line.split_once("] ").unwrap().1
    }

    #[test]
    fn a_line_has_a_time_a_level_and_the_message() {
        let line = format(log::Level::Warn, &format_args!("disk {} full", "/mnt"));
        assert!(line.ends_with(" [WARN] disk /mnt full\n"), "{line:?}");
        assert_eq!(&line[4..5], "-", "{line:?}");
        assert_eq!(line.matches('\n').count(), 1);
    }

    #[test]
    fn control_characters_are_escaped_so_a_message_stays_one_line() {
        let hostile = "a\nFAKE [ERROR] line\r\u{1b}[2J\u{9b}x\tz";
        let line = format(log::Level::Info, &format_args!("GET /{hostile} 404"));
        assert_eq!(message_of(&line), "GET /a\\nFAKE [ERROR] line\\r\\u{1b}[2J\\u{9b}x\\tz 404\n");
    }

    #[test]
    fn a_huge_message_is_cut_at_the_cap_on_a_character_boundary() {
        let path = format!("/{}", "é".repeat(60 * 1024));
        let line = format(log::Level::Info, &format_args!("GET {path} 404 0 1ms"));
        let message = message_of(&line);
        assert!(message.len() <= MESSAGE_BYTES + "…\n".len(), "{} bytes", message.len());
        assert!(message.ends_with("é…\n"), "{:?}", &message[message.len() - 10..]);
        let escapes = "\u{1}".repeat(10_000);
        let line = format(log::Level::Info, &format_args!("{escapes}"));
        assert!(message_of(&line).len() <= MESSAGE_BYTES + "…\n".len());
        assert!(message_of(&line).starts_with("\\u{1}\\u{1}"));
    }
}
