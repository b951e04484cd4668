//! `fault KIND`: executes a real CPU fault so init's report and the kernel's
//! isolation can be seen. KIND is one of null, gp, ud, div0, kernel-write,
//! stack-overflow, or spin (loop forever instead).
#![no_std]
#![no_main]

use core::arch::asm;

urt::entry!(main);

const KINDS: &str = "null, gp, ud, div0, kernel-write, stack-overflow, spin";
/// An address in the kernel's half, mapped for the kernel only.
const KERNEL_ADDRESS: u64 = 0xffff_ffff_8010_0000;

fn main() -> i32 {
    let kind = urt::args().nth(1).unwrap_or("");
    match kind {
        "null" => {
            // SAFETY: none: reading address 0 page-faults by design (the
            // first 4 MiB are never mapped), which is this program's job.
            unsafe { asm!("mov {0}, qword ptr [{1}]", out(reg) _, in(reg) 0u64, options(nostack)) };
        }
        "gp" => {
            // SAFETY: none needed: `hlt` is privileged, so ring 3 gets #GP.
            unsafe { asm!("hlt", options(nostack, nomem)) };
        }
        "ud" => {
            // SAFETY: none needed: ud2 raises #UD by definition.
            unsafe { asm!("ud2", options(nostack, nomem)) };
        }
        "div0" => {
            // SAFETY: none needed: dividing by a zero register raises #DE;
            // the divisor comes through a register so nothing folds it.
            unsafe {
                asm!("div {0}", in(reg) core::hint::black_box(0u64), inout("rax") 1u64 => _,
                    inout("rdx") 0u64 => _, options(nostack, nomem))
            };
        }
        "kernel-write" => {
            // SAFETY: none: writing a supervisor-only page from ring 3 page-faults.
            unsafe { asm!("mov byte ptr [{0}], 1", in(reg) KERNEL_ADDRESS, options(nostack)) };
        }
        "stack-overflow" => {
            urt::println!("fault: recursion reached depth {}", recurse(0));
        }
        "spin" => loop {
            core::hint::spin_loop();
        },
        _ => {
            urt::println!("usage: fault KIND (KIND: {KINDS})");
            return 2;
        }
    }
    urt::println!("fault: {kind} did not fault");
    1
}

/// Recurses with a kilobyte frame each time until the stack runs out; the
/// depth check can never end it (there is not that much memory), it only
/// keeps the recursion from being provably infinite.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 128]);
    if depth == u64::MAX {
        return frame[0];
    }
    recurse(depth + 1).wrapping_add(frame[1])
}
