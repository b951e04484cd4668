//! Sockets held per task and per job, for the quotas.
//!
//! [`Counts`] is a map from a key to a positive count, kept as a sorted array
//! allocated whole at start: a key appears only while it holds a socket, so
//! there are never more keys than [`MAX_SOCKETS`](libsock::limits::MAX_SOCKETS)
//! and the array never grows. Lookups are a binary search.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

pub struct Counts<K> {
    /// Sorted by key; every count is at least 1.
    entries: Vec<(K, u32)>,
    /// Most keys at once (the capacity reserved at start).
    limit: usize,
}

impl<K: Ord + Copy> Counts<K> {
    pub fn try_with_limit(limit: usize) -> Result<Self, TryReserveError> {
        let mut entries = Vec::new();
        entries.try_reserve_exact(limit)?;
        Ok(Counts { entries, limit })
    }

    pub fn get(&self, key: K) -> usize {
        match self.find(key) {
            Ok(at) => self.entries[at].1 as usize,
            Err(_) => 0,
        }
    }

    /// Counts one more for `key`; false (nothing counted) if `key` is new and
    /// the table already holds `limit` keys.
    pub fn add(&mut self, key: K) -> bool {
        match self.find(key) {
            Ok(at) => self.entries[at].1 += 1,
            Err(_) if self.entries.len() >= self.limit => return false,
            // Within the capacity reserved at start: no allocation.
            Err(at) => self.entries.insert(at, (key, 1)),
        }
        true
    }

    /// Counts one less for `key`, forgetting it at zero.
    pub fn remove_one(&mut self, key: K) {
        if let Ok(at) = self.find(key) {
            self.entries[at].1 -= 1;
            if self.entries[at].1 == 0 {
                self.entries.remove(at);
            }
        }
    }

    /// The smallest key above `after` (the smallest of all for `None`), so
    /// callers can walk the keys while counts change under them.
    pub fn next_key(&self, after: Option<K>) -> Option<K> {
        let at = match after {
            None => 0,
            Some(after) => self.entries.partition_point(|(key, _)| *key <= after),
        };
        self.entries.get(at).map(|(key, _)| *key)
    }

    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    fn find(&self, key: K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(probe, _)| probe.cmp(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_and_down_and_forgets_at_zero() {
        let mut counts = Counts::try_with_limit(4).unwrap();
        assert!(counts.add(7) && counts.add(7) && counts.add(3));
        assert_eq!((counts.get(7), counts.get(3), counts.get(5)), (2, 1, 0));
        counts.remove_one(7);
        counts.remove_one(3);
        counts.remove_one(3);
        assert_eq!((counts.get(7), counts.get(3)), (1, 0));
        assert_eq!(counts.next_key(None), Some(7));
        assert_eq!(counts.next_key(Some(7)), None);
    }

    #[test]
    fn a_new_key_past_the_limit_is_refused_and_nothing_grows() {
        let mut counts = Counts::try_with_limit(2).unwrap();
        let capacity = counts.capacity();
        assert!(counts.add(1) && counts.add(2));
        assert!(!counts.add(3));
        assert!(counts.add(2), "a known key still counts");
        assert_eq!(counts.get(3), 0);
        assert_eq!(counts.capacity(), capacity);
    }

    #[test]
    fn keys_walk_in_order_while_removed_under_the_walk() {
        let mut counts = Counts::try_with_limit(8).unwrap();
        for key in [5, 1, 9, 3] {
            counts.add(key);
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        while let Some(key) = counts.next_key(cursor) {
            seen.push(key);
            // Removing the current key and one below it skips nothing.
            counts.remove_one(key);
            counts.remove_one(1);
            cursor = Some(key);
        }
        assert_eq!(seen, [1, 3, 5, 9]);
    }
}
