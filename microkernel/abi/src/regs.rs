//! The register convention as types: where a call's arguments sit, and how
//! the kernel's answer comes back.
//!
//! A task puts the syscall number in `rax` and up to six arguments in
//! [`ArgRegs`]; every call's arguments have a type (in [`crate::args`] and
//! [`crate::ipc_regs`]) that packs itself into those registers with
//! `to_regs` and is read back with `from_regs`, so the layout is written
//! here and nowhere else. The kernel answers with [`Results`]: `rax` and,
//! for calls that return more, the first few [`ResultRegs`]; each result
//! type turns itself into `Results` for the kernel and decodes the
//! registers for user code.

use crate::{JobId, KernelError, TaskId};

/// Argument registers, in order: `rdi, rsi, rdx, r10, r8, r9`.
pub type ArgRegs = [u64; 6];

/// Result registers after `rax`, in order: `rdi, rsi, rdx, r8, r9, r10`.
pub type ResultRegs = [u64; 6];

/// What a call leaves in the registers: `rax` and the first `count` result
/// registers. The others keep what they held on entry (often an argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Results {
    rax: i64,
    extra: ResultRegs,
    count: usize,
}

impl Results {
    /// `rax` = `value`, nothing else written.
    #[inline]
    pub const fn value(value: u64) -> Self {
        Results { rax: value as i64, extra: [0; 6], count: 0 }
    }

    /// `rax` = the error's code, nothing else written.
    #[inline]
    pub const fn error(error: KernelError) -> Self {
        Results { rax: error.code(), extra: [0; 6], count: 0 }
    }

    /// `rax` = the value or the error's code.
    #[inline]
    pub const fn of(result: Result<u64, KernelError>) -> Self {
        match result {
            Ok(value) => Results::value(value),
            Err(error) => Results::error(error),
        }
    }

    /// `rax` and the first `N` result registers (`N` is at most six).
    #[inline]
    pub const fn with<const N: usize>(rax: i64, values: [u64; N]) -> Self {
        let mut extra = [0; 6];
        let mut i = 0;
        while i < N {
            extra[i] = values[i];
            i += 1;
        }
        Results { rax, extra, count: N }
    }

    /// The same result registers with another `rax`.
    #[inline]
    pub const fn with_rax(self, rax: i64) -> Self {
        Results { rax, ..self }
    }

    #[inline]
    pub const fn rax(&self) -> i64 {
        self.rax
    }

    /// The result registers written, from `rdi` on.
    #[inline]
    pub fn written(&self) -> &[u64] {
        &self.extra[..self.count]
    }

    /// The registers as a task sees them after the call, given what the
    /// result registers held on entry.
    #[inline]
    pub fn applied_to(&self, before: ResultRegs) -> (i64, ResultRegs) {
        let mut after = before;
        after[..self.count].copy_from_slice(self.written());
        (self.rax, after)
    }
}

/// A value that travels in one register. Values narrower than 64 bits use
/// the low bits and ignore the rest (`docs/abi.md`: "u32" arguments).
pub trait Register: Copy {
    fn from_reg(raw: u64) -> Self;
    fn to_reg(self) -> u64;
}

impl Register for u64 {
    #[inline]
    fn from_reg(raw: u64) -> Self {
        raw
    }
    #[inline]
    fn to_reg(self) -> u64 {
        self
    }
}

impl Register for u32 {
    #[inline]
    fn from_reg(raw: u64) -> Self {
        raw as u32
    }
    #[inline]
    fn to_reg(self) -> u64 {
        self as u64
    }
}

impl Register for i32 {
    #[inline]
    fn from_reg(raw: u64) -> Self {
        raw as i32
    }
    /// Sign-extended, as a task passes an `int`.
    #[inline]
    fn to_reg(self) -> u64 {
        self as i64 as u64
    }
}

impl Register for TaskId {
    #[inline]
    fn from_reg(raw: u64) -> Self {
        TaskId::from_raw(raw as u32)
    }
    #[inline]
    fn to_reg(self) -> u64 {
        self.raw() as u64
    }
}

impl Register for JobId {
    #[inline]
    fn from_reg(raw: u64) -> Self {
        JobId::new(raw as u32)
    }
    #[inline]
    fn to_reg(self) -> u64 {
        self.raw() as u64
    }
}

/// Declares a call's argument struct whose fields each take one register,
/// with `to_regs` and `from_regs`. Registers not named are 0 on the way in
/// and ignored by the kernel.
macro_rules! register_args {
    ($(
        $(#[$doc:meta])*
        pub struct $name:ident { $($(#[$field_doc:meta])* pub $field:ident: $ty:ty = $reg:literal,)* }
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: $ty,)*
        }

        impl $name {
            #[inline]
            pub fn to_regs(&self) -> $crate::ArgRegs {
                #[allow(unused_mut)]
                let mut regs = [0; 6];
                $(regs[$reg] = $crate::Register::to_reg(self.$field);)*
                regs
            }

            #[inline]
            #[allow(unused_variables)]
            pub fn from_regs(regs: $crate::ArgRegs) -> Self {
                $name { $($field: $crate::Register::from_reg(regs[$reg]),)* }
            }
        }
    )*};
}
pub(crate) use register_args;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_write_only_their_registers() {
        let before = [1, 2, 3, 4, 5, 6];
        assert_eq!(Results::value(7).applied_to(before), (7, before));
        assert_eq!(Results::error(KernelError::PeerDied).applied_to(before), (-4, before));
        assert_eq!(Results::with(0, [9, 8]).applied_to(before), (0, [9, 8, 3, 4, 5, 6]));
        assert_eq!(Results::with(-2, [1; 6]).written(), &[1; 6]);
    }

    #[test]
    fn narrow_values_ignore_the_high_bits() {
        assert_eq!(u32::from_reg(0xdead_0000_0007), 7);
        assert_eq!(i32::from_reg((-3i32).to_reg()), -3);
        assert_eq!(TaskId::from_reg(1 << 40 | 5), TaskId::from_raw(5));
        assert_eq!(JobId::from_reg(JobId::new(9).to_reg()), JobId::new(9));
    }
}
