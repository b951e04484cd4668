//! Task control, reserved to init (the supervisor): create, fill, start,
//! kill and reap tasks, bind names, grant devices, power off.

use super::memory::{check_pages, map_fresh, page_flags};
use super::{read_name, SysResult};
use crate::arch::{cpu, gdt, pic};
use crate::kernel::Kernel;
use crate::mem::JobFrames;
use crate::task::{State, Task};
use crate::usercopy::{copy_from_user, write_struct};
use abi::{ExitReason, ExitRecord, JobId, KernelError, TaskId, PRIORITY_LEVELS, SERVICE_NAME_MAX, TASK_NAME_MAX};

const PAGE: u64 = 4096;
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
    check_pages(vaddr, mem_len)?;
    let flags = page_flags(flags)?;
    if src_len > mem_len {
        return Err(KernelError::BadArgument);
    }
    let target = k.resolve(TaskId::from_raw(task as u32))?;
    if target == k.current {
        return Err(KernelError::BadArgument);
    }
    // Check the whole source first, so a bad pointer maps nothing.
    crate::usercopy::check_access(k.current().space(), src, src_len, false)?;
    let me = k.current;
    let mut frames = JobFrames(k.task(target).job);
    let mut space = k.task_mut(target).space.take().ok_or(KernelError::BadArgument)?;
    let source = k.task(me).space();
    let result = map_fresh(&mut space, &mut frames, vaddr, mem_len, flags, |offset, frame| {
        if offset < src_len {
            let n = (src_len - offset).min(PAGE) as usize;
            // SAFETY: `frame` is the direct-map address of a fresh 4 KiB frame.
            let page = unsafe { core::slice::from_raw_parts_mut(frame, n) };
            // The source was checked readable above and init is not running.
            let _ = copy_from_user(source, src + offset, page);
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
    write_struct(k.current().space(), ptr, &record)?;
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
    // The kernel keeps a grant as (u16 first, u16 count).
    if count == 0 || count > u16::MAX as u64 || first.checked_add(count).is_none_or(|end| end > 0x1_0000) {
        return Err(KernelError::BadArgument);
    }
    let target = k.resolve(TaskId::from_raw(task as u32))?;
    k.grant_ports(target, first as u16, count as u16);
    Ok(Some(0))
}

pub fn grant_irq(k: &mut Kernel, task: u64, irq: u64, bit: u64) -> SysResult {
    require_supervisor(k)?;
    // IRQ 0 is the scheduler's timer and IRQ 2 the PIC cascade.
    let usable_line = irq < 16 && irq != 0 && irq != 2;
    if !usable_line || !(abi::notify::FIRST_IRQ_BIT as u64..32).contains(&bit) {
        return Err(KernelError::BadArgument);
    }
    let id = TaskId::from_raw(task as u32);
    k.resolve(id)?;
    k.irq_owners[irq as usize] = Some((id, 1 << bit));
    pic::set_masked(irq as u8, false);
    Ok(Some(0))
}

pub fn poweroff(k: &mut Kernel) -> SysResult {
    require_supervisor(k)?;
    cpu::poweroff()
}
