//! The kernel's own COM1 output: boot messages before the console server
//! owns the port, and panic reports.

use x86_64::instructions::port::Port;

const COM1: u16 = 0x3f8;
/// COM1's eight registers.
const COM1_PORTS: u16 = 8;

pub fn init() {
    let reg = |offset: u16, value: u8| {
        // SAFETY: COM1 registers; the kernel owns the UART until it grants
        // the ports to the console server.
        unsafe { Port::<u8>::new(COM1 + offset).write(value) }
    };
    reg(1, 0x00); // no interrupts until the console server wants them
    reg(3, 0x80); // divisor latch
    reg(0, 0x03); // 38400 baud
    reg(1, 0x00);
    reg(3, 0x03); // 8N1
    // FIFOs stay off: enabling them would drop input that arrived before
    // boot (the console server reads it later, one byte per interrupt).
    reg(2, 0x00);
    reg(4, 0x0b); // DTR, RTS, OUT2
}

/// Whether a grant of `ports` hands over the port the kernel writes its
/// log to.
pub fn among(ports: kcore::grants::PortRange) -> bool {
    ports.overlaps(COM1, COM1_PORTS)
}

pub fn write_byte(byte: u8) {
    let mut status = Port::<u8>::new(COM1 + 5);
    let mut spins = 0u32;
    // SAFETY: reading the line status register has no side effect; bounded so a missing UART cannot hang the kernel.
    while unsafe { status.read() } & 0x20 == 0 && spins < 100_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    // SAFETY: writing the transmit holding register sends one byte.
    unsafe { Port::<u8>::new(COM1).write(byte) };
}

pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            write_byte(b'\r');
        }
        write_byte(b);
    }
}

/// Formatted output straight to COM1, whoever owns it: for reports of a
/// kernel fault or panic, when the machine is about to stop.
pub struct Writer;

impl core::fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}
