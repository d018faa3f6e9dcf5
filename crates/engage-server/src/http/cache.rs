//! A small time-bounded cache for the hot path of the send endpoint (token → client,
//! campaign → template). Entries live `ttl`; the map is cleared when it grows past `max`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        TtlCache {
            ttl,
            max,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if entries.len() >= self.max {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.max {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Drops every entry whose value fails `keep`.
    pub fn retain(&self, mut keep: impl FnMut(&V) -> bool) {
        self.entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .retain(|_, (_, value)| keep(value));
    }

    pub fn remove(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_entries_are_gone_and_zero_ttl_never_hits() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        cache.insert(1, "a");
        assert_eq!(cache.get(&1), Some("a"));
        cache.remove(&1);
        assert_eq!(cache.get(&1), None);

        let expired = TtlCache::new(Duration::ZERO, 10);
        expired.insert(1, "a");
        assert_eq!(expired.get(&1), None);
    }

    #[test]
    fn cache_never_grows_past_its_bound() {
        let cache = TtlCache::new(Duration::from_secs(60), 3);
        for key in 0..10 {
            cache.insert(key, key);
        }
        assert!(cache.entries.lock().unwrap().len() <= 3);
        assert_eq!(cache.get(&9), Some(9));
    }
}
