//! The microkernel: boot, memory, tasks, scheduling and IPC. Nothing else.
//!
//! `kernel_main` only orders the initialisation steps; each lives in its own
//! module. Device drivers, program loading, sockets and the shell are user
//! tasks started by init.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

mod arch;
mod bootinfo;
mod kernel;
mod klog;
mod mem;
mod panic;
mod selftest;
mod start;
mod syscall;
mod trap;
mod usercopy;

memops::export!();

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Entered from the boot stub in long mode with the boot page tables.
#[unsafe(no_mangle)]
extern "C" fn kernel_main(multiboot_magic: u32, multiboot_info: u32) -> ! {
    arch::serial::init();
    kprintln!("microkernel {VERSION} (x86_64)");
    let boot = bootinfo::read(multiboot_magic, multiboot_info);
    mem::init_frames(&boot);
    let kernel_space = bootinfo::init_paging(&boot);
    mem::init_heap();
    arch::init_cpu();
    let (free, used) = mem::frame_counts();
    kprintln!("memory: {} MiB usable, {} frames free, {} used", boot.usable_bytes() >> 20, free, used);
    let image = bootinfo::boot_image(&boot);
    if let Some(test) = kcore::cmdline::option(boot.cmdline(), "test") {
        selftest::run(test);
    }
    // `fastpath=off` sends every call through the general path, so that the
    // two can be compared on the same programs.
    let fast_path = kcore::cmdline::option(boot.cmdline(), "fastpath") != Some("off");
    if !fast_path {
        kprintln!("kernel: IPC fast path off");
    }
    match image {
        Some((bytes, phys)) => start::run(kernel_space, bytes, phys, fast_path),
        None => {
            kprintln!("kernel: idle");
            arch::cpu::idle_forever()
        }
    }
}
