//! Kernel panics: a bug in the kernel, never something a task can cause.

use crate::arch::{cpu, serial};
use core::fmt::Write;

struct PanicWriter;

impl Write for PanicWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial::write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Prints straight to COM1 (whoever owns it) and stops QEMU with failure.
pub fn fatal(args: core::fmt::Arguments) -> ! {
    x86_64::instructions::interrupts::disable();
    let _ = writeln!(PanicWriter, "\nKERNEL PANIC: {args}");
    cpu::qemu_exit(cpu::EXIT_FAILURE)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    fatal(format_args!("{info}"))
}
