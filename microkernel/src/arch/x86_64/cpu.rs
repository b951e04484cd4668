//! Small CPU operations: halting, QEMU exit, model-specific registers.

use x86_64::instructions::port::Port;

/// isa-debug-exit codes: QEMU exits with `(code << 1) | 1`.
pub const EXIT_SUCCESS: u32 = 0x10;
pub const EXIT_FAILURE: u32 = 0x11;

/// Ends QEMU through the isa-debug-exit device (test mode and panics).
pub fn qemu_exit(code: u32) -> ! {
    // SAFETY: port 0xf4 is the isa-debug-exit device; without it the write
    // is ignored and we halt below.
    unsafe { Port::<u32>::new(0xf4).write(code) };
    halt_forever()
}

/// ACPI power-off of QEMU's `pc` machine: QEMU exits with status 0.
pub fn poweroff() -> ! {
    // SAFETY: PM1a control of QEMU's PIIX4 ACPI: SLP_TYPa=0 | SLP_EN.
    unsafe { Port::<u16>::new(0x604).write(0x2000) };
    halt_forever()
}

/// Divides by zero in the kernel (a self test of the exception report).
pub fn divide_by_zero() {
    // SAFETY: raises #DE, which the kernel reports before stopping QEMU;
    // no memory is touched.
    unsafe { core::arch::asm!("xor ecx, ecx", "div ecx", out("eax") _, out("edx") _, out("ecx") _) };
}

pub fn disable_interrupts() {
    x86_64::instructions::interrupts::disable();
}

/// Waits for interrupts forever with nothing to do (the kernel before it
/// has tasks): each one is handled, then the CPU halts again.
pub fn idle_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::enable_and_hlt();
        x86_64::instructions::interrupts::disable();
    }
}

pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
