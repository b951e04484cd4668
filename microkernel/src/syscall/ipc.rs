//! call / recv / reply: synchronous rendezvous with deferred reply.
//!
//! A call's request is copied into the caller's control block at call time,
//! so delivering it later can never fail because of the caller. A server
//! that is already waiting in `recv` gets the message at once and runs next
//! (the caller's time goes to it); otherwise the caller queues on the
//! server. The reply may come at any later point, in any order.
//! `reply_recv`, a server's loop in one entry, replies and then receives;
//! when the server blocks there, the caller it answered runs next, again
//! without a trip through the run queues.

use super::{Handled, Next};
use crate::kernel::{Kernel, RecvWait, Task};
use crate::usercopy::{check_access, copy_between, copy_from_user, read_struct};
use abi::{CallArgs, CallResult, KernelError, Lease, recv_flags};
use abi::{MAX_LEASES, MAX_MESSAGE, RecvArgs, RecvResult, Reply2RecvArgs, ReplyArgs, ReplyMessage, ReplyRecvArgs};
use kcore::ipc::{CallStep, RecvStep, call_step, recv_step};
use kcore::lease::LentLease;
use kcore::task_index::TaskIndex;
use kcore::user_memory::{UserSliceRo, UserSliceWo};

#[inline(always)]
pub fn call(k: &mut Kernel, caller: TaskIndex, args: CallArgs) -> Handled {
    let server = called_server(k, caller, &args)?;
    call_to(k, caller, server, &args)
}

/// The rest of a `call` to `server` (from [`called_server`]).
#[inline(always)]
pub(super) fn call_to(k: &mut Kernel, caller: TaskIndex, server: TaskIndex, args: &CallArgs) -> Handled {
    take_request(k.task_mut(caller), args)?;
    match call_step(&k.task(server).state()) {
        CallStep::Deliver(wait) => {
            let results = k.deliver(caller, server, wait);
            k.task_mut(server).set_results(&results);
            Ok(Next::HandOff(server))
        }
        CallStep::Queue => {
            k.queue_call(caller, server);
            Ok(Next::Blocked)
        }
    }
}

/// The server a call goes to, after the checks that need no memory.
#[inline(always)]
pub(super) fn called_server(k: &Kernel, caller: TaskIndex, args: &CallArgs) -> Result<TaskIndex, KernelError> {
    if args.request_len as usize > MAX_MESSAGE || args.lease_count as usize > MAX_LEASES {
        return Err(KernelError::BadArgument);
    }
    let server = k.resolve(args.dest)?;
    if server == caller {
        return Err(KernelError::BadArgument);
    }
    Ok(server)
}

/// Copies a call's request and lease table into the caller's call block,
/// after checking its reply buffer. The call block is only read while the
/// caller is blocked, so it is filled in place; a failure leaves nothing
/// that matters, and doing it again gives the same answer.
#[inline(always)]
pub(super) fn take_request(calling: &mut Task, args: &CallArgs) -> Result<(), KernelError> {
    let (request_len, lease_count) = (args.request_len as usize, args.lease_count as usize);
    let (space, call) = calling.space_and_call();
    let reply = UserSliceWo::new(args.reply, args.reply_cap.min(MAX_MESSAGE as u64))?;
    check_access(space, reply)?;
    for i in 0..lease_count {
        // Entry 0 was found to lie in user space before any later entry is
        // read, so the sum for a later one cannot wrap.
        let entry = args.lease_table + (i * Lease::BYTES) as u64;
        let lease: Lease = read_struct(space, UserSliceRo::of::<Lease>(entry)?)?;
        call.leases[i] = LentLease::new(lease)?;
    }
    let request = UserSliceRo::new(args.request, request_len as u64)?;
    copy_from_user(space, request, &mut call.message[..request_len])?;
    call.operation = args.operation;
    call.len = request_len;
    call.reply_buf = reply;
    call.lease_count = lease_count;
    Ok(())
}

/// A receive's arguments, checked: nothing has happened yet if this fails.
#[inline]
pub(super) fn receive_wait(k: &Kernel, receiver: TaskIndex, args: RecvArgs) -> Result<RecvWait, KernelError> {
    if args.flags & !recv_flags::NOTIFICATIONS_ONLY != 0 {
        return Err(KernelError::BadArgument);
    }
    let buf = UserSliceWo::new(args.buf, args.cap.min(MAX_MESSAGE as u64))?;
    check_access(k.task(receiver).space(), buf)?;
    let notifications_only = args.flags & recv_flags::NOTIFICATIONS_ONLY != 0;
    Ok(RecvWait { buf, mask: args.mask, notifications_only })
}

#[inline(always)]
pub fn recv(k: &mut Kernel, receiver: TaskIndex, args: RecvArgs) -> Handled {
    let wait = receive_wait(k, receiver, args)?;
    Ok(receive(k, receiver, wait))
}

/// Delivers a notification or a queued call, or blocks the receiver.
#[inline]
pub(super) fn receive(k: &mut Kernel, receiver: TaskIndex, wait: RecvWait) -> Next {
    let task = k.task(receiver);
    match recv_step(task.pending(), &wait, k.has_queued_callers(receiver)) {
        RecvStep::Notify(bits) => {
            k.task_mut(receiver).take_pending(bits);
            Next::Same(RecvResult::notification(bits).to_results())
        }
        RecvStep::TakeCaller => {
            let caller = k.take_queued_caller(receiver).expect("recv_step saw a queued caller");
            Next::Same(k.deliver(caller, receiver, wait))
        }
        RecvStep::Block => {
            k.block_receiving(receiver, wait);
            Next::Blocked
        }
    }
}

#[inline(always)]
pub fn reply(k: &mut Kernel, server: TaskIndex, args: ReplyArgs) -> Handled {
    let caller = answered_caller(k, server, &args)?;
    answer(k, server, caller, &args)?;
    k.make_runnable(caller);
    Ok(Next::value(0))
}

/// `reply` then `recv`. The receive's arguments are checked before the
/// reply goes out, so an error means that nothing happened: no reply, no
/// receive.
#[inline(always)]
pub fn reply_recv(k: &mut Kernel, server: TaskIndex, args: ReplyRecvArgs) -> Handled {
    let wait = receive_wait(k, server, args.recv())?;
    let reply = args.reply();
    let caller = answered_caller(k, server, &reply)?;
    reply_recv_to(k, server, wait, caller, &reply)
}

/// `reply2_recv`: two replies, the earlier one read from the server's
/// memory, then a receive. An error means nothing happened (no caller was
/// woken, nothing received); the earlier caller is then woken as by
/// `reply`, and the later one as by `reply_recv`.
#[inline(always)]
pub fn reply2_recv(k: &mut Kernel, server: TaskIndex, args: Reply2RecvArgs) -> Handled {
    let (wait, later, earlier) = answer_both(k, server, &args)?;
    k.make_runnable(earlier);
    Ok(receive_and_wake(k, server, wait, later))
}

/// The checks and copies of `reply2_recv`: its receive, then both replies,
/// to two different callers waiting for `server`. The later reply is copied
/// first: should either copy fail, no caller has been woken, so nothing has
/// happened but bytes in a reply buffer (as when `reply_recv` fails), and
/// the server may try again. Returns the receive and the later and earlier
/// callers, neither woken yet.
#[inline(always)]
pub(super) fn answer_both(
    k: &mut Kernel,
    server: TaskIndex,
    args: &Reply2RecvArgs,
) -> Result<(RecvWait, TaskIndex, TaskIndex), KernelError> {
    let wait = receive_wait(k, server, args.recv())?;
    let space = k.task(server).space();
    let earlier: ReplyArgs = read_struct::<ReplyMessage>(space, UserSliceRo::of::<ReplyMessage>(args.earlier)?)?.into();
    let later = args.later();
    let earlier_caller = answered_caller(k, server, &earlier)?;
    let later_caller = answered_caller(k, server, &later)?;
    if earlier_caller == later_caller {
        return Err(KernelError::BadArgument);
    }
    answer_inline(k, server, later_caller, &later)?;
    answer_inline(k, server, earlier_caller, &earlier)?;
    Ok((wait, later_caller, earlier_caller))
}

/// What a server's reply and receive lead to: the caller it answered runs
/// next when the server blocks (unless others as urgent wait), else it is
/// made runnable and the receive's result stands.
#[inline(always)]
pub(super) fn woken_after_receive(k: &mut Kernel, caller: TaskIndex, next: Next) -> Next {
    match next {
        Next::Blocked => Next::RunWoken(caller),
        next => {
            k.make_runnable(caller);
            next
        }
    }
}

/// The rest of a `reply_recv` once its receive is checked ([`receive_wait`])
/// and its caller found ([`answered_caller`]).
#[inline(always)]
pub(super) fn reply_recv_to(
    k: &mut Kernel,
    server: TaskIndex,
    wait: RecvWait,
    caller: TaskIndex,
    reply: &ReplyArgs,
) -> Handled {
    answer(k, server, caller, reply)?;
    Ok(receive_and_wake(k, server, wait, caller))
}

/// The server's receive after it answered `caller`, then `caller` woken
/// as [`woken_after_receive`] says.
#[inline(always)]
pub(super) fn receive_and_wake(k: &mut Kernel, server: TaskIndex, wait: RecvWait, caller: TaskIndex) -> Next {
    let next = receive(k, server, wait);
    woken_after_receive(k, caller, next)
}

/// The caller a reply goes to, which must wait for `server`, after the
/// checks that need no memory.
#[inline(always)]
pub(super) fn answered_caller(k: &Kernel, server: TaskIndex, args: &ReplyArgs) -> Result<TaskIndex, KernelError> {
    if args.len > MAX_MESSAGE as u64 {
        return Err(KernelError::BadArgument);
    }
    k.waiting_caller(server, args.caller)
}

/// Copies the reply into `caller` (from [`answered_caller`]) and sets its
/// results; the caller still has to be made runnable. A failure leaves only
/// the bytes copied before it, which doing it again copies the same way.
#[inline(never)]
pub(super) fn answer(
    k: &mut Kernel,
    server: TaskIndex,
    caller: TaskIndex,
    args: &ReplyArgs,
) -> Result<(), KernelError> {
    answer_inline(k, server, caller, args)
}

/// [`answer`], inlined into the fast path.
#[inline(always)]
pub(super) fn answer_inline(
    k: &mut Kernel,
    server: TaskIndex,
    caller: TaskIndex,
    args: &ReplyArgs,
) -> Result<(), KernelError> {
    let (waiting, answering) = k.pair_mut(caller, server);
    let data = UserSliceRo::new(args.data, args.len)?;
    let reply = waiting.call().reply_buf.prefix(args.len);
    // The whole reply must be readable, even the bytes the caller has no
    // room for; the copy checks its own part as it goes.
    if data.len() > reply.len() {
        check_access(answering.space(), data.after(reply.len()))?;
    }
    copy_between(answering.space(), data.prefix(reply.len()), waiting.space(), reply)?;
    waiting.set_results(&CallResult { code: args.code, len: reply.len() as usize }.to_results());
    Ok(())
}
