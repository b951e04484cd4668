//! The task-control calls. The kernel grants them to init alone; any other
//! task gets `Denied` (which the IPC tests check).

use abi::{
    BindArgs, ExitRecord, GrantIrqArgs, GrantPortsArgs, JobId, KernelError, Sysnum, TaskCreateArgs, TaskId,
    TaskMapArgs, TaskStartArgs,
};

use crate::sys::invoke;

/// Creates a task of `job` that does not run until [`task_start`].
pub fn task_create(name: &str, priority: u8, job: JobId) -> Result<TaskId, KernelError> {
    let args = TaskCreateArgs {
        name: name.as_ptr() as u64,
        name_len: name.len() as u64,
        priority: priority as u64,
        job: job.raw() as u64,
    };
    // SAFETY: `name` is readable for its length.
    let regs = unsafe { invoke(Sysnum::TaskCreate, args.to_regs()) }?;
    Ok(TaskId::from_raw(regs.rax as u32))
}

/// Maps `mem_len` zeroed bytes at page-aligned `vaddr` in `task` and copies
/// `src` (at most `mem_len` bytes) to the start of that memory.
pub fn task_map(task: TaskId, vaddr: u64, mem_len: u64, src: &[u8], flags: u64) -> Result<(), KernelError> {
    let args = TaskMapArgs { task, vaddr, mem_len, src: src.as_ptr() as u64, src_len: src.len() as u64, flags };
    // SAFETY: `src` is readable for its length; the other task's memory is
    // checked by the kernel.
    unsafe { invoke(Sysnum::TaskMap, args.to_regs()) }.map(|_| ())
}

/// Starts `task` at `entry` with the given stack top and `rdi`, `rsi`.
pub fn task_start(task: TaskId, entry: u64, stack_top: u64, arg0: u64, arg1: u64) -> Result<(), KernelError> {
    let args = TaskStartArgs { task, entry, stack_top, arg0, arg1 };
    // SAFETY: no pointer into this task's memory.
    unsafe { invoke(Sysnum::TaskStart, args.to_regs()) }.map(|_| ())
}

/// Makes a copy of `task`, which waits for our reply: same job, memory,
/// registers; its pending call returns an empty answer (see `docs/abi.md`).
pub fn task_fork(task: TaskId) -> Result<TaskId, KernelError> {
    // SAFETY: no pointer arguments.
    let regs = unsafe { invoke(Sysnum::TaskFork, [task.raw() as u64, 0, 0, 0, 0, 0]) }?;
    Ok(TaskId::from_raw(regs.rax as u32))
}

/// Kills `task`; it ends with reason Killed.
pub fn task_kill(task: TaskId) -> Result<(), KernelError> {
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::TaskKill, [task.raw() as u64, 0, 0, 0, 0, 0]) }.map(|_| ())
}

/// Ends `task` as faulted (`abi::INJECTED_FAULT`), wherever it is.
pub fn task_fault(task: TaskId) -> Result<(), KernelError> {
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::TaskFault, [task.raw() as u64, 0, 0, 0, 0, 0]) }.map(|_| ())
}

/// Collects one ended task's record and frees its slot; `NotFound` when none is left.
pub fn reap() -> Result<ExitRecord, KernelError> {
    let mut record = ExitRecord::default();
    let ptr = &mut record as *mut ExitRecord as u64;
    // SAFETY: `record` is a writable ExitRecord, the layout the kernel writes.
    unsafe { invoke(Sysnum::Reap, [ptr, 0, 0, 0, 0, 0]) }?;
    Ok(record)
}

/// Binds registry `name` to `task`.
pub fn bind(name: &str, task: TaskId) -> Result<(), KernelError> {
    let args = BindArgs { name: name.as_ptr() as u64, name_len: name.len() as u64, task };
    // SAFETY: `name` is readable for its length.
    unsafe { invoke(Sysnum::Bind, args.to_regs()) }.map(|_| ())
}

/// Lets `task` use `count` I/O ports from `first`.
pub fn grant_ports(task: TaskId, first: u16, count: u16) -> Result<(), KernelError> {
    let args = GrantPortsArgs { task, first: first as u64, count: count as u64 };
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::GrantPorts, args.to_regs()) }.map(|_| ())
}

/// Delivers legacy IRQ `irq` to `task` as notification bit `1 << bit`.
pub fn grant_irq(task: TaskId, irq: u8, bit: u32) -> Result<(), KernelError> {
    let args = GrantIrqArgs { task, irq: irq as u64, bit: bit as u64 };
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::GrantIrq, args.to_regs()) }.map(|_| ())
}

/// Powers the machine off; returns only if refused.
pub fn poweroff() -> KernelError {
    // SAFETY: no pointer arguments.
    match unsafe { invoke(Sysnum::Poweroff, [0; 6]) } {
        Err(err) => err,
        // The power-off is carried out asynchronously; wait for it.
        Ok(_) => loop {
            core::hint::spin_loop();
        },
    }
}
