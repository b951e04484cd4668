//! Task control, reserved to init (the supervisor): create, fill, start,
//! kill and reap tasks, bind names, grant devices, power off.

use super::memory::map_fresh;
use super::{Handled, Next, read_name};
use crate::arch::paging::{AddressSpace, user_page_flags};
use crate::arch::trap::TrapFrame;
use crate::arch::{cpu, pic};
use crate::kernel::{Kernel, Task};
use crate::mem::JobFrames;
use crate::usercopy::{check_access, copy_from_user, write_struct};
use abi::{
    BindArgs, BytesArgs, ExitReason, ExitRecord, GrantIrqArgs, GrantPortsArgs, JobId, KernelError, TaskCreateArgs,
};
use abi::{FaultInfo, INJECTED_FAULT};
use abi::{PRIORITY_LEVELS, SERVICE_NAME_MAX, TASK_NAME_MAX, TaskId, TaskMapArgs, TaskStartArgs};
use kcore::grants::{IrqGrant, PortRange};
use kcore::pages::{PageRange, PageRights};
use kcore::task_index::TaskIndex;
use kcore::user_memory::{PAGE, UserSliceRo, UserSliceWo};

fn require_supervisor(k: &Kernel, caller: TaskIndex) -> Result<(), KernelError> {
    if k.task(caller).is_supervisor() { Ok(()) } else { Err(KernelError::Denied) }
}

pub fn create(k: &mut Kernel, caller: TaskIndex, args: TaskCreateArgs) -> Handled {
    require_supervisor(k, caller)?;
    if args.priority >= PRIORITY_LEVELS as u64 || args.job > u32::MAX as u64 {
        return Err(KernelError::BadArgument);
    }
    let (priority, job) = (args.priority as u8, JobId::new(args.job as u32));
    let mut buf = [0u8; TASK_NAME_MAX];
    let name = read_name(k, caller, BytesArgs { addr: args.name, len: args.name_len }, &mut buf)?;
    let mut frames = JobFrames(job);
    let space = AddressSpace::new_user(&mut frames).ok_or(KernelError::NoMemory)?;
    let mut space = Some(space);
    let id = k.allocate_slot(|id| Task::new(id, name, priority, job, space.take().expect("a slot is built once")));
    match (id, space) {
        (Some(id), _) => Ok(Next::value(id.raw() as u64)),
        (None, Some(unused)) => {
            unused.destroy(&mut frames);
            Err(KernelError::NoMemory)
        }
        (None, None) => Err(KernelError::NoMemory),
    }
}

pub fn map(k: &mut Kernel, caller: TaskIndex, args: TaskMapArgs) -> Handled {
    require_supervisor(k, caller)?;
    let range = PageRange::new(args.vaddr, args.mem_len)?;
    let flags = user_page_flags(PageRights::from_map_flags(args.flags)?);
    if args.src_len > args.mem_len {
        return Err(KernelError::BadArgument);
    }
    let target = k.resolve(args.task)?;
    if target == caller {
        return Err(KernelError::BadArgument);
    }
    // Check the whole source first, so a bad pointer maps nothing.
    let src = UserSliceRo::new(args.src, args.src_len)?;
    check_access(k.task(caller).space(), src)?;
    let mut frames = JobFrames(k.task(target).job());
    let (mapped, mapping) = k.pair_mut(target, caller);
    let source = mapping.space();
    let result = map_fresh(mapped.space_mut(), &mut frames, range.start(), range.len(), flags, |offset, frame| {
        let piece = src.after(offset).prefix(PAGE);
        if !piece.is_empty() {
            // SAFETY: `frame` is the direct-map address of a fresh 4 KiB frame.
            let page = unsafe { core::slice::from_raw_parts_mut(frame, piece.len() as usize) };
            // The source was checked readable above and init is not running.
            let _ = copy_from_user(source, piece, page);
        }
    });
    result.map(|()| Next::value(0))
}

pub fn start(k: &mut Kernel, caller: TaskIndex, args: TaskStartArgs) -> Handled {
    require_supervisor(k, caller)?;
    let target = k.resolve(args.task)?;
    // iretq raises #GP in the kernel (not in the task) for a non-canonical
    // return address, so only lower-half entries are accepted.
    if args.entry >= abi::USER_END {
        return Err(KernelError::BadAddress);
    }
    let frame = TrapFrame::user_entry(args.entry, args.stack_top, args.arg0, args.arg1);
    k.start_task(target, frame)?;
    Ok(Next::value(0))
}

pub fn kill(k: &mut Kernel, caller: TaskIndex, task: TaskId) -> Handled {
    require_supervisor(k, caller)?;
    let target = k.resolve(task)?;
    if target == caller {
        return Err(KernelError::BadArgument);
    }
    k.end_task(target, ExitReason::Killed);
    Ok(Next::value(0))
}

/// Ends `task` as if it had faulted, wherever it is (running, spinning or
/// blocked): how init crashes a server on request without ever calling it,
/// so a server that no longer answers cannot hold init up.
pub fn fault(k: &mut Kernel, caller: TaskIndex, task: TaskId) -> Handled {
    require_supervisor(k, caller)?;
    let target = k.resolve(task)?;
    if target == caller {
        return Err(KernelError::BadArgument);
    }
    let rip = k.task(target).frame().rip;
    let fault = FaultInfo { vector: INJECTED_FAULT, address: 0, rip, error_code: 0 };
    k.end_task(target, ExitReason::Fault(fault));
    Ok(Next::value(0))
}

pub fn reap(k: &mut Kernel, caller: TaskIndex, out: u64) -> Handled {
    require_supervisor(k, caller)?;
    let (index, reason) = k.find_dead().ok_or(KernelError::NotFound)?;
    let record = ExitRecord::new(k.task(index).id(), reason);
    write_struct(k.task(caller).space(), UserSliceWo::of::<ExitRecord>(out)?, &record)?;
    k.release_slot(index);
    Ok(Next::value(0))
}

pub fn bind(k: &mut Kernel, caller: TaskIndex, args: BindArgs) -> Handled {
    require_supervisor(k, caller)?;
    let mut buf = [0u8; SERVICE_NAME_MAX];
    let name = read_name(k, caller, BytesArgs { addr: args.name, len: args.name_len }, &mut buf)?;
    k.resolve(args.task)?;
    k.bind_name(name, args.task).map_err(|e| e.kernel_error())?;
    Ok(Next::value(0))
}

pub fn grant_ports(k: &mut Kernel, caller: TaskIndex, args: GrantPortsArgs) -> Handled {
    require_supervisor(k, caller)?;
    let ports = PortRange::new(args.first, args.count)?;
    let target = k.resolve(args.task)?;
    k.grant_ports(target, ports);
    Ok(Next::value(0))
}

pub fn grant_irq(k: &mut Kernel, caller: TaskIndex, args: GrantIrqArgs) -> Handled {
    require_supervisor(k, caller)?;
    let grant = IrqGrant::new(args.irq, args.bit)?;
    k.resolve(args.task)?;
    k.grant_irq(grant, args.task);
    pic::set_masked(grant.line(), false);
    Ok(Next::value(0))
}

pub fn poweroff(k: &mut Kernel, caller: TaskIndex) -> Handled {
    require_supervisor(k, caller)?;
    cpu::poweroff()
}
