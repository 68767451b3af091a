//! A bounded map from random keys to values with sliding (idle) expiry, an optional absolute
//! lifetime and least-recently-used eviction: the shape of sessions and share links
//! (protocol §2.2, §6.2). Time is passed in by the caller, so tests need no clock; locking is the
//! caller's business.

use std::collections::HashMap;

pub struct ExpiringMap<V> {
    entries: HashMap<String, Entry<V>>,
    capacity: usize,
    /// Seconds of inactivity after which an entry dies; `None` = never.
    idle_timeout: Option<u64>,
    /// Seconds after creation after which an entry dies whatever its activity; `None` = never.
    max_age: Option<u64>,
}

struct Entry<V> {
    value: V,
    created: u64,
    last_used: u64,
}

impl<V: Clone> ExpiringMap<V> {
    /// `idle_timeout` ≤ 0 means entries never expire through inactivity; capacity is at least 1.
    pub fn new(capacity: i64, idle_timeout: i64, max_age: Option<u64>) -> Self {
        ExpiringMap {
            entries: HashMap::new(),
            capacity: capacity.clamp(1, 1_000_000) as usize,
            idle_timeout: (idle_timeout > 0).then_some(idle_timeout as u64),
            max_age,
        }
    }

    fn is_expired(&self, entry: &Entry<V>, now: u64) -> bool {
        let idle = self.idle_timeout.is_some_and(|t| now.saturating_sub(entry.last_used) > t);
        let old = self.max_age.is_some_and(|t| now.saturating_sub(entry.created) > t);
        idle || old
    }

    /// Adds an entry, first dropping expired entries and then the least recently used ones
    /// until there is room.
    pub fn insert(&mut self, key: String, value: V, now: u64) {
        if self.entries.len() >= self.capacity {
            let (idle, max_age) = (self.idle_timeout, self.max_age);
            self.entries.retain(|_, e| {
                let idle_ok = idle.is_none_or(|t| now.saturating_sub(e.last_used) <= t);
                idle_ok && max_age.is_none_or(|t| now.saturating_sub(e.created) <= t)
            });
        }
        while self.entries.len() >= self.capacity {
            let oldest = self.entries.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.entries.remove(&k),
                None => break,
            };
        }
        self.entries.insert(key, Entry { value, created: now, last_used: now });
    }

    /// The value of a live entry, refreshing its activity; an expired entry is removed.
    pub fn touch(&mut self, key: &str, now: u64) -> Option<V> {
        let expired = self.is_expired(self.entries.get(key)?, now);
        if expired {
            self.entries.remove(key);
            return None;
        }
        let entry = self.entries.get_mut(key)?;
        entry.last_used = now;
        Some(entry.value.clone())
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.entries.remove(key).map(|e| e.value)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_slides_the_idle_timeout() {
        let mut map = ExpiringMap::new(10, 100, None);
        map.insert("a".into(), 1, 0);
        assert_eq!(map.touch("a", 90), Some(1));
        assert_eq!(map.touch("a", 180), Some(1), "the touch at 90 refreshed it");
        assert_eq!(map.touch("a", 281), None);
        assert_eq!(map.len(), 0, "expired entries are removed when found");
    }

    #[test]
    fn non_positive_timeouts_never_expire_but_max_age_does() {
        let mut map = ExpiringMap::new(10, 0, Some(1000));
        map.insert("a".into(), 1, 0);
        assert_eq!(map.touch("a", 999), Some(1));
        assert_eq!(map.touch("a", 1001), None);
        let mut map = ExpiringMap::new(10, -5, None);
        map.insert("a".into(), 1, 0);
        assert_eq!(map.touch("a", u64::MAX / 2), Some(1));
    }

    #[test]
    fn a_full_map_drops_expired_then_least_recently_used() {
        let mut map = ExpiringMap::new(3, 100, None);
        map.insert("old".into(), 1, 0);
        map.insert("b".into(), 2, 50);
        map.insert("c".into(), 3, 60);
        map.touch("b", 120);
        map.insert("d".into(), 4, 150); // "old" has expired (idle 150 > 100)
        assert_eq!(map.len(), 3);
        assert_eq!(map.touch("old", 150), None);
        map.insert("e".into(), 5, 151); // full of live entries: "c" is least recently used
        assert_eq!(map.touch("c", 151), None);
        assert_eq!(map.touch("b", 151), Some(2));
        assert_eq!(map.touch("d", 151), Some(4));
        assert_eq!(map.touch("e", 151), Some(5));
    }

    #[test]
    fn capacity_is_at_least_one() {
        let mut map = ExpiringMap::new(0, 0, None);
        map.insert("a".into(), 1, 0);
        map.insert("b".into(), 2, 0);
        assert_eq!(map.len(), 1);
        assert_eq!(map.touch("b", 0), Some(2));
    }
}
