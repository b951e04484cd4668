//! A caller's arena: the pattern it is filled with, which of its pages are
//! mapped, and the model a server keeps of it while the caller waits.
//!
//! Offsets are from the arena's start; offsets past [`ARENA_LEN`] name the
//! guard, which is never mapped. A range of zero bytes touches no page.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use super::{ARENA_LEN, ARENA_PAGES, GUARD_LEN, PAGE};

/// Unknown ranges a model tracks one by one; beyond that they merge into
/// one range that covers them all (the check gets weaker, never wrong).
pub const MAX_UNKNOWN: usize = 6;

const WORDS_PER_PAGE: usize = PAGE / 8;

/// Word `index` of the pattern of `seed` (splitmix64 of both).
pub fn pattern_word(seed: u64, index: usize) -> u64 {
    let mut z = seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Byte `at` of the pattern of `seed`.
pub fn pattern_byte(seed: u64, at: usize) -> u8 {
    pattern_word(seed, at / 8).to_le_bytes()[at % 8]
}

/// Fills `out` with the pattern of `seed` from byte `from` on.
pub fn fill_pattern(seed: u64, from: usize, out: &mut [u8]) {
    for (k, byte) in out.iter_mut().enumerate() {
        *byte = pattern_byte(seed, from + k);
    }
}

/// Whether page `page` of the arena is mapped in `mapped` (bit per page).
pub fn page_mapped(mapped: u8, page: usize) -> bool {
    page < ARENA_PAGES && mapped & (1 << page) != 0
}

/// Whether every byte of `[start, start + len)` lies in mapped arena pages.
pub fn span_mapped(mapped: u8, start: u64, len: u64) -> bool {
    if len == 0 {
        return true;
    }
    let Some(end) = start.checked_add(len).filter(|&end| end <= ARENA_LEN as u64) else {
        return false;
    };
    (start as usize / PAGE..=(end as usize - 1) / PAGE).all(|page| page_mapped(mapped, page))
}

/// Whether `[start, start + len)` stays within arena and guard (so that a
/// lease or an access over it never reaches memory a task uses).
pub fn within_window(start: u64, len: u64) -> bool {
    start.checked_add(len).is_some_and(|end| end <= (ARENA_LEN + GUARD_LEN) as u64)
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// The hash of an arena's mapped pages, with the bytes of `unknown` taken
/// as zero. `word_at(i)` reads word `i` of the arena (only mapped pages are
/// read). Callers and servers compute it alike, on memory and on a model.
pub fn masked_hash(mapped: u8, unknown: &[Range<usize>], mut word_at: impl FnMut(usize) -> u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for page in (0..ARENA_PAGES).filter(|&p| page_mapped(mapped, p)) {
        for index in page * WORDS_PER_PAGE..(page + 1) * WORDS_PER_PAGE {
            let word_bytes = index * 8..index * 8 + 8;
            let mut word = word_at(index);
            for range in unknown.iter().filter(|r| overlap(r, &word_bytes)) {
                let from = range.start.max(word_bytes.start) - word_bytes.start;
                let to = range.end.min(word_bytes.end) - word_bytes.start;
                for byte in from..to {
                    word &= !(0xff << (8 * byte));
                }
            }
            hash = (hash ^ word ^ (index as u64) << 48).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
        }
    }
    hash
}

/// A server's picture of a waiting caller's arena: the pattern it was filled
/// with, then every write and copy the server made succeed; bytes it cannot
/// know (an overlapping copy, a copy cut short by a hole) are unknown.
#[derive(Clone, Debug)]
pub struct Model {
    pub mapped: u8,
    bytes: Vec<u8>,
    unknown: Vec<Range<usize>>,
}

impl Model {
    /// The arena as the caller filled it: the pattern of `seed` in every
    /// mapped page.
    pub fn new(seed: u64, mapped: u8) -> Model {
        let mut bytes = vec![0u8; ARENA_LEN];
        for page in (0..ARENA_PAGES).filter(|&p| page_mapped(mapped, p)) {
            for index in page * WORDS_PER_PAGE..(page + 1) * WORDS_PER_PAGE {
                bytes[index * 8..index * 8 + 8].copy_from_slice(&pattern_word(seed, index).to_le_bytes());
            }
        }
        Model { mapped, bytes, unknown: Vec::new() }
    }

    pub fn unknown(&self) -> &[Range<usize>] {
        &self.unknown
    }

    fn clamp(start: u64, len: u64) -> Range<usize> {
        let end = start.saturating_add(len).min(ARENA_LEN as u64) as usize;
        (start.min(ARENA_LEN as u64) as usize)..end
    }

    /// The expected bytes of `[start, start + len)`, `None` where unknown.
    /// Only for ranges [`span_mapped`] accepts.
    pub fn expected(&self, start: u64, len: u64) -> impl Iterator<Item = Option<u8>> + '_ {
        let range = Self::clamp(start, len);
        range.map(move |at| (!self.unknown.iter().any(|r| r.contains(&at))).then(|| self.bytes[at]))
    }

    /// Whether some byte of the range is unknown.
    pub fn has_unknown(&self, start: u64, len: u64) -> bool {
        let range = Self::clamp(start, len);
        self.unknown.iter().any(|r| overlap(r, &range))
    }

    /// Whether `got` is what `[start, start + got.len())` holds; returns
    /// the first differing offset otherwise.
    pub fn check(&self, start: u64, got: &[u8]) -> Result<(), usize> {
        match self.expected(start, got.len() as u64).zip(got).position(|(want, &byte)| want.is_some_and(|w| w != byte))
        {
            Some(at) => Err(at),
            None => Ok(()),
        }
    }

    /// Records that `data` now lies at `start`.
    pub fn write(&mut self, start: u64, data: &[u8]) {
        let range = Self::clamp(start, data.len() as u64);
        let len = range.len();
        self.bytes[range.clone()].copy_from_slice(&data[..len]);
        self.forget_unknown(range);
    }

    /// Records that `[start, start + len)` may hold anything now.
    pub fn mark_unknown(&mut self, start: u64, len: u64) {
        let range = Self::clamp(start, len);
        if range.is_empty() {
            return;
        }
        self.unknown.push(range);
        self.merge_if_many();
    }

    fn merge_if_many(&mut self) {
        if self.unknown.len() > MAX_UNKNOWN {
            let start = self.unknown.iter().map(|r| r.start).min().unwrap_or(0);
            let end = self.unknown.iter().map(|r| r.end).max().unwrap_or(0);
            self.unknown.clear();
            self.unknown.push(start..end);
        }
    }

    /// Bytes of `range` are known again: cuts it out of the unknown ranges.
    fn forget_unknown(&mut self, range: Range<usize>) {
        let mut kept = Vec::with_capacity(self.unknown.len() + 1);
        for r in self.unknown.drain(..) {
            if !overlap(&r, &range) {
                kept.push(r);
                continue;
            }
            if r.start < range.start {
                kept.push(r.start..range.start);
            }
            if range.end < r.end {
                kept.push(range.end..r.end);
            }
        }
        self.unknown = kept;
        self.merge_if_many();
    }

    /// A copy of `[start, start + len)` (known bytes only; see [`Model::has_unknown`]).
    pub fn copy_of(&self, start: u64, len: u64) -> Vec<u8> {
        self.bytes[Self::clamp(start, len)].to_vec()
    }

    pub fn hash(&self) -> u64 {
        masked_hash(self.mapped, &self.unknown, |index| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.bytes[index * 8..index * 8 + 8]);
            u64::from_le_bytes(word)
        })
    }
}
