//! Slows password guessing (protocol §4.2 answers every refusal with -10000). Failed logins are
//! counted per client address and per user name; after FREE_FAILURES each further failure
//! blocks the key for twice as long as the one before (2 s, 4 s, 8 s … at most MAX_BLOCK;
//! time is counted in whole seconds, so a block is never shorter than one second).
//! A blocked address is refused without a password check. A blocked user name is refused only
//! to addresses that have failed themselves, so the family member on their own phone logs in
//! at once while someone else guesses their password. A success clears both keys; a key with
//! no failure for FORGET_AFTER is forgotten. Memory is bounded by CAPACITY keys.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const FREE_FAILURES: u32 = 5;
const MAX_BLOCK: u64 = 300;
const FORGET_AFTER: u64 = 15 * 60;
const CAPACITY: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    User(String),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last_failure: u64,
    blocked_until: u64,
}

#[derive(Default)]
pub struct LoginGuard {
    records: Mutex<HashMap<Key, Record>>,
}

impl LoginGuard {
    /// Whether a login of `user` from `address` may be checked now.
    pub fn allows(&self, address: Option<IpAddr>, user: &str, now: u64) -> bool {
        let records = crate::sync::lock(&self.records);
        let live = |key: &Key| records.get(key).filter(|r| now.saturating_sub(r.last_failure) < FORGET_AFTER);
        let address = address.map(Key::Address);
        let address_record = address.as_ref().and_then(live);
        if address_record.is_some_and(|r| now < r.blocked_until) {
            return false;
        }
        let user_blocked = live(&user_key(user)).is_some_and(|r| now < r.blocked_until);
        !(user_blocked && address_record.is_some())
    }

    /// Counts a failed login against the address and the user name.
    pub fn failed(&self, address: Option<IpAddr>, user: &str, now: u64) {
        let mut records = crate::sync::lock(&self.records);
        if records.len() >= CAPACITY {
            records.retain(|_, r| now.saturating_sub(r.last_failure) < FORGET_AFTER && now < r.blocked_until);
            if records.len() >= CAPACITY {
                records.clear(); // a flood of fresh keys: start over rather than grow
            }
        }
        for key in address.map(Key::Address).into_iter().chain([user_key(user)]) {
            let record = records.entry(key).or_insert(Record { failures: 0, last_failure: now, blocked_until: 0 });
            if now.saturating_sub(record.last_failure) >= FORGET_AFTER {
                record.failures = 0;
            }
            record.failures = record.failures.saturating_add(1);
            record.last_failure = now;
            if let Some(over) = record.failures.checked_sub(FREE_FAILURES).filter(|&n| n > 0) {
                record.blocked_until = now + (1u64 << over.min(16)).min(MAX_BLOCK);
            }
        }
    }

    /// A successful login clears what the address and the user had against them.
    pub fn succeeded(&self, address: Option<IpAddr>, user: &str) {
        let mut records = crate::sync::lock(&self.records);
        if let Some(address) = address {
            records.remove(&Key::Address(address));
        }
        records.remove(&user_key(user));
    }
}

/// User names compare ASCII-case-insensitively (protocol §4.2), and so do their records.
fn user_key(user: &str) -> Key {
    Key::User(user.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 66)));
    const PHONE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7)));

    #[test]
    fn failures_beyond_the_free_ones_block_for_doubling_times() {
        let guard = LoginGuard::default();
        for _ in 0..FREE_FAILURES {
            assert!(guard.allows(ATTACKER, "terry", 100));
            guard.failed(ATTACKER, "terry", 100);
        }
        assert!(guard.allows(ATTACKER, "terry", 100), "the free failures block nothing");
        guard.failed(ATTACKER, "terry", 100);
        assert!(!guard.allows(ATTACKER, "anna", 100), "a blocked address is refused for every user");
        assert!(!guard.allows(ATTACKER, "terry", 101));
        assert!(guard.allows(ATTACKER, "terry", 102), "the first block lasts 2 s");
        guard.failed(ATTACKER, "terry", 102);
        assert!(!guard.allows(ATTACKER, "terry", 105));
        assert!(guard.allows(ATTACKER, "terry", 106), "the second lasts 4 s");
        for _ in 0..40 {
            guard.failed(ATTACKER, "terry", 106);
        }
        assert!(!guard.allows(ATTACKER, "terry", 106 + MAX_BLOCK - 1));
        assert!(guard.allows(ATTACKER, "terry", 106 + MAX_BLOCK), "blocks never last longer than MAX_BLOCK");
    }

    #[test]
    fn a_guessed_user_still_logs_in_from_an_address_that_did_not_fail() {
        let guard = LoginGuard::default();
        for _ in 0..20 {
            guard.failed(ATTACKER, "Terry", 100);
        }
        assert!(!guard.allows(ATTACKER, "terry", 100));
        assert!(guard.allows(PHONE, "terry", 100), "the phone never failed");
        guard.failed(PHONE, "terry", 100);
        assert!(!guard.allows(PHONE, "TERRY", 100), "once it fails, the user's block applies to it too");
        guard.succeeded(PHONE, "terry");
        assert!(guard.allows(PHONE, "terry", 100));
    }

    #[test]
    fn old_failures_are_forgotten_and_memory_stays_bounded() {
        let guard = LoginGuard::default();
        for _ in 0..FREE_FAILURES + 3 {
            guard.failed(ATTACKER, "terry", 100);
        }
        assert!(guard.allows(ATTACKER, "terry", 100 + FORGET_AFTER));
        for i in 0..(CAPACITY as u32 * 2) {
            guard.failed(Some(IpAddr::V4(i.into())), &format!("user{i}"), 200);
        }
        assert!(crate::sync::lock(&guard.records).len() <= CAPACITY);
    }
}
