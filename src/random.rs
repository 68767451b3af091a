//! Random secrets from the kernel's CSPRNG: session tokens, share keys, salts, and the unique
//! part of temporary file names. Nothing else in iSync makes random values.

use std::io::Read;

/// `N` bytes from /dev/urandom. Panics only if the kernel's generator is unreadable, which
/// leaves no safe way to mint secrets at all.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("the kernel random generator /dev/urandom must be readable");
    bytes
}

/// `N` random bytes as 2·N lowercase hex characters.
pub fn hex_token<const N: usize>() -> String {
    hex(&bytes::<N>())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(DIGITS[(b >> 4) as usize] as char);
        text.push(DIGITS[(b & 15) as usize] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercase_hex_of_twice_their_bytes_and_differ() {
        let (a, b) = (hex_token::<16>(), hex_token::<16>());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert_eq!(hex_token::<32>().len(), 64);
    }
}
