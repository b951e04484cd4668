//! In-kernel self tests, run with `-append test` (all) or `-append test=NAME`.
//!
//! They exercise what only real hardware state can show: page tables,
//! exceptions, the heap. Each prints `selftest: NAME ... ok`; the run ends
//! QEMU through isa-debug-exit with success or failure.

use crate::arch::paging::{AddressSpace, user_page_flags};
use crate::arch::{boot, cpu};
use crate::{kprintln, mem};
use alloc::vec::Vec;
use kcore::pages::PageRights;

type Check = (&'static str, fn() -> Result<(), &'static str>);

const CHECKS: &[Check] =
    &[("frames", frames_round_trip), ("heap", heap_round_trip), ("paging", address_space_round_trip)];

/// Recurses until the kernel stack overflows into its guard page (the
/// bound only keeps the compiler from seeing endless recursion).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 64]);
    if depth == u64::MAX {
        return depth;
    }
    recurse(depth + 1) + frame[depth as usize % 64]
}

pub fn run(which: &str) -> ! {
    match which {
        "page-fault" => {
            kprintln!("selftest: reading an unmapped address");
            // SAFETY: deliberately faults; the exception handler reports it
            // and stops QEMU, so control never comes back here.
            let value = unsafe { core::ptr::read_volatile(0xdead_0000 as *const u64) };
            kprintln!("selftest: read {value:#x} from an unmapped page");
            cpu::qemu_exit(cpu::EXIT_FAILURE)
        }
        "stack-overflow" => {
            kprintln!("selftest: overflowing the kernel stack, guard page at {:#x}", boot::stack_guard_page());
            let depth = recurse(core::hint::black_box(0));
            kprintln!("selftest: recursed {depth} deep without a fault");
            cpu::qemu_exit(cpu::EXIT_FAILURE)
        }
        "divide-error" => {
            kprintln!("selftest: dividing by zero");
            cpu::divide_by_zero();
            cpu::qemu_exit(cpu::EXIT_FAILURE)
        }
        "" | "all" => {}
        other => {
            kprintln!("selftest: unknown test {other}");
            cpu::qemu_exit(cpu::EXIT_FAILURE)
        }
    }
    let mut failed = 0;
    for (name, check) in CHECKS {
        match check() {
            Ok(()) => kprintln!("selftest: {name} ... ok"),
            Err(why) => {
                failed += 1;
                kprintln!("selftest: {name} ... FAILED: {why}");
            }
        }
    }
    if failed == 0 {
        kprintln!("selftest: all passed");
        cpu::qemu_exit(cpu::EXIT_SUCCESS)
    }
    kprintln!("selftest: {failed} failed");
    cpu::qemu_exit(cpu::EXIT_FAILURE)
}

fn frames_round_trip() -> Result<(), &'static str> {
    let before = mem::frame_counts();
    let frames: Vec<u64> = (0..64).filter_map(|_| mem::alloc_zeroed()).collect();
    if frames.len() != 64 {
        return Err("could not allocate 64 frames");
    }
    if mem::frame_counts().1 != before.1 + 64 {
        return Err("used count did not grow by 64");
    }
    for f in frames {
        mem::with_frames(|a| a.free(f)).map_err(|_| "free failed")?;
    }
    (mem::frame_counts() == before).then_some(()).ok_or("counts differ after freeing")
}

fn heap_round_trip() -> Result<(), &'static str> {
    let v: Vec<u64> = (0..10_000).collect();
    (v.iter().sum::<u64>() == 49_995_000).then_some(()).ok_or("heap data corrupted")
}

fn address_space_round_trip() -> Result<(), &'static str> {
    let before = mem::frame_counts();
    let mut space = AddressSpace::new_user(&mut mem::Frames).ok_or("no frame for a table")?;
    let frame = mem::alloc_zeroed().ok_or("no frame")?;
    let vaddr = 0x40_0000;
    let flags = user_page_flags(PageRights { write: true, execute: true });
    space.map(vaddr, frame, flags, &mut mem::Frames).map_err(|_| "map failed")?;
    if space.map(vaddr, frame, flags, &mut mem::Frames).is_ok() {
        return Err("double map accepted");
    }
    match space.translate(vaddr + 0x10) {
        Some((phys, f)) if phys == frame && f.contains(flags) => {}
        _ => return Err("translate disagrees with map"),
    }
    if space.translate(vaddr + 0x1000).is_some() {
        return Err("unmapped page translates");
    }
    space.destroy(&mut mem::Frames);
    (mem::frame_counts() == before).then_some(()).ok_or("address space leaked frames")
}
