//! `task_fork` (init only): a new task that is a copy of one waiting for
//! init's reply: its memory page by page, its registers and FPU state.
//!
//! The task being copied is blocked in its `call` to init, so its saved
//! registers are those of that call; the copy resumes from the same call as
//! if init had answered it with code 0 and no bytes, which is how a forked
//! child tells itself from its parent (whose answer, from init, carries the
//! child's id).

use super::SysResult;
use crate::kernel::Kernel;
use crate::mem::JobFrames;
use crate::task::{State, Task};
use abi::{KernelError, TaskId};
use kcore::ipc::awaits_reply_from;

pub fn fork(k: &mut Kernel, parent: u64) -> SysResult {
    if !k.current().is_supervisor {
        return Err(KernelError::Denied);
    }
    let source = k.resolve(TaskId::from_raw(parent as u32))?;
    let me = k.current().id;
    if !awaits_reply_from(&k.task(source).state, me) {
        return Err(KernelError::NotWaiting);
    }
    let parent = k.task(source);
    let (job, priority) = (parent.job, parent.priority);
    let (frame, fpu) = (parent.frame, parent.fpu);
    let mut name = [0u8; abi::TASK_NAME_MAX];
    let name_len = parent.name_bytes().len();
    name[..name_len].copy_from_slice(parent.name_bytes());

    let mut frames = JobFrames(job);
    let space = parent.space().copy_user(&mut frames).ok_or(KernelError::NoMemory)?;
    let mut space = Some(space);
    let child = k.allocate_slot(|id| Task::new(id, &name[..name_len], priority, job, space.take()));
    let Some(child) = child else {
        if let Some(unused) = space {
            unused.destroy(&mut frames);
        }
        return Err(KernelError::NoMemory);
    };
    let index = child.index();
    let task = k.task_mut(index);
    task.frame = frame;
    task.fpu = fpu;
    // The child's `call` returns: success, reply code 0, no reply bytes.
    task.frame.rax = 0;
    task.frame.rdi = 0;
    task.frame.rsi = 0;
    task.state = State::Created;
    k.make_runnable(index);
    Ok(Some(child.raw() as u64))
}
