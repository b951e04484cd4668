//! The page ranges and rights `map`, `unmap` and `task_map` accept.

use abi::{KernelError, MAX_MAP, USER_END, USER_START, map_flags};

use crate::user_memory::PAGE;

/// Whole pages of user space, at most `MAX_MAP` bytes, none below
/// `USER_START`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRange {
    start: u64,
    len: u64,
}

impl PageRange {
    /// `BadArgument` for an address or length that is not page-aligned, a
    /// length of 0 or above `MAX_MAP`; then `BadAddress` for a range that
    /// starts below `USER_START` or ends past `USER_END`.
    pub fn new(addr: u64, len: u64) -> Result<Self, KernelError> {
        if !addr.is_multiple_of(PAGE) || !len.is_multiple_of(PAGE) || len == 0 || len > MAX_MAP {
            return Err(KernelError::BadArgument);
        }
        match addr.checked_add(len) {
            Some(end) if addr >= USER_START && end <= USER_END => Ok(PageRange { start: addr, len }),
            _ => Err(KernelError::BadAddress),
        }
    }

    pub const fn start(&self) -> u64 {
        self.start
    }

    pub const fn len(&self) -> u64 {
        self.len
    }

    /// Never true: a range holds at least one page.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of each page, in order.
    pub fn pages(&self) -> impl Iterator<Item = u64> + use<> {
        (self.start..self.start + self.len).step_by(PAGE as usize)
    }
}

/// What a user page allows besides being read by its task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRights {
    pub write: bool,
    pub execute: bool,
}

impl PageRights {
    /// `map_flags` bits; `BadArgument` for any other bit.
    pub fn from_map_flags(flags: u64) -> Result<Self, KernelError> {
        if flags & !(map_flags::WRITE | map_flags::EXEC) != 0 {
            return Err(KernelError::BadArgument);
        }
        Ok(PageRights { write: flags & map_flags::WRITE != 0, execute: flags & map_flags::EXEC != 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn argument_errors_come_before_address_errors() {
        assert!(PageRange::new(USER_START, PAGE).is_ok());
        assert_eq!(PageRange::new(USER_START + 1, PAGE), Err(KernelError::BadArgument));
        assert_eq!(PageRange::new(0, MAX_MAP + PAGE), Err(KernelError::BadArgument));
        assert_eq!(PageRange::new(0, PAGE), Err(KernelError::BadAddress));
        assert_eq!(PageRange::new(USER_END, PAGE), Err(KernelError::BadAddress));
        assert_eq!(PageRange::new(u64::MAX & !(PAGE - 1), PAGE), Err(KernelError::BadAddress));
        let range = PageRange::new(USER_START, 3 * PAGE).unwrap();
        assert_eq!(range.pages().collect::<Vec<_>>(), [USER_START, USER_START + PAGE, USER_START + 2 * PAGE]);
    }

    #[test]
    fn rights_come_from_the_two_flag_bits() {
        assert_eq!(PageRights::from_map_flags(0), Ok(PageRights { write: false, execute: false }));
        assert_eq!(PageRights::from_map_flags(3), Ok(PageRights { write: true, execute: true }));
        assert_eq!(PageRights::from_map_flags(4), Err(KernelError::BadArgument));
        assert_eq!(PageRights::from_map_flags(1 << 63 | 1), Err(KernelError::BadArgument));
    }

    proptest! {
        /// An accepted range is whole pages of user space no longer than
        /// `MAX_MAP`; everything else is refused.
        #[test]
        fn accepted_ranges_are_whole_user_pages(
            addr in prop_oneof![any::<u64>(), (0u64..1 << 36).prop_map(|p| p * PAGE)],
            pages in prop_oneof![0u64..MAX_MAP / PAGE + 2, any::<u64>()],
            nudge in prop_oneof![Just(0u64), 1u64..PAGE],
        ) {
            let len = pages.wrapping_mul(PAGE).wrapping_add(nudge);
            let accepted = PageRange::new(addr, len);
            let whole = addr % PAGE == 0 && len % PAGE == 0 && len != 0 && len <= MAX_MAP;
            let inside = addr >= USER_START && addr as u128 + len as u128 <= USER_END as u128;
            prop_assert_eq!(accepted.is_ok(), whole && inside);
            if let Ok(range) = accepted {
                prop_assert_eq!(range.pages().count() as u64, len / PAGE);
            }
        }

        #[test]
        fn only_the_two_flag_bits_are_accepted(flags in any::<u64>()) {
            prop_assert_eq!(PageRights::from_map_flags(flags).is_ok(), flags & !3 == 0);
        }
    }
}
