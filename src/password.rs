//! Password hashing: PBKDF2-HMAC-SHA1, salted, 100 000 rounds. PBKDF2-SHA1 is what RFC 8018
//! and WPA2 use, needs nothing beyond the `sha1_smol` crate we already ship, and has published
//! test vectors (RFC 6070). It does not decide policy: who may log in is `api::account::login`'s business.

use crate::random::{self, hex};

const ROUNDS: u32 = 100_000;
const SCHEME: &str = "pbkdf2-sha1";
const BLOCK: usize = 64;

/// `pbkdf2-sha1$<rounds>$<salt hex>$<hash hex>` for a new random salt.
pub fn hash_password(password: &str) -> String {
    let salt = random::bytes::<16>();
    let hash = pbkdf2_sha1(password.as_bytes(), &salt, ROUNDS);
    format!("{SCHEME}${ROUNDS}${}${}", hex(&salt), hex(&hash))
}

/// True when `stored` is in our hash format (anything else in an adopted database is plaintext).
pub fn is_hashed(stored: &str) -> bool {
    parse(stored).is_some()
}

/// Checks `password` against the stored hash of a user, or against a hash of nothing when there
/// is no such user or no password: a refusal takes as long whether or not the user exists.
pub fn verify_or_waste_time(password: &str, stored: Option<&str>) -> bool {
    static NOBODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match stored {
        Some(stored) if is_hashed(stored) => verify_password(password, stored),
        _ => {
            verify_password(password, NOBODY.get_or_init(|| hash_password("")));
            false
        }
    }
}

/// Constant-time check of `password` against a stored hash; false for malformed values.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Some((rounds, salt, expected)) = parse(stored) else { return false };
    let actual = pbkdf2_sha1(password.as_bytes(), &salt, rounds);
    constant_time_eq(&actual, &expected)
}

fn parse(stored: &str) -> Option<(u32, Vec<u8>, Vec<u8>)> {
    let mut parts = stored.split('$');
    if parts.next()? != SCHEME {
        return None;
    }
    let rounds: u32 = parts.next()?.parse().ok().filter(|r| (1..=10_000_000).contains(r))?;
    let salt = unhex(parts.next()?)?;
    let hash = unhex(parts.next()?)?;
    (parts.next().is_none() && hash.len() == 20).then_some((rounds, salt, hash))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// PBKDF2-HMAC-SHA1 with a 20-byte output (one block).
fn pbkdf2_sha1(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 20] {
    let (inner, outer) = hmac_states(password);
    let mac = |data: &[&[u8]]| {
        let mut h = inner.clone();
        for d in data {
            h.update(d);
        }
        let mut o = outer.clone();
        o.update(&h.digest().bytes());
        o.digest().bytes()
    };
    let mut u = mac(&[salt, &1u32.to_be_bytes()]);
    let mut result = u;
    for _ in 1..rounds {
        u = mac(&[&u]);
        result.iter_mut().zip(u.iter()).for_each(|(r, x)| *r ^= x);
    }
    result
}

/// SHA-1 states after absorbing the HMAC inner and outer padded keys.
fn hmac_states(key: &[u8]) -> (sha1_smol::Sha1, sha1_smol::Sha1) {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..20].copy_from_slice(&sha1_smol::Sha1::from(key).digest().bytes());
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| {
        let mut s = sha1_smol::Sha1::new();
        s.update(&block.map(|b| b ^ byte));
        s
    };
    (pad(0x36), pad(0x5c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_rfc_6070_vectors() {
        assert_eq!(hex(&pbkdf2_sha1(b"password", b"salt", 1)), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
        assert_eq!(hex(&pbkdf2_sha1(b"password", b"salt", 4096)), "4b007901b765489abead49d926f721d065a429c1");
    }

    #[test]
    fn hashed_passwords_verify_and_reject_others() {
        let stored = hash_password("123");
        assert!(is_hashed(&stored));
        assert!(verify_password("123", &stored));
        assert!(!verify_password("1234", &stored));
        assert!(!verify_password("", &stored));
        assert_ne!(stored, hash_password("123"), "salts must differ");
    }

    #[test]
    fn plaintext_and_malformed_values_are_not_hashes() {
        for value in ["123", "", "pbkdf2-sha1$0$00$00", "pbkdf2-sha1$10$zz$00", "pbkdf2-sha1$10$00$0011"] {
            assert!(!is_hashed(value), "{value}");
            assert!(!verify_password(value, value));
        }
    }
}
