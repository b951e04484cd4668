//! The port table: which socket slot holds each port, and the highest free port.
//!
//! Lookup is one array index (65,536 `u16` entries, 128 KiB). Finding the
//! highest free port, `connect`'s rule, walks a two-level bitmap: 16 summary
//! words say which of the 1,024 port words still have a free bit, so the search
//! reads at most 16 + 1 words whatever the table holds.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

const PORTS: usize = 1 << 16;
const WORDS: usize = PORTS / 64;
const SUMMARY_WORDS: usize = WORDS / 64;
const NO_SLOT: u16 = u16::MAX;

pub struct PortTable {
    /// Socket slot per port, `NO_SLOT` when the port is free.
    slot_of: Vec<u16>,
    /// Bit `p % 64` of word `p / 64` is set while port `p` is free.
    free: Vec<u64>,
    /// Bit `w % 64` of word `w / 64` is set while `free[w]` has a set bit.
    summary: [u64; SUMMARY_WORDS],
}

/// A vector of `len` copies of `value`, or the allocation error.
fn try_filled<T: Clone>(value: T, len: usize) -> Result<Vec<T>, TryReserveError> {
    let mut vector = Vec::new();
    vector.try_reserve_exact(len)?;
    vector.resize(len, value);
    Ok(vector)
}

impl PortTable {
    pub fn try_new() -> Result<Self, TryReserveError> {
        Ok(PortTable {
            slot_of: try_filled(NO_SLOT, PORTS)?,
            free: try_filled(u64::MAX, WORDS)?,
            summary: [u64::MAX; SUMMARY_WORDS],
        })
    }

    /// The slot of the socket using `port`.
    pub fn lookup(&self, port: u16) -> Option<u16> {
        match self.slot_of[usize::from(port)] {
            NO_SLOT => None,
            slot => Some(slot),
        }
    }

    /// Marks `port` as used by `slot`; the port must be free.
    pub fn claim(&mut self, port: u16, slot: u16) {
        debug_assert!(slot != NO_SLOT && self.lookup(port).is_none());
        self.slot_of[usize::from(port)] = slot;
        let word = usize::from(port) / 64;
        self.free[word] &= !(1 << (port % 64));
        if self.free[word] == 0 {
            self.summary[word / 64] &= !(1 << (word % 64));
        }
    }

    pub fn release(&mut self, port: u16) {
        self.slot_of[usize::from(port)] = NO_SLOT;
        let word = usize::from(port) / 64;
        self.free[word] |= 1 << (port % 64);
        self.summary[word / 64] |= 1 << (word % 64);
    }

    /// The highest port no socket uses.
    pub fn highest_free(&self) -> Option<u16> {
        let (group, bits) = self.summary.iter().enumerate().rev().find(|(_, bits)| **bits != 0)?;
        let word = group * 64 + highest_bit(*bits);
        let port = word * 64 + highest_bit(self.free[word]);
        u16::try_from(port).ok()
    }
}

fn highest_bit(bits: u64) -> usize {
    63 - bits.leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_first_client_port_is_the_top_of_the_range() {
        let table = PortTable::try_new().unwrap();
        assert_eq!(table.highest_free(), Some(65_535));
    }

    #[test]
    fn highest_free_counts_down_and_reuses_released_ports() {
        let mut table = PortTable::try_new().unwrap();
        for expected in (65_400..=65_535).rev() {
            let port = table.highest_free().unwrap();
            assert_eq!(port, expected);
            table.claim(port, 1);
        }
        table.release(65_500);
        assert_eq!(table.highest_free(), Some(65_500));
        assert_eq!(table.lookup(65_500), None);
        assert_eq!(table.lookup(65_501), Some(1));
    }

    #[test]
    fn a_full_table_has_no_free_port() {
        let mut table = PortTable::try_new().unwrap();
        for port in 0..=u16::MAX {
            table.claim(port, 0);
        }
        assert_eq!(table.highest_free(), None);
        table.release(3);
        assert_eq!(table.highest_free(), Some(3));
    }

    proptest! {
        #[test]
        fn matches_a_simple_map(ops in proptest::collection::vec((any::<bool>(), prop_oneof![65_300u16..=65_535, 0u16..200, any::<u16>()], 0u16..1024), 0..400)) {
            let mut table = PortTable::try_new().unwrap();
            let mut model = BTreeMap::new();
            for (claim, port, slot) in ops {
                if claim && !model.contains_key(&port) {
                    table.claim(port, slot);
                    model.insert(port, slot);
                } else if !claim {
                    table.release(port);
                    model.remove(&port);
                }
                prop_assert_eq!(table.lookup(port), model.get(&port).copied());
                let highest = (0..=u16::MAX).rev().find(|p| !model.contains_key(p));
                prop_assert_eq!(table.highest_free(), highest);
            }
        }
    }
}
