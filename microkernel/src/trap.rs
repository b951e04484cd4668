//! What happens on each kernel entry: syscalls, CPU exceptions, interrupts.

use crate::arch::trap::{TrapFrame, IRQ_BASE, SYSCALL_VECTOR};
use crate::arch::{pic, serial};
use crate::kernel::{Kernel, KERNEL};
use abi::{ExitReason, FaultInfo};
use core::fmt::Write;

const NMI: u64 = 2;
const MACHINE_CHECK: u64 = 18;

/// `frame` is where the entry stub saved the registers: the running task's
/// own `Task::frame` for every entry from ring 3, else a frame on the idle or
/// boot stack, which is copied into the task here.
pub fn handle(frame: *mut TrapFrame) -> *const TrapFrame {
    // SAFETY: the stub passes the frame it just built; nothing else refers
    // to it until this entry returns. It is read by value here and, when it
    // lives in the task's control block, only through the kernel below.
    let (vector, from_user) = unsafe { ((*frame).vector, (*frame).from_user()) };
    // NMI and machine check are the machine's events, not the running
    // task's fault: never blame (kill) a task for them.
    if vector < IRQ_BASE as u64 && (!from_user || matches!(vector, NMI | MACHINE_CHECK)) {
        // SAFETY: as above; the machine stops after the report.
        kernel_exception(unsafe { &*frame });
    }
    let Some(mut guard) = KERNEL.try_lock() else {
        crate::panic::fatal(format_args!("kernel entered again while busy (vector {vector})"))
    };
    let Some(k) = guard.as_mut() else {
        // Before the first task exists only interrupts can arrive.
        irq_without_tasks(vector);
        return frame;
    };
    let task = k.current();
    if !core::ptr::eq(frame, &task.frame) {
        // SAFETY: a frame on the idle or boot stack, valid and not aliased.
        task.frame = unsafe { frame.read() };
    }
    match vector {
        SYSCALL_VECTOR => crate::syscall::dispatch(k),
        v if v < IRQ_BASE as u64 => user_fault(k),
        v => irq(k, (v - IRQ_BASE as u64) as u8),
    }
    k.finish_entry()
}

/// A CPU exception in a task kills that task alone; init reports it.
fn user_fault(k: &mut Kernel) {
    let frame = k.current().frame;
    let address = if frame.vector == 14 { x86_64::registers::control::Cr2::read_raw() } else { 0 };
    let info = FaultInfo { vector: frame.vector as u8, address, rip: frame.rip, error_code: frame.error_code };
    let current = k.current;
    k.end_task(current, ExitReason::Fault(info));
}

fn irq(k: &mut Kernel, line: u8) {
    if pic::is_spurious(line) {
        return;
    }
    if line == 0 {
        k.tick();
    } else if let Some((owner, bit)) = k.irq_lines.owner(line) {
        // Masked until the driver has handled the device and acknowledges.
        pic::set_masked(line, true);
        if let Ok(index) = k.resolve(owner) {
            k.notify(index, bit);
        }
    } else {
        pic::set_masked(line, true);
    }
    pic::end_of_interrupt(line);
}

fn irq_without_tasks(vector: u64) {
    let line = (vector - IRQ_BASE as u64) as u8;
    if !pic::is_spurious(line) {
        pic::end_of_interrupt(line);
    }
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
