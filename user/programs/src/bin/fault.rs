//! `fault KIND`: executes a real CPU fault so init's report and the kernel's
//! isolation can be seen. KIND is one of null, gp, ud, div0, x87, simd,
//! kernel-write, stack-overflow, or spin (loop forever instead).
#![no_std]
#![no_main]

use core::arch::asm;

urt::entry!(main);

const KINDS: &str = "null, gp, ud, div0, x87, simd, kernel-write, stack-overflow, spin";
/// An address in the kernel's half, mapped for the kernel only.
const KERNEL_ADDRESS: u64 = 0xffff_ffff_8010_0000;
/// The x87 control word after `fninit` (0x037f) with every exception unmasked.
const X87_UNMASKED: u16 = 0x0340;
/// The default MXCSR (0x1f80) with divide-by-zero (bit 9) unmasked.
const MXCSR_ZERO_DIVIDE_UNMASKED: u32 = 0x1f80 & !(1 << 9);

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
        "x87" => {
            let (control, zero) = (X87_UNMASKED, core::hint::black_box(0.0f32));
            // SAFETY: none needed: the task's own x87 state. 1 / 0 with the
            // exception unmasked leaves it pending; `fwait` raises #MF.
            unsafe {
                asm!("fninit", "fldcw word ptr [{control}]", "fld1", "fdiv dword ptr [{zero}]", "fwait",
                    control = in(reg) &control, zero = in(reg) &zero, options(nostack))
            };
        }
        "simd" => {
            let mxcsr = MXCSR_ZERO_DIVIDE_UNMASKED;
            // SAFETY: none needed: the task's own SSE state. Dividing by zero
            // with the exception unmasked raises #XM (QEMU 7.2's TCG only
            // sets the flag, so there the program reports that it survived).
            unsafe {
                asm!("ldmxcsr dword ptr [{mxcsr}]", "divss {x}, {y}", mxcsr = in(reg) &mxcsr,
                    x = inout(xmm_reg) core::hint::black_box(1.0f32) => _,
                    y = in(xmm_reg) core::hint::black_box(0.0f32), options(nostack))
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
