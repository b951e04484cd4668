//! Leases as the kernel keeps them while their caller waits: the checks a
//! lease passes when `call` takes it, and the bounds and rights every later
//! use of it passes.

use abi::{KernelError, Lease, LeaseInfo, MAX_LEASE_LEN, lease_flags};

use crate::user_memory::{UserSlice, UserSliceRo, UserSliceWo};

/// A lease of a waiting call, checked when the call was made: its flags are
/// only `READ` and `WRITE`, it is at most `MAX_LEASE_LEN` long and lies in
/// user space. Its memory is checked only when a server uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LentLease {
    addr: u64,
    len: u64,
    flags: u64,
}

impl LentLease {
    /// The slot of a call block before its first call.
    pub const EMPTY: LentLease = LentLease { addr: 0, len: 0, flags: 0 };

    /// `BadArgument` for unknown flags or a length above `MAX_LEASE_LEN`;
    /// then `BadAddress` for a range that wraps or passes `USER_END`.
    #[inline]
    pub fn new(lease: Lease) -> Result<Self, KernelError> {
        let known_flags = lease.flags & !(lease_flags::READ | lease_flags::WRITE) == 0;
        if !known_flags || lease.len > MAX_LEASE_LEN {
            return Err(KernelError::BadArgument);
        }
        UserSliceRo::new(lease.addr, lease.len)?;
        Ok(LentLease { addr: lease.addr, len: lease.len, flags: lease.flags })
    }

    /// The declared length and rights, as `lease_info` reports them.
    #[inline]
    pub fn info(&self) -> LeaseInfo {
        LeaseInfo { len: self.len as usize, flags: self.flags }
    }

    /// `len` bytes at `offset` in the lease, for the server to read.
    #[inline]
    pub fn readable(&self, offset: u64, len: u64) -> Result<UserSliceRo, KernelError> {
        self.within(lease_flags::READ, offset, len)
    }

    /// `len` bytes at `offset` in the lease, for the server to write.
    #[inline]
    pub fn writable(&self, offset: u64, len: u64) -> Result<UserSliceWo, KernelError> {
        self.within(lease_flags::WRITE, offset, len)
    }

    /// `LeaseBounds` unless the lease grants `right`, `len` is at most
    /// `MAX_LEASE_LEN` and `offset + len` fits in the lease.
    #[inline]
    fn within<const WRITE: bool>(&self, right: u64, offset: u64, len: u64) -> Result<UserSlice<WRITE>, KernelError> {
        if self.flags & right == 0 || len > MAX_LEASE_LEN {
            return Err(KernelError::LeaseBounds);
        }
        match offset.checked_add(len) {
            // Inside a range that lies in user space, so it does too.
            Some(end) if end <= self.len => UserSlice::new(self.addr + offset, len),
            _ => Err(KernelError::LeaseBounds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::USER_END;
    use proptest::prelude::*;

    const READ: u64 = lease_flags::READ;
    const WRITE: u64 = lease_flags::WRITE;

    #[test]
    fn a_call_refuses_bad_flags_and_lengths_before_bad_ranges() {
        let lease = |addr, len, flags| LentLease::new(Lease { addr, len, flags });
        assert!(lease(0x40_0000, 4096, READ | WRITE).is_ok());
        assert_eq!(lease(0x40_0000, 16, 4), Err(KernelError::BadArgument));
        assert_eq!(lease(0x40_0000, MAX_LEASE_LEN + 1, READ), Err(KernelError::BadArgument));
        assert_eq!(lease(u64::MAX - 4, MAX_LEASE_LEN + 1, READ), Err(KernelError::BadArgument));
        assert_eq!(lease(USER_END - 8, 16, READ), Err(KernelError::BadAddress));
        assert_eq!(lease(u64::MAX - 4, 16, READ), Err(KernelError::BadAddress));
    }

    #[test]
    fn uses_need_the_right_and_must_fit() {
        let lease = LentLease::new(Lease { addr: 0x40_0000, len: 100, flags: READ }).unwrap();
        assert_eq!(lease.readable(90, 10).map(|s| (s.addr(), s.len())), Ok((0x40_0000 + 90, 10)));
        assert_eq!(lease.readable(90, 11), Err(KernelError::LeaseBounds));
        assert_eq!(lease.writable(0, 1), Err(KernelError::LeaseBounds), "no WRITE right");
        assert_eq!(lease.readable(u64::MAX, 2), Err(KernelError::LeaseBounds), "offset + len wraps");
        assert_eq!(lease.info(), LeaseInfo { len: 100, flags: READ });
    }

    proptest! {
        /// A use is accepted exactly when the lease grants the right and
        /// `offset + len` (computed without wrapping) fits; the slice it
        /// gives lies inside the lease.
        #[test]
        fn a_use_is_accepted_exactly_inside_the_lease(
            addr in 0u64..USER_END - MAX_LEASE_LEN,
            len in 0u64..=MAX_LEASE_LEN,
            flags in 0u64..4,
            offset in prop_oneof![0u64..2 * MAX_LEASE_LEN, any::<u64>()],
            use_len in prop_oneof![0u64..2 * MAX_LEASE_LEN, any::<u64>()],
            write in any::<bool>(),
        ) {
            let lease = LentLease::new(Lease { addr, len, flags }).unwrap();
            let right = if write { WRITE } else { READ };
            let fits = offset as u128 + use_len as u128 <= len as u128;
            let slice = if write {
                lease.writable(offset, use_len).map(|s| (s.addr(), s.len()))
            } else {
                lease.readable(offset, use_len).map(|s| (s.addr(), s.len()))
            };
            prop_assert_eq!(slice.is_ok(), flags & right != 0 && fits);
            match slice {
                Ok((start, n)) => prop_assert!(start >= addr && start + n <= addr + len),
                Err(error) => prop_assert_eq!(error, KernelError::LeaseBounds),
            }
        }

        /// At the lease's end: the last byte is in, one more is out.
        #[test]
        fn the_end_of_the_lease_is_exact(len in 1u64..=MAX_LEASE_LEN, offset in 0u64..=4096, past in 0u64..2) {
            let lease = LentLease::new(Lease { addr: 0x40_0000, len, flags: READ | WRITE }).unwrap();
            let offset = offset.min(len);
            let use_len = len - offset + past;
            prop_assert_eq!(lease.readable(offset, use_len).is_ok(), past == 0);
            prop_assert_eq!(lease.writable(offset, use_len).is_ok(), past == 0);
        }

        /// Any `offset + len` overflow is refused as `LeaseBounds`.
        #[test]
        fn an_overflowing_end_is_lease_bounds(offset in any::<u64>(), use_len in any::<u64>()) {
            prop_assume!(offset.checked_add(use_len).is_none());
            let lease = LentLease::new(Lease { addr: 0x40_0000, len: MAX_LEASE_LEN, flags: READ | WRITE }).unwrap();
            prop_assert_eq!(lease.readable(offset, use_len), Err(KernelError::LeaseBounds));
            prop_assert_eq!(lease.writable(offset, use_len), Err(KernelError::LeaseBounds));
        }
    }
}
