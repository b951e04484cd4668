//! Small calls: exit, yield, log, time, statistics and cost counters,
//! names, IRQ acks, posts.

use super::{Handled, Next, read_name};
use crate::arch::pic;
use crate::kernel::Kernel;
use crate::usercopy::{copy_from_user, copy_to_user, write_struct};
use crate::{klog, mem};
use abi::{BytesArgs, ExitReason, KernelError, KernelStats, ReadLogArgs, ReadLogResult, TaskId, TaskInfo, notify};
use abi::{PostArgs, SERVICE_NAME_MAX, TaskInfoArgs};
use kcore::task_index::TaskIndex;
use kcore::user_memory::{UserSliceRo, UserSliceWo};

const LOG_CHUNK: usize = 1024;

pub fn exit(k: &mut Kernel, caller: TaskIndex, status: i32) -> Handled {
    k.end_task(caller, ExitReason::Exited(status));
    Ok(Next::Blocked)
}

pub fn yield_now(k: &mut Kernel) -> Handled {
    k.yield_current();
    Ok(Next::value(0))
}

pub fn now(k: &mut Kernel) -> Handled {
    Ok(Next::value(k.now()))
}

pub fn log(k: &mut Kernel, caller: TaskIndex, text: BytesArgs) -> Handled {
    let mut buf = [0u8; LOG_CHUNK];
    let n = (text.len as usize).min(LOG_CHUNK);
    copy_from_user(k.task(caller).space(), UserSliceRo::new(text.addr, n as u64)?, &mut buf[..n])?;
    klog::write(&buf[..n]);
    if n > 0 && buf[n - 1] != b'\n' {
        klog::write(b"\n");
    }
    Ok(Next::value(n as u64))
}

pub fn read_log(k: &mut Kernel, caller: TaskIndex, args: ReadLogArgs) -> Handled {
    let mut chunk = [0u8; LOG_CHUNK];
    let n = (args.cap as usize).min(LOG_CHUNK);
    let (copied, next) = klog::read(args.offset, &mut chunk[..n]);
    copy_to_user(k.task(caller).space(), UserSliceWo::new(args.buf, copied as u64)?, &chunk[..copied])?;
    Ok(Next::Same(ReadLogResult { copied, next }.to_results()))
}

pub fn set_timer(k: &mut Kernel, caller: TaskIndex, deadline: u64) -> Handled {
    k.set_timer(caller, deadline);
    Ok(Next::value(0))
}

pub fn stats(k: &mut Kernel, caller: TaskIndex, out: u64) -> Handled {
    let (free, used) = mem::frame_counts();
    let job = k.task(caller).job();
    let stats = KernelStats {
        free_frames: free as u64,
        used_frames: used as u64,
        tasks: k.live_tasks() as u64,
        job_frames: mem::job_frames(job),
        job_frame_limit: mem::job_frame_limit(),
    };
    write_struct(k.task(caller).space(), UserSliceWo::of::<KernelStats>(out)?, &stats)?;
    Ok(Next::value(0))
}

pub fn counters(k: &mut Kernel, caller: TaskIndex, out: u64) -> Handled {
    let counters = k.counters();
    write_struct(k.task(caller).space(), UserSliceWo::of::<abi::CostCounters>(out)?, &counters)?;
    Ok(Next::value(0))
}

pub fn task_info(k: &mut Kernel, caller: TaskIndex, args: TaskInfoArgs) -> Handled {
    let index = TaskIndex::from_slot(args.index).ok_or(KernelError::NoSuchTask)?;
    let task = k.slot(index).ok_or(KernelError::NotFound)?;
    let name = task.name_bytes();
    let mut info = TaskInfo {
        id: task.id().raw(),
        state: task.state_code(),
        priority: task.priority() as u32,
        name_len: name.len() as u32,
        ..Default::default()
    };
    info.name[..name.len()].copy_from_slice(name);
    write_struct(k.task(caller).space(), UserSliceWo::of::<TaskInfo>(args.info)?, &info)?;
    Ok(Next::value(0))
}

pub fn lookup(k: &mut Kernel, caller: TaskIndex, name: BytesArgs) -> Handled {
    let mut buf = [0u8; SERVICE_NAME_MAX];
    let name = read_name(k, caller, name, &mut buf)?;
    let task = k.lookup_name(name).ok_or(KernelError::NotFound)?;
    Ok(Next::value(task.raw() as u64))
}

pub fn subscribe_exits(k: &mut Kernel, caller: TaskIndex) -> Handled {
    k.task_mut(caller).subscribe_exits();
    Ok(Next::value(0))
}

/// Whether this incarnation of a task still runs: 1 or 0, never an error.
pub fn task_alive(k: &mut Kernel, task: TaskId) -> Handled {
    Ok(Next::value(k.resolve(task).is_ok() as u64))
}

pub fn irq_ack(k: &mut Kernel, caller: TaskIndex, irq: u64) -> Handled {
    let line = k.acknowledged_irq(irq, k.task(caller).id())?;
    pic::set_masked(line, false);
    Ok(Next::value(0))
}

/// Posts notification bits to a task. Only the bits no kernel event uses may
/// be posted, so a task can wake another but never fake a timer, an exit or
/// an interrupt.
pub fn post(k: &mut Kernel, args: PostArgs) -> Handled {
    if args.bits & !u64::from(notify::POSTABLE) != 0 {
        return Err(KernelError::BadArgument);
    }
    let index = k.resolve(args.task)?;
    k.notify(index, args.bits as u32);
    Ok(Next::value(0))
}
