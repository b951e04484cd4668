//! What happens on each kernel entry: syscalls, CPU exceptions, interrupts.

use crate::arch::trap::{Entry, TrapFrame};
use crate::arch::{pic, serial};
use crate::kernel::{KERNEL, Kernel, Unavailable};
use abi::ExitReason;
use kcore::task_index::TaskIndex;

/// `frame` is where the entry stub saved the registers: the running task's
/// own `Task::frame` for every entry from ring 3, else a frame on the idle or
/// boot stack, which is copied into the task here.
pub fn handle(frame: *mut TrapFrame) -> *const TrapFrame {
    // SAFETY: the stub passes the frame it just built; nothing else refers
    // to it until this entry returns. It is read by value here and, when it
    // lives in the task's control block, only through the kernel below.
    let syscall = unsafe { (*frame).is_syscall() };
    // The one kind of entry whose speed matters is told apart first, alone.
    // A syscall comes from ring 3, so its frame is the task's own already.
    if syscall {
        return with_kernel(frame, crate::syscall::enter, || {});
    }
    // SAFETY: as above.
    let entry = unsafe { (*frame).entry() };
    match entry {
        Entry::Syscall => with_kernel(frame, crate::syscall::enter, || {}),
        Entry::Exception(vector) => {
            // SAFETY: as above.
            if unsafe { !(*frame).came_from_user() } || entry.is_machine_event() {
                // SAFETY: as above; the machine stops after the report.
                kernel_exception(unsafe { &*frame }, vector);
            }
            let handle_fault = |k: &mut Kernel| {
                k.count_other_entry();
                let current = adopt(k, frame);
                user_fault(k, current, vector);
                k.finish_entry()
            };
            with_kernel(frame, handle_fault, || {})
        }
        // Before the first task exists only interrupts can arrive.
        Entry::Interrupt(line) => {
            let handle_irq = |k: &mut Kernel| {
                k.count_other_entry();
                adopt(k, frame);
                irq(k, line);
                k.finish_entry()
            };
            with_kernel(frame, handle_irq, || end_of_interrupt(line))
        }
    }
}

/// Runs `handle_entry` on the kernel (`before_tasks` before the first task
/// exists); either gives the frame to resume.
#[inline(always)]
fn with_kernel(
    frame: *mut TrapFrame,
    handle_entry: impl FnOnce(&mut Kernel) -> *const TrapFrame,
    before_tasks: impl FnOnce(),
) -> *const TrapFrame {
    match KERNEL.enter(handle_entry) {
        Ok(resume) => resume,
        Err(Unavailable::NotYet) => {
            before_tasks();
            frame
        }
        Err(Unavailable::InUse) => {
            // SAFETY: as in `handle`.
            let vector = unsafe { (*frame).vector };
            crate::panic::fatal(format_args!("kernel entered again while busy (vector {vector})"))
        }
    }
}

/// Makes `frame` the running task's saved registers, copying it there if
/// the CPU pushed it elsewhere (an interrupt of the idle task, which runs
/// in ring 0 on its own stack). Returns the running task.
fn adopt(k: &mut Kernel, frame: *mut TrapFrame) -> TaskIndex {
    let current = k.current_index();
    let task = k.task_mut(current);
    if !core::ptr::eq(frame, task.frame()) {
        // SAFETY: a frame on the idle or boot stack, valid and not aliased.
        task.store_frame(unsafe { frame.read() });
    }
    current
}

/// A CPU exception in a task kills that task alone; init reports it.
fn user_fault(k: &mut Kernel, current: TaskIndex, vector: u8) {
    let fault = k.task(current).frame().fault(vector);
    k.end_task(current, ExitReason::Fault(fault));
}

fn irq(k: &mut Kernel, line: u8) {
    if pic::is_spurious(line) {
        return;
    }
    if line == 0 {
        k.tick();
    } else if let Some((owner, bits)) = k.irq_owner(line) {
        // Masked until the driver has handled the device and acknowledges.
        pic::set_masked(line, true);
        if let Ok(index) = k.resolve(owner) {
            k.notify(index, bits);
        }
    } else {
        pic::set_masked(line, true);
    }
    pic::end_of_interrupt(line);
}

fn end_of_interrupt(line: u8) {
    if !pic::is_spurious(line) {
        pic::end_of_interrupt(line);
    }
}

/// A CPU exception in the kernel itself is a kernel bug: report it in full
/// and stop the machine with the failure code.
fn kernel_exception(frame: &TrapFrame, vector: u8) -> ! {
    frame.report_kernel_exception(&mut serial::Writer, vector);
    crate::panic::fatal(format_args!("unhandled {} in the kernel", abi::exception_name(vector)))
}
