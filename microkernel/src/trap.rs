//! What happens on each kernel entry: syscalls, CPU exceptions, interrupts.

use crate::arch::trap::{TrapFrame, IRQ_BASE, SYSCALL_VECTOR};
use crate::arch::{cpu, pic, serial};
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

/// Timer ticks since boot (one per millisecond).
pub static TICKS: AtomicU64 = AtomicU64::new(0);

pub fn handle(frame: &mut TrapFrame) -> *const TrapFrame {
    match frame.vector {
        SYSCALL_VECTOR => kernel_exception(frame),
        v if v < IRQ_BASE as u64 => kernel_exception(frame),
        v => {
            irq((v - IRQ_BASE as u64) as u8);
            frame
        }
    }
}

fn irq(line: u8) {
    if pic::is_spurious(line) {
        return;
    }
    if line == 0 {
        TICKS.fetch_add(1, Ordering::Relaxed);
    }
    pic::end_of_interrupt(line);
}

struct Serial;

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial::write_bytes(s.as_bytes());
        Ok(())
    }
}

/// A CPU exception in the kernel itself is a kernel bug: report it in full
/// and stop the machine with the failure code.
fn kernel_exception(frame: &TrapFrame) -> ! {
    let vector = frame.vector as u8;
    let mut out = Serial;
    let _ = write!(
        out,
        "\nEXCEPTION: {} (vector {}) error={:#x} rip={:#x} rsp={:#x}",
        abi::exception_name(vector),
        vector,
        frame.error_code,
        frame.rip,
        frame.rsp
    );
    if vector == 14 {
        let _ = write!(out, " cr2={:#x}", x86_64::registers::control::Cr2::read_raw());
    }
    let _ = writeln!(out, " in kernel mode");
    crate::panic::fatal(format_args!("unhandled {} in the kernel", abi::exception_name(vector)))
}

#[allow(dead_code)]
pub fn exit_qemu(success: bool) -> ! {
    cpu::qemu_exit(if success { cpu::EXIT_SUCCESS } else { cpu::EXIT_FAILURE })
}
