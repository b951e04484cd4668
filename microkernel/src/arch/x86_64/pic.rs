//! The legacy 8259 interrupt controllers and the 8254 timer.
//!
//! IRQs 0..15 arrive at vectors 32..47. IRQ 0 is the scheduler tick; the
//! others are masked until a user-space driver is granted one, and each is
//! masked again while its notification is being handled.

use x86_64::instructions::port::Port;

const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xa0;
const PIC2_DATA: u16 = 0xa1;
const PIT_CHANNEL0: u16 = 0x40;
const PIT_COMMAND: u16 = 0x43;
const PIT_HZ: u64 = 1_193_182;

fn outb(port: u16, value: u8) {
    // SAFETY: only called with the PIC and PIT ports, which the kernel owns.
    unsafe { Port::<u8>::new(port).write(value) }
}

fn inb(port: u16) -> u8 {
    // SAFETY: as in outb.
    unsafe { Port::<u8>::new(port).read() }
}

/// Remaps both PICs to vectors 32..47, all lines masked except the cascade.
pub fn init(vector_base: u8) {
    outb(PIC1_COMMAND, 0x11); // initialise, expect ICW4
    outb(PIC2_COMMAND, 0x11);
    outb(PIC1_DATA, vector_base);
    outb(PIC2_DATA, vector_base + 8);
    outb(PIC1_DATA, 4); // slave on IRQ 2
    outb(PIC2_DATA, 2);
    outb(PIC1_DATA, 0x01); // 8086 mode
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, !(1 << 2));
    outb(PIC2_DATA, 0xff);
}

pub fn set_masked(irq: u8, masked: bool) {
    let (port, bit) = if irq < 8 { (PIC1_DATA, irq) } else { (PIC2_DATA, irq - 8) };
    let mask = inb(port);
    outb(port, if masked { mask | (1 << bit) } else { mask & !(1 << bit) });
}

pub fn end_of_interrupt(irq: u8) {
    if irq >= 8 {
        outb(PIC2_COMMAND, 0x20);
    }
    outb(PIC1_COMMAND, 0x20);
}

/// Whether an IRQ 7 or 15 is real: the PIC raises spurious ones on those lines.
pub fn is_spurious(irq: u8) -> bool {
    let (command, bit) = match irq {
        7 => (PIC1_COMMAND, 7),
        15 => (PIC2_COMMAND, 7),
        _ => return false,
    };
    outb(command, 0x0b); // read in-service register
    inb(command) & (1 << bit) == 0
}

/// Starts the timer at `hz` interrupts per second on IRQ 0.
pub fn start_timer(hz: u64) {
    let divisor = (PIT_HZ / hz).clamp(1, 0xffff) as u16;
    outb(PIT_COMMAND, 0x34); // channel 0, lobyte/hibyte, rate generator
    outb(PIT_CHANNEL0, divisor as u8);
    outb(PIT_CHANNEL0, (divisor >> 8) as u8);
    set_masked(0, false);
}
