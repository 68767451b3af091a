//! Share links (protocol §6.2): random 32-hex-character keys that map to a file id, with sliding
//! expiry `shareUrlTimeout` and LRU capacity `shareUrlThreshold`. Memory only. The file is
//! re-resolved at each use by the caller; this module knows nothing of files.

use crate::expiring::ExpiringMap;
use crate::password::random_hex_128;
use std::sync::Mutex;

pub struct Shares {
    map: Mutex<ExpiringMap<i64>>,
}

impl Shares {
    pub fn new(share_url_threshold: i64, share_url_timeout: i64) -> Self {
        Shares { map: Mutex::new(ExpiringMap::new(share_url_threshold, share_url_timeout, None)) }
    }

    /// Mints a new key for `file_id`.
    pub fn create(&self, file_id: i64, now: u64) -> String {
        let key = random_hex_128();
        self.lock().insert(key.clone(), file_id, now);
        key
    }

    /// The file of a live key; a successful use refreshes the key's expiry.
    pub fn file_of(&self, key: &str, now: u64) -> Option<i64> {
        self.lock().touch(key, now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ExpiringMap<i64>> {
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
