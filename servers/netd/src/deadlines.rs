//! When each timed wait gives up, and which comes first.
//!
//! netd has one kernel timer (`set_timer`), so it needs only the earliest
//! deadline of all its waiting callers; this keeps them in a binary min-heap
//! indexed by key (a socket slot, or a polling task's slot), so setting,
//! moving and clearing a key's deadline and finding the earliest are
//! O(log n) or better. Every array is allocated at start: no deadline
//! allocates.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

/// No heap position: the key has no deadline.
const ABSENT: u32 = u32::MAX;

pub struct Deadlines {
    /// (deadline in ns, key), earliest at the root.
    heap: Vec<(u64, u32)>,
    /// For each key, its index in `heap`, or [`ABSENT`].
    position: Vec<u32>,
}

impl Deadlines {
    /// Room for keys `0..keys`.
    pub fn try_with_keys(keys: usize) -> Result<Self, TryReserveError> {
        let mut heap = Vec::new();
        heap.try_reserve_exact(keys)?;
        let mut position = Vec::new();
        position.try_reserve_exact(keys)?;
        position.resize(keys, ABSENT);
        Ok(Deadlines { heap, position })
    }

    /// Gives `key` the deadline `at`, replacing any it had. A key past the
    /// room taken at start is ignored (it never waits for a timer).
    pub fn set(&mut self, key: usize, at: u64) {
        let Some(&index) = self.position.get(key) else {
            return;
        };
        if index == ABSENT {
            let end = self.heap.len();
            self.heap.push((at, key as u32));
            self.position[key] = end as u32;
            self.sift_up(end);
        } else {
            let index = index as usize;
            let before = self.heap[index].0;
            self.heap[index].0 = at;
            if at < before {
                self.sift_up(index);
            } else {
                self.sift_down(index);
            }
        }
    }

    /// Gives `key` the deadline `at`, or none.
    #[inline(always)]
    pub fn set_or_clear(&mut self, key: usize, at: Option<u64>) {
        match at {
            Some(at) => self.set(key, at),
            None => self.clear(key),
        }
    }

    /// Removes `key`'s deadline, if any.
    #[inline]
    pub fn clear(&mut self, key: usize) {
        let Some(&index) = self.position.get(key) else {
            return;
        };
        if index != ABSENT {
            self.remove_at(index as usize);
        }
    }

    pub fn get(&self, key: usize) -> Option<u64> {
        let index = *self.position.get(key)?;
        (index != ABSENT).then(|| self.heap[index as usize].0)
    }

    /// The earliest deadline of all.
    pub fn earliest(&self) -> Option<u64> {
        self.heap.first().map(|&(at, _)| at)
    }

    /// Removes and returns a key whose deadline is at or before `now`,
    /// earliest first.
    pub fn pop_due(&mut self, now: u64) -> Option<usize> {
        let &(at, key) = self.heap.first()?;
        if at > now {
            return None;
        }
        self.remove_at(0);
        Some(key as usize)
    }

    fn remove_at(&mut self, index: usize) {
        let last = self.heap.len() - 1;
        self.swap(index, last);
        let (_, key) = self.heap.pop().expect("the heap holds the entry");
        self.position[key as usize] = ABSENT;
        if index < self.heap.len() {
            self.sift_up(index);
            self.sift_down(index);
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.position[self.heap[a].1 as usize] = a as u32;
        self.position[self.heap[b].1 as usize] = b as u32;
    }

    fn sift_up(&mut self, mut index: usize) {
        while index > 0 {
            let parent = (index - 1) / 2;
            if self.heap[parent] <= self.heap[index] {
                return;
            }
            self.swap(parent, index);
            index = parent;
        }
    }

    fn sift_down(&mut self, mut index: usize) {
        loop {
            let (left, right) = (2 * index + 1, 2 * index + 2);
            let mut least = index;
            if left < self.heap.len() && self.heap[left] < self.heap[least] {
                least = left;
            }
            if right < self.heap.len() && self.heap[right] < self.heap[least] {
                least = right;
            }
            if least == index {
                return;
            }
            self.swap(least, index);
            index = least;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_earliest_comes_out_first_and_only_when_due() {
        let mut deadlines = Deadlines::try_with_keys(8).unwrap();
        deadlines.set(3, 300);
        deadlines.set(1, 100);
        deadlines.set(5, 200);
        assert_eq!(deadlines.earliest(), Some(100));
        assert_eq!(deadlines.pop_due(99), None);
        assert_eq!(deadlines.pop_due(250), Some(1));
        assert_eq!(deadlines.pop_due(250), Some(5));
        assert_eq!(deadlines.pop_due(250), None);
        assert_eq!(deadlines.earliest(), Some(300));
    }

    #[test]
    fn a_key_moves_or_goes_and_unknown_keys_are_ignored() {
        let mut deadlines = Deadlines::try_with_keys(4).unwrap();
        deadlines.set(0, 50);
        deadlines.set(1, 60);
        deadlines.set(0, 70);
        assert_eq!(deadlines.earliest(), Some(60));
        deadlines.clear(1);
        assert_eq!((deadlines.earliest(), deadlines.get(1)), (Some(70), None));
        deadlines.set(9, 1);
        deadlines.clear(9);
        assert_eq!(deadlines.get(0), Some(70));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Set(usize, u64),
        Clear(usize),
        PopDue(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..16usize, 0..100u64).prop_map(|(k, at)| Op::Set(k, at)),
            (0..16usize).prop_map(Op::Clear),
            (0..100u64).prop_map(Op::PopDue),
        ]
    }

    proptest! {
        /// The heap agrees with a plain map of key -> deadline.
        #[test]
        fn deadlines_match_a_map(ops in proptest::collection::vec(op(), 1..200)) {
            let mut deadlines = Deadlines::try_with_keys(16).unwrap();
            let mut model: BTreeMap<usize, u64> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Set(key, at) => {
                        deadlines.set(key, at);
                        model.insert(key, at);
                    }
                    Op::Clear(key) => {
                        deadlines.clear(key);
                        model.remove(&key);
                    }
                    Op::PopDue(now) => {
                        let earliest = model.values().min().copied();
                        match deadlines.pop_due(now) {
                            Some(key) => {
                                prop_assert!(earliest.is_some_and(|e| e <= now));
                                prop_assert_eq!(model.remove(&key), earliest);
                            }
                            None => prop_assert!(earliest.is_none_or(|e| e > now)),
                        }
                    }
                }
                prop_assert_eq!(deadlines.earliest(), model.values().min().copied());
                for key in 0..16 {
                    prop_assert_eq!(deadlines.get(key), model.get(&key).copied());
                }
            }
        }
    }
}
