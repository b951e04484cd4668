//! Creates the first two tasks, idle and init, and enters user space.
//!
//! The kernel does not parse ELF: init comes as a flat image (load address,
//! entry, memory size, bytes) that the image builder prepared. Init gets the
//! whole boot image mapped read-only and loads every other program itself.

use crate::arch::paging::{AddressSpace, BORROWED, user_page_flags};
use crate::arch::pic;
use crate::arch::trap::{self, TrapFrame};
use crate::kernel::{KERNEL, Kernel, Task};
use crate::mem::JobFrames;
use crate::syscall::map_fresh;
use abi::{BOOT_IMAGE_VADDR, JobId, PRIORITY_LEVELS, STACK_SIZE, STACK_TOP};
use bootimg::{BootImage, EntryKind, FlatProgram};
use kcore::pages::PageRights;
use kcore::task_index::TaskIndex;
use kcore::user_memory::PAGE;

const IDLE_STACK_SIZE: usize = 32 * 1024;
/// Init's priority: above ordinary programs, below the console driver.
const INIT_PRIORITY: u8 = 1;

#[repr(C, align(16))]
struct IdleStack([u8; IDLE_STACK_SIZE]);
static mut IDLE_STACK: IdleStack = IdleStack([0; IDLE_STACK_SIZE]);

fn idle_task() -> Task {
    let stack_top = core::ptr::addr_of!(IDLE_STACK) as u64 + IDLE_STACK_SIZE as u64;
    Task::idle(TaskIndex::IDLE.id(0), b"idle", PRIORITY_LEVELS, TrapFrame::idle(stack_top))
}

fn fail(why: core::fmt::Arguments) -> ! {
    crate::panic::fatal(format_args!("cannot start init: {why}"))
}

/// Builds init's address space from the boot image and starts the scheduler.
/// `fast_path`: whether IPC may take the fast path (`syscall::fastpath`).
pub fn run(kernel_space: AddressSpace, image: &'static [u8], image_phys: u64, fast_path: bool) -> ! {
    let parsed = BootImage::parse(image).unwrap_or_else(|e| fail(format_args!("{e}")));
    let entry = parsed.find("init").unwrap_or_else(|| fail(format_args!("no program named init in the boot image")));
    if entry.kind != EntryKind::Flat {
        fail(format_args!("init is not a flat program"));
    }
    let program = FlatProgram::parse(entry.data).unwrap_or_else(|e| fail(format_args!("{e}")));

    let mut frames = JobFrames(JobId::SYSTEM);
    let mut space = AddressSpace::new_user(&mut frames).unwrap_or_else(|| fail(format_args!("out of memory")));
    let exec = user_page_flags(PageRights { write: true, execute: true });
    let size = program.mem_size.div_ceil(PAGE) * PAGE;
    let bytes = program.bytes;
    map_fresh(&mut space, &mut frames, program.load_addr, size, exec, |offset, frame| {
        let start = (offset as usize).min(bytes.len());
        let end = (offset as usize + PAGE as usize).min(bytes.len());
        // SAFETY: `frame` is the direct-map address of a fresh 4 KiB frame.
        unsafe { core::ptr::copy_nonoverlapping(bytes[start..end].as_ptr(), frame, end - start) };
    })
    .unwrap_or_else(|e| fail(format_args!("mapping its image: {e}")));
    let data = user_page_flags(PageRights { write: true, execute: false });
    map_fresh(&mut space, &mut frames, STACK_TOP - STACK_SIZE, STACK_SIZE, data, |_, _| {})
        .unwrap_or_else(|e| fail(format_args!("mapping its stack: {e}")));
    let shared = user_page_flags(PageRights { write: false, execute: false }) | BORROWED;
    for offset in (0..image.len() as u64).step_by(PAGE as usize) {
        space
            .map(BOOT_IMAGE_VADDR + offset, image_phys + offset, shared, &mut frames)
            .unwrap_or_else(|_| fail(format_args!("mapping the boot image")));
    }

    let mut kernel = Kernel::new(kernel_space, idle_task(), fast_path);
    let mut space = Some(space);
    let id = kernel
        .allocate_slot(|id| {
            Task::new(id, b"init", INIT_PRIORITY, JobId::SYSTEM, space.take().expect("a slot is built once"))
                .supervisor()
        })
        .unwrap_or_else(|| fail(format_args!("no task slot")));
    let index = TaskIndex::of(id).unwrap_or_else(|| fail(format_args!("no task slot")));
    let mut first = TrapFrame::user_entry(program.entry, STACK_TOP, BOOT_IMAGE_VADDR, image.len() as u64);
    // Init's own id, so that it needs no name lookup to know itself.
    first.rdx = id.raw() as u64;
    kernel.start_task(index, first).unwrap_or_else(|e| fail(format_args!("starting it: {e}")));

    let frame = kernel.finish_entry();
    KERNEL.install(kernel);
    pic::start_timer(abi::TICK_HZ);
    // SAFETY: `frame` is init's complete first frame inside its boxed task,
    // which lives in the kernel table; finish_entry set its FPU area.
    unsafe { trap::enter(frame) }
}
