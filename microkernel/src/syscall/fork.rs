//! `task_fork` (init only): a new task that is a copy of one waiting for
//! init's reply: its memory page by page, its registers and FPU state.
//!
//! The task being copied is blocked in its `call` to init, so its saved
//! registers are those of that call; the copy resumes from the same call as
//! if init had answered it with code 0 and no bytes, which is how a forked
//! child tells itself from its parent (whose answer, from init, carries the
//! child's id).
//!
//! The copy runs with interrupts off, so everything that can refuse it is
//! checked first: a free task slot, and room in the job's share for every
//! frame the copy will take. A refused fork costs no copying.

use super::{Handled, Next};
use crate::kernel::Kernel;
use crate::mem;
use abi::{KernelError, TaskId};
use kcore::ipc::awaits_reply_from;
use kcore::task_index::TaskIndex;

pub fn fork(k: &mut Kernel, caller: TaskIndex, parent: TaskId) -> Handled {
    if !k.task(caller).is_supervisor() {
        return Err(KernelError::Denied);
    }
    let source = k.resolve(parent)?;
    if !awaits_reply_from(&k.task(source).state(), k.task(caller).id()) {
        return Err(KernelError::NotWaiting);
    }
    let needed = k.task(source).space().user_frames();
    if !k.has_free_slot() || !mem::job_has_room(k.task(source).job(), needed) {
        return Err(KernelError::NoMemory);
    }
    let child = k.fork_task(source)?;
    Ok(Next::value(child.raw() as u64))
}
