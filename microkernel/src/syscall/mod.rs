//! Syscall dispatch: one function per call, one shape.
//!
//! Each handler gets the kernel and reads its arguments from the current
//! task's saved registers. `Ok(Some(v))` returns `v` in rax; `Ok(None)`
//! means the handler already set the registers or blocked the task (the
//! result is written when it wakes); `Err(e)` returns the error code.

mod fork;
mod ipc;
mod lease;
mod memory;
mod misc;
mod task;

pub use memory::map_fresh;

use crate::kernel::Kernel;
use abi::{KernelError, Sysnum};

pub type SysResult = Result<Option<u64>, KernelError>;

/// The six argument registers of the `syscall` convention.
#[derive(Clone, Copy)]
pub struct Args(pub [u64; 6]);

pub fn dispatch(k: &mut Kernel) {
    let frame = &k.current().frame;
    let args = Args([frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9]);
    let result = match Sysnum::try_from(frame.rax) {
        Ok(number) => call(k, number, args),
        Err(e) => Err(e),
    };
    let current = k.current();
    match result {
        Ok(Some(value)) => current.set_result(value as i64),
        Ok(None) => {}
        Err(e) => current.set_result(e.code()),
    }
}

fn call(k: &mut Kernel, number: Sysnum, a: Args) -> SysResult {
    let [a0, a1, a2, a3, a4, a5] = a.0;
    match number {
        Sysnum::Exit => misc::exit(k, a0 as i32),
        Sysnum::Yield => misc::yield_now(k),
        Sysnum::Log => misc::log(k, a0, a1),
        Sysnum::ReadLog => misc::read_log(k, a0, a1, a2),
        Sysnum::Now => Ok(Some(k.now_ns)),
        Sysnum::SetTimer => misc::set_timer(k, a0),
        Sysnum::Map => memory::map(k, a0, a1, a2),
        Sysnum::Unmap => memory::unmap(k, a0, a1),
        Sysnum::Stats => misc::stats(k, a0),
        Sysnum::TaskInfo => misc::task_info(k, a0, a1),
        Sysnum::Call => ipc::call(k, a0, a1, a2, a3, a4, a5),
        Sysnum::Recv => ipc::recv(k, a0, a1, a2, a3),
        Sysnum::Reply => ipc::reply(k, a0, a1, a2, a3),
        Sysnum::LeaseRead => lease::read(k, a0, a1, a2, a3),
        Sysnum::LeaseWrite => lease::write(k, a0, a1, a2, a3),
        Sysnum::LeaseCopy => lease::copy(k, a0, a1, a2, a3, a4),
        Sysnum::LeaseInfo => lease::info(k, a0),
        Sysnum::Lookup => misc::lookup(k, a0, a1),
        Sysnum::SubscribeExits => misc::subscribe_exits(k),
        Sysnum::TaskAlive => Ok(Some(k.resolve(abi::TaskId::from_raw(a0 as u32)).is_ok() as u64)),
        Sysnum::TaskCreate => task::create(k, a0, a1, a2, a3),
        Sysnum::TaskMap => task::map(k, a0, a1, a2, a3, a4, a5),
        Sysnum::TaskStart => task::start(k, a0, a1, a2, a3, a4),
        Sysnum::TaskKill => task::kill(k, a0),
        Sysnum::Reap => task::reap(k, a0),
        Sysnum::Bind => task::bind(k, a0, a1, a2),
        Sysnum::GrantPorts => task::grant_ports(k, a0, a1, a2),
        Sysnum::GrantIrq => task::grant_irq(k, a0, a1, a2),
        Sysnum::IrqAck => misc::irq_ack(k, a0),
        Sysnum::Poweroff => task::poweroff(k),
        Sysnum::ReplyRecv => ipc::reply_recv(k, a0, a1, a2, a3, a4, a5),
        Sysnum::TaskFork => fork::fork(k, a0),
        Sysnum::Post => misc::post(k, a0, a1),
    }
}

/// Reads a short name or text argument into a kernel buffer.
fn read_name<'b>(k: &mut Kernel, ptr: u64, len: u64, buf: &'b mut [u8]) -> Result<&'b [u8], KernelError> {
    if len as usize > buf.len() || len == 0 {
        return Err(KernelError::BadArgument);
    }
    let out = &mut buf[..len as usize];
    crate::usercopy::copy_from_user(k.current().space(), ptr, out)?;
    Ok(out)
}
