//! `sbrk`: a program break of its own, apart from `malloc`'s heap, that
//! grows by mapping pages and shrinks by unmapping those wholly above it.

/// Where the break region starts: far from the heap (`urt::heap::HEAP_BASE`),
/// the program, the argument page and the stack.
pub const BREAK_BASE: u64 = 0x0000_3000_0000_0000;
/// Most bytes the region may hold.
pub const BREAK_MAX: u64 = 1 << 30;
const PAGE: u64 = abi::PAGE_SIZE as u64;

/// What moving the break asks of the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pages {
    /// Nothing: the new break lies in pages already mapped.
    Keep,
    /// Map `(start, len)`.
    Map(u64, u64),
    /// Unmap `(start, len)`.
    Unmap(u64, u64),
}

/// The break: `BREAK_BASE + size`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Break {
    size: u64,
}

impl Break {
    pub const fn new() -> Self {
        Break { size: 0 }
    }

    /// The current break.
    pub fn end(&self) -> u64 {
        BREAK_BASE + self.size
    }

    /// Plans moving the break by `delta` bytes: the pages to map or unmap,
    /// or `None` when it would leave the region.
    pub fn plan(&self, delta: i64) -> Option<(Break, Pages)> {
        let size = self.size.checked_add_signed(delta).filter(|&s| s <= BREAK_MAX)?;
        let (mapped, wanted) = (self.size.next_multiple_of(PAGE), size.next_multiple_of(PAGE));
        let pages = if wanted > mapped {
            Pages::Map(BREAK_BASE + mapped, wanted - mapped)
        } else if wanted < mapped {
            Pages::Unmap(BREAK_BASE + wanted, mapped - wanted)
        } else {
            Pages::Keep
        };
        Some((Break { size }, pages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_maps_whole_pages_once() {
        let b = Break::new();
        let (b, pages) = b.plan(10).unwrap();
        assert_eq!(pages, Pages::Map(BREAK_BASE, PAGE));
        assert_eq!(b.end(), BREAK_BASE + 10);
        let (b, pages) = b.plan(PAGE as i64 - 10).unwrap();
        assert_eq!(pages, Pages::Keep);
        let (b, pages) = b.plan(1).unwrap();
        assert_eq!(pages, Pages::Map(BREAK_BASE + PAGE, PAGE));
        assert_eq!(b.end(), BREAK_BASE + PAGE + 1);
    }

    #[test]
    fn shrinking_unmaps_pages_wholly_above_the_break() {
        let (b, _) = Break::new().plan(3 * PAGE as i64).unwrap();
        let (b, pages) = b.plan(-(PAGE as i64) - 1).unwrap();
        assert_eq!(pages, Pages::Unmap(BREAK_BASE + 2 * PAGE, PAGE));
        let (b, pages) = b.plan(0).unwrap();
        assert_eq!(pages, Pages::Keep);
        assert!(b.plan(-(3 * PAGE as i64)).is_none());
        assert!(b.plan(BREAK_MAX as i64).is_none());
        assert!(b.plan(i64::MIN).is_none());
    }
}
