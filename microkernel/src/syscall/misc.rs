//! Small calls: exit, yield, log, time, statistics, names, IRQ acks, posts.

use super::{read_name, SysResult};
use crate::arch::pic;
use crate::kernel::Kernel;
use crate::usercopy::{copy_from_user, copy_to_user, write_struct};
use crate::{klog, mem};
use abi::{notify, ExitReason, KernelError, KernelStats, TaskId, TaskInfo, MAX_TASKS, SERVICE_NAME_MAX};

const LOG_CHUNK: usize = 1024;

pub fn exit(k: &mut Kernel, status: i32) -> SysResult {
    let me = k.current;
    k.end_task(me, ExitReason::Exited(status));
    Ok(None)
}

pub fn yield_now(k: &mut Kernel) -> SysResult {
    k.yield_current();
    Ok(Some(0))
}

pub fn log(k: &mut Kernel, ptr: u64, len: u64) -> SysResult {
    let mut text = [0u8; LOG_CHUNK];
    let n = (len as usize).min(LOG_CHUNK);
    copy_from_user(k.current().space(), ptr, &mut text[..n])?;
    klog::write(&text[..n]);
    if n > 0 && text[n - 1] != b'\n' {
        klog::write(b"\n");
    }
    Ok(Some(n as u64))
}

pub fn read_log(k: &mut Kernel, ptr: u64, len: u64, offset: u64) -> SysResult {
    let mut chunk = [0u8; LOG_CHUNK];
    let n = (len as usize).min(LOG_CHUNK);
    let (copied, next) = klog::read(offset, &mut chunk[..n]);
    copy_to_user(k.current().space(), ptr, &chunk[..copied])?;
    k.current().frame.rdi = next;
    Ok(Some(copied as u64))
}

pub fn set_timer(k: &mut Kernel, deadline: u64) -> SysResult {
    let me = k.current;
    k.set_timer(me, deadline);
    Ok(Some(0))
}

pub fn stats(k: &mut Kernel, ptr: u64) -> SysResult {
    let (free, used) = mem::frame_counts();
    let stats = KernelStats {
        free_frames: free as u64,
        used_frames: used as u64,
        tasks: k.live_tasks() as u64,
        job_frames: mem::job_frames(k.current().job),
        job_frame_limit: mem::job_frame_limit(),
    };
    write_struct(k.current().space(), ptr, &stats)?;
    Ok(Some(0))
}

pub fn task_info(k: &mut Kernel, index: u64, ptr: u64) -> SysResult {
    if index as usize >= MAX_TASKS {
        return Err(KernelError::NoSuchTask);
    }
    let Some(task) = k.tasks[index as usize].as_deref() else {
        return Err(KernelError::NotFound);
    };
    let mut info = TaskInfo {
        id: task.id.raw(),
        state: task.state_code(),
        priority: task.priority as u32,
        name_len: task.name_bytes().len() as u32,
        ..Default::default()
    };
    info.name[..task.name_bytes().len()].copy_from_slice(task.name_bytes());
    write_struct(k.current().space(), ptr, &info)?;
    Ok(Some(0))
}

pub fn lookup(k: &mut Kernel, ptr: u64, len: u64) -> SysResult {
    let mut buf = [0u8; SERVICE_NAME_MAX];
    let name = read_name(k, ptr, len, &mut buf)?;
    k.names.lookup(name).map(|id| Some(id as u64)).ok_or(KernelError::NotFound)
}

pub fn subscribe_exits(k: &mut Kernel) -> SysResult {
    k.current().wants_exit_notifications = true;
    Ok(Some(0))
}

pub fn irq_ack(k: &mut Kernel, irq: u64) -> SysResult {
    let me = k.current().id;
    match k.irq_owners.get(irq as usize) {
        Some(Some((owner, _))) if *owner == me => {
            pic::set_masked(irq as u8, false);
            Ok(Some(0))
        }
        Some(_) => Err(KernelError::Denied),
        None => Err(KernelError::BadArgument),
    }
}

/// Posts notification bits to a task. Only the bits no kernel event uses may
/// be posted, so a task can wake another but never fake a timer, an exit or
/// an interrupt.
pub fn post(k: &mut Kernel, task: u64, bits: u64) -> SysResult {
    if bits & !u64::from(notify::POSTABLE) != 0 {
        return Err(KernelError::BadArgument);
    }
    let index = k.resolve(TaskId::from_raw(task as u32))?;
    k.notify(index, bits as u32);
    Ok(Some(0))
}
