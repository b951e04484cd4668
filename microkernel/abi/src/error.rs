//! Errors a syscall returns. Each has a fixed negative number in `rax`.

macro_rules! kernel_errors {
    ($($(#[$doc:meta])* $name:ident = $code:expr,)*) => {
        /// Why the kernel refused a syscall. Bad arguments are answered with one of
        /// these, never with a fault: only a CPU exception kills a task.
        #[repr(i64)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum KernelError {
            $($(#[$doc])* $name = $code,)*
        }

        impl KernelError {
            /// Every error, in code order.
            pub const ALL: [KernelError; [$($code),*].len()] = [$(KernelError::$name,)*];
        }
    };
}

kernel_errors! {
    /// Unknown syscall number.
    NoSuchCall = -1,
    /// A pointer or length does not name memory the task may use that way.
    BadAddress = -2,
    /// An argument is out of range (length, index, flag bits, priority...).
    BadArgument = -3,
    /// The other task is dead, or the id names an older generation.
    PeerDied = -4,
    /// The caller lacks the right (only init controls tasks and names).
    Denied = -5,
    /// Out of frames, task slots or registry slots.
    NoMemory = -6,
    /// The task is not waiting for this reply, or holds no such lease.
    NotWaiting = -7,
    /// The lease does not allow this access, or the range passes its end.
    LeaseBounds = -8,
    /// No such name in the registry, or nothing to reap.
    NotFound = -9,
    /// The address is already mapped.
    AlreadyMapped = -10,
    /// The id names no task (never a valid slot).
    NoSuchTask = -11,
}

impl KernelError {
    pub const fn code(self) -> i64 {
        self as i64
    }

    /// Decodes a syscall's `rax`: non-negative values are results.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            KernelError::NoSuchCall => "no such call",
            KernelError::BadAddress => "bad address",
            KernelError::BadArgument => "bad argument",
            KernelError::PeerDied => "peer died",
            KernelError::Denied => "denied",
            KernelError::NoMemory => "out of memory",
            KernelError::NotWaiting => "not waiting",
            KernelError::LeaseBounds => "lease bounds",
            KernelError::NotFound => "not found",
            KernelError::AlreadyMapped => "already mapped",
            KernelError::NoSuchTask => "no such task",
        }
    }
}

impl core::fmt::Display for KernelError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Turns a raw `rax` into a result.
#[inline]
pub fn check(raw: i64) -> Result<u64, KernelError> {
    if raw >= 0 { Ok(raw as u64) } else { Err(KernelError::from_code(raw).unwrap_or(KernelError::BadArgument)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for e in KernelError::ALL {
            assert!(e.code() < 0);
            assert_eq!(KernelError::from_code(e.code()), Some(e));
        }
        assert_eq!(KernelError::ALL.len(), 11);
        assert!(KernelError::ALL.windows(2).all(|pair| pair[1].code() == pair[0].code() - 1), "dense, in order");
        assert_eq!(check(5), Ok(5));
        assert_eq!(check(-4), Err(KernelError::PeerDied));
    }
}
