//! Task control, reserved to init (the supervisor): create, fill, start,
//! kill and reap tasks, bind names, grant devices, power off.

use super::memory::map_fresh;
use super::{read_name, SysResult};
use crate::arch::paging::user_page_flags;
use crate::arch::{cpu, gdt, pic};
use crate::kernel::Kernel;
use crate::mem::JobFrames;
use crate::task::{State, Task};
use crate::usercopy::{check_access, copy_from_user, write_struct};
use abi::{ExitReason, ExitRecord, JobId, KernelError, TaskId, PRIORITY_LEVELS, SERVICE_NAME_MAX, TASK_NAME_MAX};
use kcore::grants::{IrqGrant, PortRange};
use kcore::pages::{PageRange, PageRights};
use kcore::user_memory::{UserSliceRo, UserSliceWo, PAGE};

const RFLAGS_INTERRUPTS: u64 = 1 << 9;

fn require_supervisor(k: &mut Kernel) -> Result<(), KernelError> {
    if k.current().is_supervisor { Ok(()) } else { Err(KernelError::Denied) }
}

pub fn create(k: &mut Kernel, name_ptr: u64, name_len: u64, priority: u64, job: u64) -> SysResult {
    require_supervisor(k)?;
    if priority >= PRIORITY_LEVELS as u64 || job > u32::MAX as u64 {
        return Err(KernelError::BadArgument);
    }
    let job = JobId::new(job as u32);
    let mut buf = [0u8; TASK_NAME_MAX];
    let name = read_name(k, name_ptr, name_len, &mut buf)?;
    let mut frames = JobFrames(job);
    let space = crate::arch::paging::AddressSpace::new_user(&mut frames).ok_or(KernelError::NoMemory)?;
    let mut space = Some(space);
    let id = k.allocate_slot(|id| Task::new(id, name, priority as u8, job, space.take()));
    match (id, space) {
        (Some(id), _) => Ok(Some(id.raw() as u64)),
        (None, Some(unused)) => {
            unused.destroy(&mut frames);
            Err(KernelError::NoMemory)
        }
        (None, None) => Err(KernelError::NoMemory),
    }
}

pub fn map(k: &mut Kernel, task: u64, vaddr: u64, mem_len: u64, src: u64, src_len: u64, flags: u64) -> SysResult {
    require_supervisor(k)?;
    let range = PageRange::new(vaddr, mem_len)?;
    let flags = user_page_flags(PageRights::from_map_flags(flags)?);
    if src_len > mem_len {
        return Err(KernelError::BadArgument);
    }
    let target = k.resolve(TaskId::from_raw(task as u32))?;
    if target == k.current {
        return Err(KernelError::BadArgument);
    }
    // Check the whole source first, so a bad pointer maps nothing.
    let src = UserSliceRo::new(src, src_len)?;
    check_access(k.current().space(), src)?;
    let me = k.current;
    let mut frames = JobFrames(k.task(target).job);
    let mut space = k.task_mut(target).space.take().ok_or(KernelError::BadArgument)?;
    let source = k.task(me).space();
    let result = map_fresh(&mut space, &mut frames, range.start(), range.len(), flags, |offset, frame| {
        let piece = src.after(offset).prefix(PAGE);
        if !piece.is_empty() {
            // SAFETY: `frame` is the direct-map address of a fresh 4 KiB frame.
            let page = unsafe { core::slice::from_raw_parts_mut(frame, piece.len() as usize) };
            // The source was checked readable above and init is not running.
            let _ = copy_from_user(source, piece, page);
        }
    });
    k.task_mut(target).space = Some(space);
    result.map(|()| Some(0))
}

pub fn start(k: &mut Kernel, task: u64, entry: u64, stack_top: u64, arg0: u64, arg1: u64) -> SysResult {
    require_supervisor(k)?;
    let target = k.resolve(TaskId::from_raw(task as u32))?;
    // iretq raises #GP in the kernel (not in the task) for a non-canonical
    // return address, so only lower-half entries are accepted.
    if entry >= abi::USER_END {
        return Err(KernelError::BadAddress);
    }
    let t = k.task_mut(target);
    if t.state != State::Created {
        return Err(KernelError::BadArgument);
    }
    t.frame = Default::default();
    t.frame.rip = entry;
    t.frame.rsp = stack_top;
    t.frame.rdi = arg0;
    t.frame.rsi = arg1;
    t.frame.cs = gdt::USER_CODE as u64;
    t.frame.ss = gdt::USER_DATA as u64;
    t.frame.rflags = RFLAGS_INTERRUPTS;
    k.make_runnable(target);
    Ok(Some(0))
}

pub fn kill(k: &mut Kernel, task: u64) -> SysResult {
    require_supervisor(k)?;
    let target = k.resolve(TaskId::from_raw(task as u32))?;
    if target == k.current {
        return Err(KernelError::BadArgument);
    }
    k.end_task(target, ExitReason::Killed);
    Ok(Some(0))
}

pub fn reap(k: &mut Kernel, ptr: u64) -> SysResult {
    require_supervisor(k)?;
    let found = k.tasks.iter().enumerate().find_map(|(i, t)| match t.as_deref()?.state {
        State::Dead(reason) => Some((i, reason)),
        _ => None,
    });
    let (index, reason) = found.ok_or(KernelError::NotFound)?;
    let record = ExitRecord::new(k.task(index).id, reason);
    write_struct(k.current().space(), UserSliceWo::of::<ExitRecord>(ptr)?, &record)?;
    k.release_slot(index);
    Ok(Some(0))
}

pub fn bind(k: &mut Kernel, name_ptr: u64, name_len: u64, task: u64) -> SysResult {
    require_supervisor(k)?;
    let mut buf = [0u8; SERVICE_NAME_MAX];
    let name = read_name(k, name_ptr, name_len, &mut buf)?;
    let id = TaskId::from_raw(task as u32);
    k.resolve(id)?;
    let mut owned = [0u8; SERVICE_NAME_MAX];
    owned[..name.len()].copy_from_slice(name);
    k.names.bind(&owned[..name.len()], id.raw()).map_err(|e| e.kernel_error())?;
    Ok(Some(0))
}

pub fn grant_ports(k: &mut Kernel, task: u64, first: u64, count: u64) -> SysResult {
    require_supervisor(k)?;
    let range = PortRange::new(first, count)?;
    let target = k.resolve(TaskId::from_raw(task as u32))?;
    k.grant_ports(target, range);
    Ok(Some(0))
}

pub fn grant_irq(k: &mut Kernel, task: u64, irq: u64, bit: u64) -> SysResult {
    require_supervisor(k)?;
    let grant = IrqGrant::new(irq, bit)?;
    let id = TaskId::from_raw(task as u32);
    k.resolve(id)?;
    k.irq_lines.grant(grant, id);
    pic::set_masked(grant.line(), false);
    Ok(Some(0))
}

pub fn poweroff(k: &mut Kernel) -> SysResult {
    require_supervisor(k)?;
    cpu::poweroff()
}
