//! Kernel panics: a bug in the kernel, never something a task can cause.

use crate::arch::{cpu, serial};
use core::fmt::Write;

/// Prints straight to COM1 (whoever owns it) and stops QEMU with failure.
pub fn fatal(args: core::fmt::Arguments) -> ! {
    cpu::disable_interrupts();
    let _ = writeln!(serial::Writer, "\nKERNEL PANIC: {args}");
    cpu::qemu_exit(cpu::EXIT_FAILURE)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    fatal(format_args!("{info}"))
}
