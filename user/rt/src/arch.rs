//! The one place that executes the `syscall` instruction.
//!
//! Arguments go in `rdi, rsi, rdx, r10, r8, r9` (`abi::ArgRegs`); the kernel
//! answers in `rax` (a result or a negative `abi::KernelError`) and, for some
//! calls, in `rdi, rsi, rdx, r8, r9, r10` (`abi::ResultRegs`). The
//! instruction itself clobbers `rcx` and `r11`.

use core::arch::asm;

use abi::{ArgRegs, ResultRegs, Sysnum};

/// Every register the kernel may write on the way out.
#[derive(Clone, Copy, Debug)]
pub struct Regs {
    pub rax: i64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
}

impl Regs {
    /// The result registers in `abi`'s order, for the result types to decode.
    pub fn results(&self) -> ResultRegs {
        [self.rdi, self.rsi, self.rdx, self.r8, self.r9, self.r10]
    }
}

/// Issues syscall `number` with six arguments.
///
/// # Safety
/// The kernel may read or write any memory the arguments point at, as the call
/// `number` defines; the caller must make those pointers valid for that use
/// (or accept that the kernel answers `BadAddress`). Calls that change the
/// address space (`unmap`) must not remove memory Rust still refers to.
#[inline(always)]
pub unsafe fn syscall(number: Sysnum, args: ArgRegs) -> Regs {
    let rax: i64;
    let rdi: u64;
    let rsi: u64;
    let rdx: u64;
    let r8: u64;
    let r9: u64;
    let r10: u64;
    // The kernel preserves every register not named here and runs on its own
    // stack, so the user stack (red zone included) is untouched. No `nomem`:
    // the kernel may read and write memory we passed.
    // SAFETY: the caller upholds the pointer contract of `number`.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number as u64 => rax,
            inlateout("rdi") args[0] => rdi,
            inlateout("rsi") args[1] => rsi,
            inlateout("rdx") args[2] => rdx,
            inlateout("r10") args[3] => r10,
            inlateout("r8") args[4] => r8,
            inlateout("r9") args[5] => r9,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    Regs { rax, rdi, rsi, rdx, r8, r9, r10 }
}
