//! Syscall dispatch: one handler per call, one shape.
//!
//! A handler takes the kernel, its caller (the task running this entry)
//! and its arguments, decoded from the registers by `abi`'s types, and
//! returns what happens next ([`Next`]): the caller goes on with results,
//! or it waits, possibly with another task running in its place.
//! [`dispatch`] applies that in one place; an error goes back to the
//! caller in `rax`. A waiting caller's results are written by whoever
//! wakes it.

mod fastpath;
mod fork;
mod ipc;
mod lease;
mod memory;
mod misc;
mod task;

pub use memory::map_fresh;

use crate::arch::trap::TrapFrame;
use crate::kernel::Kernel;
use abi::{BindArgs, BytesArgs, GrantIrqArgs, GrantPortsArgs, MapArgs, PostArgs, ReadLogArgs, TaskCreateArgs};
use abi::{CallArgs, LeaseAccessArgs, LeaseCopyArgs, LeaseRef, RecvArgs, Reply2RecvArgs, ReplyArgs, ReplyRecvArgs};
use abi::{KernelError, Register, Results, Sysnum, TaskId};
use abi::{TaskInfoArgs, TaskMapArgs, TaskStartArgs, UnmapArgs};
use kcore::task_index::TaskIndex;
use kcore::user_memory::UserSliceRo;

/// What happens once a syscall's handler is done.
pub enum Next {
    /// The caller goes on with these results.
    Same(Results),
    /// The caller waits (it blocked, or it ended); the scheduler picks the
    /// task to run.
    Blocked,
    /// The caller waits and this task, which its call made runnable (a
    /// server that took the request), runs in its place.
    HandOff(TaskIndex),
    /// The caller blocked right after waking this task (the caller it
    /// answered), which runs next unless a task as urgent already waits.
    RunWoken(TaskIndex),
}

impl Next {
    /// The caller goes on with `rax` = `value`.
    #[inline]
    pub const fn value(value: u64) -> Next {
        Next::Same(Results::value(value))
    }
}

pub type Handled = Result<Next, KernelError>;

/// Runs the syscall the current task made, from its saved registers, and
/// returns the frame to resume. `call`, `recv`, `reply_recv` and
/// `reply2_recv` go to the IPC fast path (unless it is off), which switches
/// straight to the task that runs next when it can and otherwise goes on
/// like [`dispatch`]; every other call goes through [`dispatch`] and the
/// scheduler's choice at the end of the entry.
#[inline(always)]
pub fn enter(k: &mut Kernel) -> *const TrapFrame {
    const CALL: u64 = Sysnum::Call as u64;
    const RECV: u64 = Sysnum::Recv as u64;
    const REPLY_RECV: u64 = Sysnum::ReplyRecv as u64;
    const REPLY2_RECV: u64 = Sysnum::Reply2Recv as u64;
    k.count_syscall();
    let caller = k.current_index();
    let frame = k.task(caller).frame();
    let number = frame.syscall_number();
    // The fast path's calls, the most frequent, are told apart first by
    // their numbers, among four instead of all. The registers are read
    // in each arm, where they are used, so that none waits on the stack for
    // an arm that does not need it.
    if k.fast_path() {
        match number {
            CALL => return fastpath::call(k, caller, CallArgs::from_regs(frame.syscall_args())),
            REPLY_RECV => return fastpath::reply_recv(k, caller, ReplyRecvArgs::from_regs(frame.syscall_args())),
            // These two are out of line: they read their own registers,
            // so none are passed on the stack.
            RECV => return fastpath::recv(k, caller),
            REPLY2_RECV => return fastpath::reply2_recv(k, caller),
            _ => {}
        }
    }
    match Sysnum::try_from(number) {
        Ok(number) => dispatch(k, caller, number, frame.syscall_args()),
        Err(e) => k.task_mut(caller).set_results(&Results::error(e)),
    }
    k.finish_entry()
}

/// Runs syscall `number` of `caller` with its argument registers.
fn dispatch(k: &mut Kernel, caller: TaskIndex, number: Sysnum, args: abi::ArgRegs) {
    let [first, ..] = args;
    // Each arm applies its own handler's answer, so that what a handler
    // can answer is known where it is applied.
    macro_rules! run {
        ($handler:expr) => {{
            let handled = $handler;
            apply(k, caller, handled)
        }};
    }
    match number {
        Sysnum::Exit => run!(misc::exit(k, caller, i32::from_reg(first))),
        Sysnum::Yield => run!(misc::yield_now(k)),
        Sysnum::Log => run!(misc::log(k, caller, BytesArgs::from_regs(args))),
        Sysnum::ReadLog => run!(misc::read_log(k, caller, ReadLogArgs::from_regs(args))),
        Sysnum::Now => run!(misc::now(k)),
        Sysnum::SetTimer => run!(misc::set_timer(k, caller, first)),
        Sysnum::Map => run!(memory::map(k, caller, MapArgs::from_regs(args))),
        Sysnum::Unmap => run!(memory::unmap(k, caller, UnmapArgs::from_regs(args))),
        Sysnum::Stats => run!(misc::stats(k, caller, first)),
        Sysnum::TaskInfo => run!(misc::task_info(k, caller, TaskInfoArgs::from_regs(args))),
        Sysnum::Call => run!(ipc::call(k, caller, CallArgs::from_regs(args))),
        Sysnum::Recv => run!(ipc::recv(k, caller, RecvArgs::from_regs(args))),
        Sysnum::Reply => run!(ipc::reply(k, caller, ReplyArgs::from_regs(args))),
        Sysnum::LeaseRead => run!(lease::read(k, caller, LeaseAccessArgs::from_regs(args))),
        Sysnum::LeaseWrite => run!(lease::write(k, caller, LeaseAccessArgs::from_regs(args))),
        Sysnum::LeaseCopy => run!(lease::copy(k, caller, LeaseCopyArgs::from_regs(args))),
        Sysnum::LeaseInfo => run!(lease::info(k, caller, LeaseRef::from_reg(first))),
        Sysnum::Lookup => run!(misc::lookup(k, caller, BytesArgs::from_regs(args))),
        Sysnum::SubscribeExits => run!(misc::subscribe_exits(k, caller)),
        Sysnum::TaskAlive => run!(misc::task_alive(k, TaskId::from_reg(first))),
        Sysnum::TaskCreate => run!(task::create(k, caller, TaskCreateArgs::from_regs(args))),
        Sysnum::TaskMap => run!(task::map(k, caller, TaskMapArgs::from_regs(args))),
        Sysnum::TaskStart => run!(task::start(k, caller, TaskStartArgs::from_regs(args))),
        Sysnum::TaskKill => run!(task::kill(k, caller, TaskId::from_reg(first))),
        Sysnum::TaskFault => run!(task::fault(k, caller, TaskId::from_reg(first))),
        Sysnum::Reap => run!(task::reap(k, caller, first)),
        Sysnum::Bind => run!(task::bind(k, caller, BindArgs::from_regs(args))),
        Sysnum::GrantPorts => run!(task::grant_ports(k, caller, GrantPortsArgs::from_regs(args))),
        Sysnum::GrantIrq => run!(task::grant_irq(k, caller, GrantIrqArgs::from_regs(args))),
        Sysnum::IrqAck => run!(misc::irq_ack(k, caller, first)),
        Sysnum::Poweroff => run!(task::poweroff(k, caller)),
        Sysnum::ReplyRecv => run!(ipc::reply_recv(k, caller, ReplyRecvArgs::from_regs(args))),
        Sysnum::TaskFork => run!(fork::fork(k, caller, TaskId::from_reg(first))),
        Sysnum::Post => run!(misc::post(k, PostArgs::from_regs(args))),
        Sysnum::Counters => run!(misc::counters(k, caller, first)),
        Sysnum::Reply2Recv => run!(ipc::reply2_recv(k, caller, Reply2RecvArgs::from_regs(args))),
    }
}

/// Carries out what a handler answered and returns the frame to resume:
/// the general end of an entry.
#[inline(always)]
fn finish(k: &mut Kernel, caller: TaskIndex, handled: Handled) -> *const TrapFrame {
    apply(k, caller, handled);
    k.finish_entry()
}

/// Carries out what a handler answered: the one place results are written
/// for the caller and hand-offs are made.
#[inline(always)]
fn apply(k: &mut Kernel, caller: TaskIndex, handled: Handled) {
    match handled {
        Ok(Next::Same(results)) => k.task_mut(caller).set_results(&results),
        Ok(Next::Blocked) => {}
        Ok(Next::HandOff(task)) => k.hand_off_to(task),
        Ok(Next::RunWoken(task)) => k.run_woken_next(task),
        Err(e) => k.task_mut(caller).set_results(&Results::error(e)),
    }
}

/// Reads a short name or text argument (1 to `buf.len()` bytes) into a
/// kernel buffer.
fn read_name<'b>(k: &Kernel, caller: TaskIndex, name: BytesArgs, buf: &'b mut [u8]) -> Result<&'b [u8], KernelError> {
    if name.len as usize > buf.len() || name.len == 0 {
        return Err(KernelError::BadArgument);
    }
    let out = &mut buf[..name.len as usize];
    crate::usercopy::copy_from_user(k.task(caller).space(), UserSliceRo::new(name.addr, name.len)?, out)?;
    Ok(out)
}
