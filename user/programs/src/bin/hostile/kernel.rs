//! Attacks on the kernel's own entry and exit paths.

use core::arch::asm;

use abi::{PAGE_SIZE, Sysnum, USER_END, map_flags};
use urt::{println, sys};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[
    Attack { name: "syscall-at-top", about: "runs `syscall` in the last two bytes of user space", run: syscall_at_top },
    Attack {
        name: "noncanonical-rsp",
        about: "enters the kernel with a non-canonical stack pointer",
        run: noncanonical_rsp,
    },
];

const PAGE: u64 = PAGE_SIZE as u64;
/// The end of the lower canonical half: the first address whose bits 47..63
/// are not all equal.
const CANONICAL_END: u64 = 1 << 47;
/// The encoding of `syscall`.
const SYSCALL: [u8; 2] = [0x0f, 0x05];

/// Maps the page just below the canonical limit (or, when the kernel refuses
/// it, the highest page it allows) and executes `syscall` in its last two
/// bytes. `syscall` saves the address after itself as the return address,
/// which in the top page is the first non-canonical address: returning there
/// with `sysret` or `iretq` faults in ring 0 on real CPUs. On the highest page
/// the kernel allows, the return address is the (unmapped) `USER_END`, so the
/// task page-faults in ring 3 like any task running off its code.
fn syscall_at_top(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let top = CANONICAL_END - PAGE;
    let flags = map_flags::WRITE | map_flags::EXEC;
    let page = match sys::map(top, PAGE, flags) {
        Ok(()) => {
            println!("hostile: mapped the top page {top:#x}");
            top
        }
        Err(error) => {
            println!("hostile: the top page {top:#x} cannot be mapped: {error}");
            let highest = USER_END - PAGE;
            if let Err(error) = sys::map(highest, PAGE, flags) {
                println!("hostile: the highest page {highest:#x} cannot be mapped either: {error}");
                return 1;
            }
            highest
        }
    };
    let at = page + PAGE - SYSCALL.len() as u64;
    // SAFETY: the page was just mapped writable at an address nothing else
    // uses; `at` and the byte after it are its last two bytes.
    unsafe { core::ptr::write_volatile(at as *mut [u8; 2], SYSCALL) };
    println!("hostile: syscall at {at:#x}, returning to {:#x}", page + PAGE);
    // SAFETY: none: jumping into the page runs `yield`, then execution falls
    // off the end of the page, which ends this task by design.
    unsafe { asm!("jmp {at}", at = in(reg) at, in("rax") Sysnum::Yield as u64, options(noreturn)) }
}

/// Enters the kernel by `syscall` with a non-canonical stack pointer, so the
/// kernel's way back must not hand it to `iretq`. Should the kernel resume
/// the task anyway, `ud2` ends it with a different report.
fn noncanonical_rsp(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    println!("hostile: syscall with rsp {CANONICAL_END:#x}");
    // SAFETY: none: the stack pointer is made unusable on purpose; the task
    // ends in the kernel or at `ud2` and never touches its stack again.
    unsafe {
        asm!(
            "mov rsp, {bad}",
            "syscall",
            "ud2",
            bad = in(reg) CANONICAL_END,
            in("rax") Sysnum::Yield as u64,
            options(noreturn),
        )
    }
}
