//! The IPC fast path: the calls a client and a server make on every round
//! trip, in the case that matters most, go straight to the task that runs
//! next.
//!
//! - `call` to a server already waiting in `recv` (or `reply_recv`): the
//!   request is delivered and the server runs at once.
//! - `reply_recv` (and the later reply of `reply2_recv`, whose earlier one
//!   goes out as by `reply`) to a caller waiting for that reply, when the
//!   server then finds nothing to receive: the server blocks and the caller
//!   runs at once, or, when a task as urgent as the caller already waits in
//!   the run queues, the caller queues behind it and the head of the queues
//!   runs.
//! - `recv` that finds nothing to receive while a task waits in the run
//!   queues: the receiver blocks and the head of the queues runs.
//!
//! All end in a direct switch to the partner ([`Kernel::switch_direct`]) or
//! the queue head instead of a `Next` applied by `dispatch` and the
//! scheduler's general choice at the end of the entry. The checks are the
//! general path's own (`syscall::ipc`), each made once; the rule that decides whether a call
//! goes fast is `kcore::fastpath`, checked on the host against a model of
//! the general path. Anything else, including every error, goes on as the
//! general path from where the checks got, so both paths give the same
//! results; `fastpath=off` on the kernel command line sends everything the
//! general way, to compare them.

use super::finish;
use super::ipc::{answer_both, answer_inline, answered_caller, call_to, called_server, receive_and_wake, receive_wait};
use super::ipc::{receive, reply_recv_to, take_request};
use crate::arch::trap::TrapFrame;
use crate::kernel::{Kernel, RecvWait};
use abi::{CallArgs, RecvArgs, Reply2RecvArgs, ReplyArgs, ReplyRecvArgs};
use kcore::fastpath::{AfterReply, AfterReply2, Waiting, call_goes_fast, recv_goes_fast};
use kcore::fastpath::{reply_recv_goes_fast, reply2_recv_goes_fast};
use kcore::task_index::TaskIndex;

/// `call`: delivered to a server waiting in an open receive, which runs at
/// once; otherwise the general path from where the checks got.
#[inline(always)]
pub fn call(k: &mut Kernel, caller: TaskIndex, args: CallArgs) -> *const TrapFrame {
    let server = match called_server(k, caller, &args) {
        Ok(server) => server,
        Err(e) => return finish(k, caller, Err(e)),
    };
    let (calling, called, mut cpu) = k.pair_and_cpu(caller, server);
    let wait = match call_goes_fast(&called.state()) {
        Some(wait) if called.resumable() => wait,
        _ => {
            let handled = call_to(k, caller, server, &args);
            return finish(k, caller, handled);
        }
    };
    if let Err(e) = take_request(calling, &args) {
        return finish(k, caller, Err(e));
    }
    let results = Kernel::deliver_between(calling, called, wait);
    called.set_results(&results);
    cpu.count_fast_call();
    cpu.switch_direct(server, called)
}

/// `reply_recv`: when the server blocks after answering, straight to the
/// caller or the head of the queues; otherwise the general path from where
/// the checks got.
#[inline(always)]
pub fn reply_recv(k: &mut Kernel, server: TaskIndex, args: ReplyRecvArgs) -> *const TrapFrame {
    let wait = match receive_wait(k, server, args.recv()) {
        Ok(wait) => wait,
        Err(e) => return finish(k, server, Err(e)),
    };
    let reply = args.reply();
    let caller = match answered_caller(k, server, &reply) {
        Ok(caller) => caller,
        Err(e) => return finish(k, server, Err(e)),
    };
    answer_and_receive(k, server, wait, caller, reply)
}

/// `reply2_recv`: both replies copied, then, when the server blocks and
/// the earlier caller would head the queues, the earlier caller runs and
/// the later one queues; otherwise the earlier caller is woken as by
/// `reply`, then the later one as by a `reply_recv` on the fast path. Out of
/// line, so that it does not crowd the entry function the other calls share.
#[inline(never)]
pub fn reply2_recv(k: &mut Kernel, server: TaskIndex) -> *const TrapFrame {
    let args = Reply2RecvArgs::from_regs(k.task(server).frame().syscall_args());
    let (wait, later, earlier) = match answer_both(k, server, &args) {
        Ok(answered) => answered,
        Err(e) => return finish(k, server, Err(e)),
    };
    let (earlier_priority, later_priority) = (k.task(earlier).priority(), k.task(later).priority());
    let after_later = match reply2_recv_goes_fast(&wait, &waiting(k, server), earlier_priority, later_priority) {
        Some(AfterReply2::Earlier) if k.resumable(earlier) => {
            k.block_receiving(server, wait);
            k.count_fast_reply();
            return k.queue_and_run(later, earlier);
        }
        Some(AfterReply2::AsReplyRecv(after)) => Some(after),
        _ => None,
    };
    k.make_runnable(earlier);
    let Some(next) = next_after_reply(k, after_later, later) else {
        let handled = Ok(receive_and_wake(k, server, wait, later));
        return finish(k, server, handled);
    };
    block_and_switch(k, server, wait, later, next)
}

/// `recv`: when the receiver blocks and a task waits in the run queues,
/// straight to the head of the queues; otherwise the general path from
/// where the checks got. Out of line, as `reply2_recv`.
#[inline(never)]
pub fn recv(k: &mut Kernel, receiver: TaskIndex) -> *const TrapFrame {
    let args = RecvArgs::from_regs(k.task(receiver).frame().syscall_args());
    let wait = match receive_wait(k, receiver, args) {
        Ok(wait) => wait,
        Err(e) => return finish(k, receiver, Err(e)),
    };
    if recv_goes_fast(&wait, &waiting(k, receiver)) && k.resumable_queue_head().is_some() {
        k.block_receiving(receiver, wait);
        return k.switch_to_queue_head();
    }
    let handled = Ok(receive(k, receiver, wait));
    finish(k, receiver, handled)
}

/// The answer of a `reply_recv` (checked up to its caller) and its receive:
/// when the server blocks, straight to the caller or the queue head.
#[inline(always)]
fn answer_and_receive(
    k: &mut Kernel,
    server: TaskIndex,
    wait: RecvWait,
    caller: TaskIndex,
    reply: ReplyArgs,
) -> *const TrapFrame {
    let Some(next) = fast_next(k, server, &wait, caller) else {
        let handled = reply_recv_to(k, server, wait, caller, &reply);
        return finish(k, server, handled);
    };
    if let Err(e) = answer_inline(k, server, caller, &reply) {
        return finish(k, server, Err(e));
    }
    block_and_switch(k, server, wait, caller, next)
}

/// Who runs next if the server blocks in its receive after answering
/// `caller`, when that goes on the fast path.
#[inline(always)]
fn fast_next(k: &Kernel, server: TaskIndex, wait: &RecvWait, caller: TaskIndex) -> Option<TaskIndex> {
    let after = reply_recv_goes_fast(wait, &waiting(k, server), k.task(caller).priority());
    next_after_reply(k, after, caller)
}

/// The task the fast path runs after answering `caller`, as `after` says,
/// if it can be resumed.
#[inline(always)]
fn next_after_reply(k: &Kernel, after: Option<AfterReply>, caller: TaskIndex) -> Option<TaskIndex> {
    match after {
        Some(AfterReply::Caller) if k.resumable(caller) => Some(caller),
        Some(AfterReply::QueueHead) => k.resumable_queue_head(),
        _ => None,
    }
}

/// What waits for `receiver`, about to receive, and for the CPU.
#[inline(always)]
fn waiting(k: &Kernel, receiver: TaskIndex) -> Waiting {
    Waiting {
        pending: k.task(receiver).pending(),
        has_callers: k.has_queued_callers(receiver),
        most_urgent_queued: k.most_urgent_queued(),
    }
}

/// The server blocks in its receive and `next` runs: the caller it
/// answered, or the head of the queues with the caller queued behind.
#[inline(always)]
fn block_and_switch(
    k: &mut Kernel,
    server: TaskIndex,
    wait: RecvWait,
    caller: TaskIndex,
    next: TaskIndex,
) -> *const TrapFrame {
    k.block_receiving(server, wait);
    k.count_fast_reply();
    if next == caller { k.switch_direct(caller) } else { k.queue_and_switch(caller) }
}
