//! Whether a task's saved registers can be resumed with `iretq`.
//!
//! `iretq` (like `sysret`) checks the return address against the
//! canonical form before it leaves ring 0: on real CPUs a non-canonical one
//! raises #GP with the kernel's privilege, a kernel exception a task could
//! trigger at will. The only way a task's saved `rip` leaves user space is
//! `syscall` in the last bytes of the lower half, which `abi::USER_END` (one
//! page below the limit) already rules out; this check is the second line.
//! A stack pointer is checked too: the task cannot use it anyway, and no
//! CPU then sees one on the way out.

/// Vector of the general protection fault: what a jump to a non-canonical
/// address raises.
pub const GENERAL_PROTECTION: u8 = 13;
/// Vector of the stack-segment fault: what a stack access through a
/// non-canonical stack pointer raises.
pub const STACK_SEGMENT: u8 = 12;

/// Bits 47..63 all equal: the address is canonical with 48-bit addressing.
pub const fn is_canonical(addr: u64) -> bool {
    ((addr as i64) << 16 >> 16) as u64 == addr
}

/// The exception a task's frame stands for if it cannot be resumed as saved:
/// `GENERAL_PROTECTION` for a non-canonical `rip`, `STACK_SEGMENT` for a
/// non-canonical `rsp`; `None` when it can.
pub const fn unresumable(rip: u64, rsp: u64) -> Option<u8> {
    if !is_canonical(rip) {
        Some(GENERAL_PROTECTION)
    } else if !is_canonical(rsp) {
        Some(STACK_SEGMENT)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_halves_and_the_hole_between() {
        for addr in [0, 0x40_0000, abi::USER_END, 0x7fff_ffff_ffff, 0xffff_8000_0000_0000, u64::MAX] {
            assert!(is_canonical(addr), "{addr:#x}");
        }
        for addr in [0x8000_0000_0000, 0x8000_0000_0001, 0xffff_7fff_ffff_ffff, 1 << 63, 0x7fff_ffff_ffff_ffff] {
            assert!(!is_canonical(addr), "{addr:#x}");
        }
    }

    #[test]
    fn user_space_ends_a_page_below_the_canonical_limit() {
        // `syscall` in the last bytes of user space returns to USER_END,
        // which must stay canonical.
        assert!(is_canonical(abi::USER_END));
        assert_eq!(abi::USER_END, 0x8000_0000_0000 - abi::PAGE_SIZE as u64);
    }

    #[test]
    fn a_bad_return_address_is_a_general_protection_fault() {
        assert_eq!(unresumable(0x40_1000, 0x7fff_fff0_0000), None);
        assert_eq!(unresumable(0x8000_0000_0000, 0x7fff_fff0_0000), Some(GENERAL_PROTECTION));
        assert_eq!(unresumable(0x8000_0000_0000, 1 << 63), Some(GENERAL_PROTECTION));
        assert_eq!(unresumable(0x40_1000, 0x8000_0000_0000), Some(STACK_SEGMENT));
    }
}
