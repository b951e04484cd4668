//! map / unmap: anonymous memory for user heaps and stacks.

use super::{Handled, Next};
use crate::arch::paging::{AddressSpace, FrameSource, PageTableFlags, phys_to_virt, user_page_flags};
use crate::kernel::Kernel;
use crate::mem::{self, JobFrames};
use abi::{KernelError, MapArgs, UnmapArgs};
use kcore::pages::{PageRange, PageRights};
use kcore::task_index::TaskIndex;
use kcore::user_memory::PAGE;

/// Maps fresh zeroed frames over `[addr, addr + len)`; all or nothing.
/// Every frame, page tables included, comes from `frames` (charged to the
/// job of the task that owns `space`). `fill` may write initial contents
/// into each new frame (page offset, frame).
pub fn map_fresh(
    space: &mut AddressSpace,
    frames: &mut JobFrames,
    addr: u64,
    len: u64,
    flags: PageTableFlags,
    mut fill: impl FnMut(u64, *mut u8),
) -> Result<(), KernelError> {
    if (0..len / PAGE).any(|i| space.translate(addr + i * PAGE).is_some()) {
        return Err(KernelError::AlreadyMapped);
    }
    for i in 0..len / PAGE {
        let page = addr + i * PAGE;
        let mapped = mem::zeroed(frames).ok_or(KernelError::NoMemory).and_then(|frame| {
            space.map(page, frame, flags, frames).map(|()| frame).map_err(|_| {
                frames.free(frame);
                KernelError::NoMemory
            })
        });
        match mapped {
            Ok(frame) => fill(i * PAGE, phys_to_virt(frame) as *mut u8),
            Err(e) => {
                unmap_range(space, frames, addr, i * PAGE);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Unmaps and frees every mapped page of the range.
pub fn unmap_range(space: &mut AddressSpace, frames: &mut JobFrames, addr: u64, len: u64) {
    for page in (addr..addr + len).step_by(PAGE as usize) {
        if let Some(frame) = space.unmap(page) {
            frames.free(frame);
        }
    }
}

pub fn map(k: &mut Kernel, caller: TaskIndex, args: MapArgs) -> Handled {
    let range = PageRange::new(args.addr, args.len)?;
    let flags = user_page_flags(PageRights::from_map_flags(args.flags)?);
    let task = k.task_mut(caller);
    let mut frames = JobFrames(task.job());
    map_fresh(task.space_mut(), &mut frames, range.start(), range.len(), flags, |_, _| {})?;
    Ok(Next::value(0))
}

pub fn unmap(k: &mut Kernel, caller: TaskIndex, args: UnmapArgs) -> Handled {
    let range = PageRange::new(args.addr, args.len)?;
    let task = k.task_mut(caller);
    let mut frames = JobFrames(task.job());
    unmap_range(task.space_mut(), &mut frames, range.start(), range.len());
    Ok(Next::value(0))
}
