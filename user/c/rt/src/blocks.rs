//! `malloc`/`free` on the task's heap (`urt`'s allocator): C's `free` gets
//! no size, so each block starts with a header holding it.

use core::alloc::Layout;

/// Bytes before the pointer `malloc` returns; also the blocks' alignment,
/// enough for any C type.
pub const HEADER: usize = 16;

/// The allocation behind a `malloc(size)`: the header and `size` bytes (at
/// least one, so that every call gets its own block).
pub fn layout(size: u64) -> Option<Layout> {
    let total = usize::try_from(size).ok()?.max(1).checked_add(HEADER)?;
    Layout::from_size_align(total, HEADER).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_a_header_and_are_aligned() {
        let l = layout(10).unwrap();
        assert_eq!((l.size(), l.align()), (26, 16));
        assert_eq!(layout(0).unwrap().size(), 17);
        assert!(layout(u64::MAX).is_none());
    }
}
