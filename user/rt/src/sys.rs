//! Safe wrappers for the calls every task may make (see `docs/abi.md`).
//!
//! Each wrapper passes only pointers derived from Rust references of the right
//! length and mutability, which is what makes it safe. The init-only calls are
//! in [`crate::task`]; IPC in [`crate::ipc`].

use abi::{
    BytesArgs, CostCounters, KernelError, KernelStats, MapArgs, ReadLogArgs, ReadLogResult, Sysnum, TaskId, TaskInfo,
    TaskInfoArgs, UnmapArgs, check,
};

use crate::arch::{Regs, syscall};

/// Issues a call and decodes `rax`.
///
/// # Safety
/// As [`syscall`]: pointers in `args` must be valid for what `number` does.
#[inline(always)]
pub(crate) unsafe fn invoke(number: Sysnum, args: [u64; 6]) -> Result<Regs, KernelError> {
    // SAFETY: forwarded to the caller.
    let regs = unsafe { syscall(number, args) };
    check(regs.rax).map(|_| regs)
}

/// Ends the task with `status`; init learns it through `reap`.
pub fn exit(status: i32) -> ! {
    // SAFETY: exit takes no pointer.
    unsafe { syscall(Sysnum::Exit, [status as i64 as u64, 0, 0, 0, 0, 0]) };
    // The kernel never returns from exit; spin rather than invent behaviour.
    loop {
        core::hint::spin_loop();
    }
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    // SAFETY: no pointer arguments.
    unsafe { syscall(Sysnum::Yield, [0; 6]) };
}

/// Appends `text` to the kernel log (and to COM1 while no console owns it).
pub fn log(text: &[u8]) -> Result<(), KernelError> {
    let args = BytesArgs { addr: text.as_ptr() as u64, len: text.len() as u64 };
    // SAFETY: `text` is readable for its length.
    unsafe { invoke(Sysnum::Log, args.to_regs()) }.map(|_| ())
}

/// Reads the kernel log from absolute byte `offset`: returns (bytes copied,
/// next offset). The next offset skips ahead if `offset` was already dropped.
pub fn read_log(buf: &mut [u8], offset: u64) -> Result<(usize, u64), KernelError> {
    let args = ReadLogArgs { buf: buf.as_mut_ptr() as u64, cap: buf.len() as u64, offset };
    // SAFETY: `buf` is writable for its length.
    let regs = unsafe { invoke(Sysnum::ReadLog, args.to_regs()) }?;
    let read = ReadLogResult::from_regs(regs.rax as u64, &regs.results());
    Ok((read.copied, read.next))
}

/// Nanoseconds since boot.
pub fn now_ns() -> u64 {
    // SAFETY: no pointer arguments.
    let regs = unsafe { syscall(Sysnum::Now, [0; 6]) };
    regs.rax.max(0) as u64
}

/// Asks for `notify::TIMER` once `now_ns() >= deadline_ns`; 0 cancels.
pub fn set_timer(deadline_ns: u64) -> Result<(), KernelError> {
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::SetTimer, [deadline_ns, 0, 0, 0, 0, 0]) }.map(|_| ())
}

/// Posts `bits` (within `abi::notify::POSTABLE`) to `task`: it sees them
/// in its next `recv` whose mask includes them.
pub fn post(task: TaskId, bits: u32) -> Result<(), KernelError> {
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::Post, abi::PostArgs { task, bits: u64::from(bits) }.to_regs()) }.map(|_| ())
}

/// Maps `len` bytes of zeroed memory at page-aligned `addr` in this task.
/// Safe because the range must not overlap anything already mapped, so no
/// existing reference can be affected.
pub fn map(addr: u64, len: u64, flags: u64) -> Result<(), KernelError> {
    // SAFETY: map never touches existing mappings (AlreadyMapped instead).
    unsafe { invoke(Sysnum::Map, MapArgs { addr, len, flags }.to_regs()) }.map(|_| ())
}

/// Unmaps and frees `len` bytes at `addr`.
///
/// # Safety
/// Nothing may refer to memory in the range afterwards.
pub unsafe fn unmap(addr: u64, len: u64) -> Result<(), KernelError> {
    // SAFETY: the caller guarantees the range is no longer used.
    unsafe { invoke(Sysnum::Unmap, UnmapArgs { addr, len }.to_regs()) }.map(|_| ())
}

/// Frame and task counts.
pub fn stats() -> Result<KernelStats, KernelError> {
    let mut stats = KernelStats::default();
    // SAFETY: `stats` is a writable KernelStats, the layout the kernel writes.
    unsafe { invoke(Sysnum::Stats, [&mut stats as *mut KernelStats as u64, 0, 0, 0, 0, 0]) }?;
    Ok(stats)
}

/// What the kernel has done since boot: entries, task and address-space
/// switches (see `abi::CostCounters`).
pub fn counters() -> Result<CostCounters, KernelError> {
    let mut counters = CostCounters::default();
    // SAFETY: `counters` is a writable CostCounters, the layout the kernel writes.
    unsafe { invoke(Sysnum::Counters, [&mut counters as *mut CostCounters as u64, 0, 0, 0, 0, 0]) }?;
    Ok(counters)
}

/// The task in table slot `index`: `NotFound` for an empty slot, `NoSuchTask`
/// past the table.
pub fn task_info(index: usize) -> Result<TaskInfo, KernelError> {
    let mut info = TaskInfo::default();
    let args = TaskInfoArgs { index: index as u64, info: &mut info as *mut TaskInfo as u64 };
    // SAFETY: `info` is a writable TaskInfo, the layout the kernel writes.
    unsafe { invoke(Sysnum::TaskInfo, args.to_regs()) }?;
    Ok(info)
}

/// The name stored in a [`TaskInfo`], or "?" if it is not UTF-8.
pub fn task_name(info: &TaskInfo) -> &str {
    let len = (info.name_len as usize).min(info.name.len());
    core::str::from_utf8(&info.name[..len]).unwrap_or("?")
}

/// The task currently bound to registry `name`.
pub fn lookup(name: &str) -> Result<TaskId, KernelError> {
    let args = BytesArgs { addr: name.as_ptr() as u64, len: name.len() as u64 };
    // SAFETY: `name` is readable for its length.
    let regs = unsafe { invoke(Sysnum::Lookup, args.to_regs()) }?;
    Ok(TaskId::from_raw(regs.rax as u32))
}

/// From now on `notify::TASK_EXIT` arrives whenever any task ends.
pub fn subscribe_exits() -> Result<(), KernelError> {
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::SubscribeExits, [0; 6]) }.map(|_| ())
}

/// Whether this exact incarnation of `task` still runs.
pub fn task_alive(task: TaskId) -> bool {
    // SAFETY: no pointer arguments.
    matches!(unsafe { invoke(Sysnum::TaskAlive, [task.raw() as u64, 0, 0, 0, 0, 0]) },
        Ok(regs) if regs.rax == 1)
}

/// Unmasks an interrupt line granted to this task, after handling the device.
pub fn irq_ack(irq: u8) -> Result<(), KernelError> {
    // SAFETY: no pointer arguments.
    unsafe { invoke(Sysnum::IrqAck, [irq as u64, 0, 0, 0, 0, 0]) }.map(|_| ())
}
