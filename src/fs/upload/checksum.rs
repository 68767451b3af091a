//! The `cm` check of `uploadFile.icc`: a streaming sha1 or md5 over a whole target file, fed
//! first with the part of the file that is kept (read once, in bounded chunks) and then with the
//! new bytes as they are written. Nothing here holds more than one chunk in memory.

use std::io::{self, Read};

/// The check methods a client may ask for (`cm`, ASCII case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Sha1,
    Md5,
}

impl Method {
    /// `sha1` / `md5` in any ASCII case; anything else means "no check".
    pub fn from_param(value: &str) -> Option<Method> {
        if value.eq_ignore_ascii_case("sha1") {
            Some(Method::Sha1)
        } else if value.eq_ignore_ascii_case("md5") {
            Some(Method::Md5)
        } else {
            None
        }
    }

    pub fn hasher(self) -> Hasher {
        match self {
            Method::Sha1 => Hasher::Sha1(sha1_smol::Sha1::new()),
            Method::Md5 => Hasher::Md5(md5::Context::new()),
        }
    }
}

pub enum Hasher {
    Sha1(sha1_smol::Sha1),
    Md5(md5::Context),
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Md5(h) => h.consume(bytes),
        }
    }

    /// Lowercase hex digest.
    pub fn hex(self) -> String {
        match self {
            Hasher::Sha1(h) => h.digest().to_string(),
            Hasher::Md5(h) => format!("{:x}", h.finalize()),
        }
    }

    /// Feeds exactly `len` bytes of `source` through `buf`; a short source is an error.
    pub fn update_from(&mut self, source: &mut impl Read, mut len: u64, buf: &mut [u8]) -> io::Result<()> {
        while len > 0 {
            let want = buf.len().min(usize::try_from(len).unwrap_or(usize::MAX));
            let n = match source.read(&mut buf[..want]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shorter than expected")),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.update(&buf[..n]);
            len -= n as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_methods_are_matched_case_insensitively_and_others_mean_none() {
        assert_eq!(Method::from_param("SHA1"), Some(Method::Sha1));
        assert_eq!(Method::from_param("Md5"), Some(Method::Md5));
        for other in ["", "sha256", "sha-1", " md5"] {
            assert_eq!(Method::from_param(other), None, "{other:?}");
        }
    }

    #[test]
    fn digests_are_lowercase_hex_of_known_vectors() {
        let mut sha1 = Method::Sha1.hasher();
        sha1.update(b"abc");
        assert_eq!(sha1.hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let mut md5 = Method::Md5.hasher();
        md5.update(b"abc");
        assert_eq!(md5.hex(), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn a_prefix_is_hashed_in_small_chunks_and_a_short_source_fails() {
        let mut hasher = Method::Sha1.hasher();
        let mut buf = [0u8; 2];
        hasher.update_from(&mut &b"abcdef"[..], 3, &mut buf).unwrap();
        assert_eq!(hasher.hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let mut hasher = Method::Md5.hasher();
        let short = hasher.update_from(&mut &b"ab"[..], 3, &mut buf);
        assert_eq!(short.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }
}
