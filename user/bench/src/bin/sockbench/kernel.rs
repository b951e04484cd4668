//! The kernel alone: a null syscall and a null IPC round trip.

use alloc::format;
use alloc::string::String;

use abi::{KernelError, Received, TaskId};
use bench::plan::{Plan, ipc_op};
use bench::report::{Measured, ResultLine};
use urt::ipc::{call, recv, reply, reply_recv};

use crate::clock::Stopwatch;
use crate::{Bencher, emit, spawn, wait_ok};

/// A number no syscall has: the kernel decodes it, finds nothing and returns
/// `NoSuchCall`, which is the least work a syscall can do.
const NO_SUCH_CALL: u64 = 0xffff_ffff;

/// One syscall with an unknown number; returns `rax`.
#[inline(always)]
fn no_such_call() -> i64 {
    let rax: i64;
    // SAFETY: the kernel rejects the number before looking at any argument,
    // so no memory is read or written; every register the kernel may write
    // is declared as clobbered, as the syscall contract asks.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") NO_SUCH_CALL => rax,
            lateout("rdi") _, lateout("rsi") _, lateout("rdx") _,
            lateout("r10") _, lateout("r8") _, lateout("r9") _,
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    rax
}

/// `sys`: ns per syscall with an unknown number.
pub fn null_syscall(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    let calls = plan.sys_calls();
    if no_such_call() != KernelError::NoSuchCall.code() {
        return Err(String::from("an unknown syscall number did not give NoSuchCall"));
    }
    let watch = Stopwatch::start();
    for _ in 0..calls {
        no_such_call();
    }
    let measured = bencher.measured(watch.lap());
    let n = u64::from(calls);
    emit(ResultLine::new("sys").field("call", "no-such-call").timed("call", n, &measured).costs(&measured.costs, n));
    Ok(())
}

/// `ipc`: ns per empty call/reply round trip with a copy of this program.
pub fn null_ipc(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    let server = spawn(&["sockbench", "ipc-server"])?;
    let measured = time_null_calls(bencher, plan, server);
    // Stop the server whatever happened, so it does not outlive us.
    let quit = call(server, ipc_op::QUIT, &[], &mut [], &[]);
    let measured = measured?;
    quit.map_err(|err| format!("quit: {err}"))?;
    wait_ok(server, "ipc-server")?;
    emit(ResultLine::new("ipc").round_trips(plan.round_trips.into(), &measured));
    Ok(())
}

/// Warm-up round trips, then the timed ones, measured.
fn time_null_calls(bencher: &Bencher, plan: &Plan, server: TaskId) -> Result<Measured, String> {
    let round_trip = || call(server, ipc_op::NULL, &[], &mut [], &[]).map_err(|err| format!("call: {err}"));
    for _ in 0..plan.warm_up() {
        round_trip()?;
    }
    let watch = Stopwatch::start();
    for _ in 0..plan.round_trips {
        round_trip()?;
    }
    Ok(bencher.measured(watch.lap()))
}

/// The `ipc-server` role: answers every call at once until `QUIT`, as a
/// server loop does: each answer goes out with the next receive.
pub fn serve_null_calls() -> i32 {
    let mut request = [0u8; 16];
    let mut received = recv(&mut request, 0);
    loop {
        match received {
            Ok(Received::Message(message)) if message.operation == ipc_op::QUIT => {
                let _ = reply(message.sender, 0, &[]);
                return 0;
            }
            Ok(Received::Message(message)) => {
                received = reply_recv(message.sender, 0, &[], &mut request, 0)
                    .map(|incoming| incoming.received)
                    // Nothing happened: the caller is gone. Just receive.
                    .or_else(|_| recv(&mut request, 0));
            }
            Ok(Received::Notification(_)) => received = recv(&mut request, 0),
            Err(_) => return 1,
        }
    }
}
