//! Login sessions (protocol §2.2): random 128-bit tokens carried in the `session` cookie, sliding
//! `onlineTimeout`, a 31-day absolute cap and LRU capacity `onlineThreshold`. Sessions live in
//! memory only; a restart logs everybody out and clients simply log in again. Which roots a
//! user sees is looked up per request in the database, not stored here.

use crate::expiring::ExpiringMap;
use crate::password::random_hex_128;
use std::sync::Mutex;

pub const COOKIE_NAME: &str = "session";
const MAX_AGE_SECONDS: u64 = 31 * 24 * 3600;

pub struct Sessions {
    map: Mutex<ExpiringMap<i64>>,
}

impl Sessions {
    pub fn new(online_threshold: i64, online_timeout: i64) -> Self {
        let map = ExpiringMap::new(online_threshold, online_timeout, Some(MAX_AGE_SECONDS));
        Sessions { map: Mutex::new(map) }
    }

    /// Starts a session for `user_id` and returns its token.
    pub fn create(&self, user_id: i64, now: u64) -> String {
        let token = random_hex_128() + &random_hex_128();
        self.lock().insert(token.clone(), user_id, now);
        token
    }

    /// The user of a live session, refreshing its activity.
    pub fn user_of(&self, token: &str, now: u64) -> Option<i64> {
        self.lock().touch(token, now)
    }

    pub fn end(&self, token: &str) -> Option<i64> {
        self.lock().remove(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ExpiringMap<i64>> {
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `Set-Cookie` value that starts a session.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly")
}

/// `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly")
}

/// The value of the `session` cookie in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| name.trim() == COOKIE_NAME)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        assert_eq!(token_from_cookie_header("a=1; session=abc; b=2"), Some("abc"));
        assert_eq!(token_from_cookie_header("sessionx=1"), None);
        assert_eq!(token_from_cookie_header("session="), None);
    }

    #[test]
    fn tokens_are_64_hex_chars_and_map_to_their_user() {
        let sessions = Sessions::new(10, 60);
        let token = sessions.create(7, 0);
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.user_of(&token, 30), Some(7));
        assert_eq!(sessions.end(&token), Some(7));
        assert_eq!(sessions.user_of(&token, 30), None);
    }
}
