//! Fixed-capacity sets of frame-number ranges, for the frame allocator's
//! record of which frames are usable RAM and which are reserved.
//!
//! Ranges are half-open, kept sorted, disjoint and never adjacent (touching
//! ranges are merged), so a set of `N` slots describes up to `N` separate
//! pieces. Nothing here allocates; a full set either refuses a new piece or
//! widens it onto its nearest neighbour, whichever the caller asks for.

/// Frames `start..end` (frame numbers, not byte addresses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FrameRange {
    pub start: u64,
    pub end: u64,
}

impl FrameRange {
    pub fn new(start: u64, end: u64) -> Self {
        FrameRange { start, end }
    }

    pub fn len(self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.start >= self.end
    }

    fn hull(self, other: FrameRange) -> FrameRange {
        FrameRange::new(self.start.min(other.start), self.end.max(other.end))
    }
}

pub(crate) struct RangeSet<const N: usize> {
    ranges: [FrameRange; N],
    len: usize,
}

impl<const N: usize> RangeSet<N> {
    pub const fn new() -> Self {
        RangeSet { ranges: [FrameRange { start: 0, end: 0 }; N], len: 0 }
    }

    fn as_slice(&self) -> &[FrameRange] {
        &self.ranges[..self.len]
    }

    pub fn contains(&self, frame: u64) -> bool {
        let ranges = self.as_slice();
        // First range that ends after `frame`: the only one that can hold it.
        let index = ranges.partition_point(|r| r.end <= frame);
        ranges.get(index).is_some_and(|r| r.start <= frame)
    }

    /// Indices `first..last` of the stored ranges that overlap or touch `range`.
    fn touching(&self, range: FrameRange) -> (usize, usize) {
        let ranges = self.as_slice();
        let first = ranges.partition_point(|r| r.end < range.start);
        let last = ranges.partition_point(|r| r.start <= range.end);
        (first, last.max(first))
    }

    /// Whether `insert` would succeed without widening.
    pub fn can_insert(&self, range: FrameRange) -> bool {
        let (first, last) = self.touching(range);
        first < last || self.len < N
    }

    /// The range `insert_widening` would actually add: `range` itself when
    /// it fits, else its hull with the nearest stored range.
    pub fn widened(&self, range: FrameRange) -> FrameRange {
        if self.can_insert(range) {
            return range;
        }
        // Full and touching nothing: `first` is the index of the first range
        // after `range`, so the neighbours sit at `first - 1` and `first`.
        let (first, _) = self.touching(range);
        let before = first.checked_sub(1).map(|i| self.ranges[i]);
        let after = self.as_slice().get(first).copied();
        let nearest = match (before, after) {
            (Some(b), Some(a)) => {
                if range.start - b.end <= a.start - range.end {
                    b
                } else {
                    a
                }
            }
            (Some(b), None) => b,
            (None, Some(a)) => a,
            // Only reachable with N == 0, where nothing can be stored.
            (None, None) => return range,
        };
        range.hull(nearest)
    }

    /// Adds `range` if it fits; returns whether it was added.
    pub fn insert(&mut self, range: FrameRange) -> bool {
        if range.is_empty() {
            return true;
        }
        let (first, last) = self.touching(range);
        if first < last {
            let merged = range.hull(self.ranges[first]).hull(self.ranges[last - 1]);
            self.ranges[first] = merged;
            let removed = last - first - 1;
            self.ranges.copy_within(last..self.len, first + 1);
            self.len -= removed;
            return true;
        }
        if self.len == N {
            return false;
        }
        self.ranges.copy_within(first..self.len, first + 1);
        self.ranges[first] = range;
        self.len += 1;
        true
    }

    /// Adds `range`, widened onto a neighbour if the set is full. Returns
    /// the range that is now covered (see `widened`).
    pub fn insert_widening(&mut self, range: FrameRange) -> FrameRange {
        let effective = self.widened(range);
        // `widened` returns a range that either fits or touches a stored one.
        let _always_added = self.insert(effective);
        effective
    }

    /// Calls `f` for each maximal piece of `range` that no stored range covers.
    pub fn for_each_gap(&self, range: FrameRange, mut f: impl FnMut(FrameRange)) {
        let mut cursor = range.start;
        for r in self.as_slice() {
            if r.end <= cursor {
                continue;
            }
            if r.start >= range.end {
                break;
            }
            if r.start > cursor {
                f(FrameRange::new(cursor, r.start));
            }
            cursor = r.end;
        }
        if cursor < range.end {
            f(FrameRange::new(cursor, range.end));
        }
    }

    /// Calls `f` for each piece of `range` that a stored range covers.
    pub fn for_each_overlap(&self, range: FrameRange, mut f: impl FnMut(FrameRange)) {
        for r in self.as_slice() {
            let piece = FrameRange::new(r.start.max(range.start), r.end.min(range.end));
            if !piece.is_empty() {
                f(piece);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> FrameRange {
        FrameRange::new(start, end)
    }

    fn gaps<const N: usize>(set: &RangeSet<N>, range: FrameRange) -> Vec<FrameRange> {
        let mut out = Vec::new();
        set.for_each_gap(range, |g| out.push(g));
        out
    }

    #[test]
    fn inserts_merge_overlapping_and_adjacent_ranges() {
        let mut set = RangeSet::<4>::new();
        assert!(set.insert(r(10, 20)));
        assert!(set.insert(r(30, 40)));
        assert!(set.insert(r(20, 25)));
        assert_eq!(set.as_slice(), &[r(10, 25), r(30, 40)]);
        assert!(set.insert(r(5, 35)));
        assert_eq!(set.as_slice(), &[r(5, 40)]);
        assert!(set.contains(5) && set.contains(39));
        assert!(!set.contains(4) && !set.contains(40));
    }

    #[test]
    fn full_set_refuses_or_widens() {
        let mut set = RangeSet::<2>::new();
        assert!(set.insert(r(0, 2)));
        assert!(set.insert(r(100, 110)));
        assert!(!set.can_insert(r(10, 12)));
        assert!(!set.insert(r(10, 12)));
        assert!(set.can_insert(r(2, 5)), "touching a stored range needs no slot");
        assert_eq!(set.insert_widening(r(10, 12)), r(0, 12));
        assert_eq!(set.as_slice(), &[r(0, 12), r(100, 110)]);
        assert_eq!(set.insert_widening(r(90, 95)), r(90, 110));
    }

    #[test]
    fn gaps_and_overlaps_partition_a_range() {
        let mut set = RangeSet::<4>::new();
        set.insert(r(10, 20));
        set.insert(r(30, 40));
        assert_eq!(gaps(&set, r(0, 50)), vec![r(0, 10), r(20, 30), r(40, 50)]);
        assert_eq!(gaps(&set, r(12, 18)), vec![]);
        assert_eq!(gaps(&set, r(15, 35)), vec![r(20, 30)]);
        let mut covered = Vec::new();
        set.for_each_overlap(r(15, 35), |p| covered.push(p));
        assert_eq!(covered, vec![r(15, 20), r(30, 35)]);
    }
}
