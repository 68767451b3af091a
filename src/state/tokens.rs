//! Tables of random tokens that stand for something for a while: login sessions (protocol §2.2,
//! a token → its user, 256-bit tokens in the `session` cookie, sliding `onlineTimeout`, a 31-day
//! absolute cap, capacity `onlineThreshold`) and share links (§6.2, a key → its file, 128-bit
//! keys, sliding `shareUrlTimeout`, capacity `shareUrlThreshold`). Memory only: a restart logs
//! everybody out and ends every share link. What a token stands for is re-checked by the caller
//! at each use (the user still exists, the file is still there).

use super::expiring::ExpiringMap;
use crate::random;
use std::sync::Mutex;

/// A login lives at most this long, however active.
const SESSION_MAX_AGE_SECONDS: u64 = 31 * 24 * 3600;

pub struct Tokens {
    map: Mutex<ExpiringMap<i64>>,
    /// 32 random bytes (64 hex characters) for sessions, 16 (32) for share keys.
    long: bool,
}

impl Tokens {
    /// Login sessions: token → user id.
    pub fn sessions(online_threshold: i64, online_timeout: i64) -> Tokens {
        let map = ExpiringMap::new(online_threshold, online_timeout, Some(SESSION_MAX_AGE_SECONDS));
        Tokens { map: Mutex::new(map), long: true }
    }

    /// Share links: key → file id.
    pub fn shares(share_url_threshold: i64, share_url_timeout: i64) -> Tokens {
        let map = ExpiringMap::new(share_url_threshold, share_url_timeout, None);
        Tokens { map: Mutex::new(map), long: false }
    }

    /// Mints a new token for `id`.
    pub fn create(&self, id: i64, now: u64) -> String {
        let token = if self.long { random::hex_token::<32>() } else { random::hex_token::<16>() };
        crate::sync::lock(&self.map).insert(token.clone(), id, now);
        token
    }

    /// What a live token stands for; a successful use refreshes its expiry.
    pub fn lookup(&self, token: &str, now: u64) -> Option<i64> {
        crate::sync::lock(&self.map).touch(token, now)
    }

    pub fn end(&self, token: &str) -> Option<i64> {
        crate::sync::lock(&self.map).remove(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_are_64_hex_chars_share_keys_32_and_both_map_to_their_id() {
        let sessions = Tokens::sessions(10, 60);
        let token = sessions.create(7, 0);
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.lookup(&token, 30), Some(7));
        assert_eq!(sessions.end(&token), Some(7));
        assert_eq!(sessions.lookup(&token, 30), None);
        let shares = Tokens::shares(10, 60);
        let key = shares.create(9, 0);
        assert_eq!(key.len(), 32);
        assert_eq!(shares.lookup(&key, 60), Some(9));
        assert_eq!(shares.lookup(&key, 121), None, "the use at 60 slid the expiry to 120");
    }

    #[test]
    fn sessions_end_after_31_days_however_active() {
        let sessions = Tokens::sessions(10, 3600);
        let token = sessions.create(1, 0);
        let mut now = 0;
        while now < SESSION_MAX_AGE_SECONDS {
            assert_eq!(sessions.lookup(&token, now), Some(1));
            now += 3000;
        }
        assert_eq!(sessions.lookup(&token, SESSION_MAX_AGE_SECONDS + 1), None);
    }
}
