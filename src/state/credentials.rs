//! Verified WebDAV credentials, remembered for a short while: a WebDAV client sends its user
//! name and password with every request (HTTP Basic), and checking each against its PBKDF2 hash
//! would cost tens of milliseconds per PROPFIND. A pair that verified is kept here as a keyed
//! digest (SHA-1 of a per-process random key, the name and the password; never the password
//! itself) → its user, for at most `REMEMBER_SECONDS` from its verification, however busy; at
//! most `CAPACITY` pairs, the least recently used forgotten first. A password changed by the
//! operator (`isync setup`, another process) is therefore honoured within that time. Memory only.

use super::expiring::ExpiringMap;
use crate::random;
use std::sync::Mutex;

/// How long a verified pair is taken without checking its hash again.
const REMEMBER_SECONDS: u64 = 300;
/// How many verified pairs are remembered at once (a family's devices).
const CAPACITY: i64 = 64;

pub struct Credentials {
    verified: Mutex<ExpiringMap<i64>>,
    key: [u8; 32],
}

impl Default for Credentials {
    fn default() -> Self {
        let map = ExpiringMap::new(CAPACITY, REMEMBER_SECONDS as i64, Some(REMEMBER_SECONDS));
        Credentials { verified: Mutex::new(map), key: random::bytes::<32>() }
    }
}

impl Credentials {
    /// The user of a pair that verified less than `REMEMBER_SECONDS` ago.
    pub fn user_of(&self, name: &str, password: &str, now: u64) -> Option<i64> {
        let digest = self.digest(name, password);
        crate::sync::lock(&self.verified).touch(&digest, now)
    }

    /// Remembers that `name` and `password` verified as `user_id`.
    pub fn remember(&self, name: &str, password: &str, user_id: i64, now: u64) {
        let digest = self.digest(name, password);
        crate::sync::lock(&self.verified).insert(digest, user_id, now);
    }

    fn digest(&self, name: &str, password: &str) -> String {
        let mut hasher = sha1_smol::Sha1::new();
        hasher.update(&self.key);
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(password.as_bytes());
        hasher.digest().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_pair_is_known_until_its_time_is_up_and_no_other_pair_is() {
        let credentials = Credentials::default();
        credentials.remember("terry", "123", 7, 1000);
        assert_eq!(credentials.user_of("terry", "123", 1000 + REMEMBER_SECONDS), Some(7));
        assert_eq!(credentials.user_of("terry", "1234", 1000), None);
        assert_eq!(credentials.user_of("terr", "y123", 1000), None, "the name's length is part of the key");
        assert_eq!(credentials.user_of("terry", "123", 1001 + REMEMBER_SECONDS), None);
    }
}
