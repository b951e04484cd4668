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

use super::SysResult;
use crate::kernel::Kernel;
use crate::task::{RecvWait, State};
use kcore::ipc::{awaits_reply_from, call_step, recv_step, CallStep, RecvStep};
use crate::usercopy::{check_access, copy_between, copy_from_user, copy_to_user, read_struct};
use abi::{recv_flags, CallArgs, CallResult, KernelError, Lease, MessageHeader, Received};
use abi::{RecvArgs, RecvResult, ReplyArgs, ReplyRecvArgs, TaskId, MAX_LEASES, MAX_MESSAGE};
use kcore::lease::LentLease;
use kcore::user_memory::{UserSliceRo, UserSliceWo};

#[inline(always)]
pub fn call(k: &mut Kernel, args: CallArgs) -> SysResult {
    let CallArgs { dest, operation, request: req, reply, lease_table, .. } = args;
    let (req_len, lease_count) = (args.request_len as usize, args.lease_count as usize);
    if req_len > MAX_MESSAGE || lease_count > MAX_LEASES {
        return Err(KernelError::BadArgument);
    }
    let server = k.resolve(dest)?;
    let caller = k.current;
    if server == caller {
        return Err(KernelError::BadArgument);
    }
    // The call block is only read while the caller is blocked, so it is
    // filled in place; a failure below leaves nothing that matters.
    let me = k.task_mut(caller);
    let space = me.space.as_ref().ok_or(KernelError::BadArgument)?;
    let reply = UserSliceWo::new(reply, args.reply_cap.min(MAX_MESSAGE as u64))?;
    check_access(space, reply)?;
    for i in 0..lease_count {
        let entry = lease_table.checked_add((i * Lease::BYTES) as u64).ok_or(KernelError::BadAddress)?;
        let lease: Lease = read_struct(space, UserSliceRo::of::<Lease>(entry)?)?;
        me.call.leases[i] = LentLease::new(lease)?;
    }
    copy_from_user(space, UserSliceRo::new(req, req_len as u64)?, &mut me.call.message[..req_len])?;
    me.call.operation = operation;
    me.call.len = req_len;
    me.call.reply_buf = reply;
    me.call.lease_count = lease_count;

    match call_step(&k.task(server).state) {
        CallStep::Deliver(wait) => {
            deliver(k, caller, server, wait);
            k.hand_off_to(server);
        }
        CallStep::Queue => {
            k.current().state = State::SendBlocked(dest);
            k.senders.push_back(server, caller);
        }
    }
    Ok(None)
}

/// Copies a queued call into a receiving server and makes the caller wait
/// for the reply.
fn deliver(k: &mut Kernel, caller: usize, server: usize, wait: RecvWait) {
    let (c, s) = k.pair_mut(caller, server);
    let len = c.call.len.min(wait.buf.len() as usize);
    // The buffer was checked writable when the server entered recv, and a
    // task blocked in recv cannot change its own mappings.
    let copied = copy_to_user(s.space(), wait.buf, &c.call.message[..len]).is_ok();
    // Most requests carry at most one lease: describing it here saves the
    // server a `lease_info` call.
    let header =
        MessageHeader { sender: c.id, job: c.job, operation: c.call.operation, len, leases: c.call.lease_count };
    let first_lease = (c.call.lease_count > 0).then_some(c.call.leases[0].info());
    let received = RecvResult { received: Received::Message(header), first_lease }.to_results();
    s.frame.set_results(&if copied { received } else { received.with_rax(KernelError::BadAddress.code()) });
    c.state = State::ReplyBlocked(s.id);
}

/// A receive's arguments, checked: nothing has happened yet if this fails.
fn receive_wait(k: &Kernel, args: RecvArgs) -> Result<RecvWait, KernelError> {
    let RecvArgs { buf, cap, mask, flags } = args;
    if flags & !recv_flags::NOTIFICATIONS_ONLY != 0 {
        return Err(KernelError::BadArgument);
    }
    let buf = UserSliceWo::new(buf, cap.min(MAX_MESSAGE as u64))?;
    check_access(k.task(k.current).space(), buf)?;
    Ok(RecvWait { buf, mask, notifications_only: flags & recv_flags::NOTIFICATIONS_ONLY != 0 })
}

pub fn recv(k: &mut Kernel, args: RecvArgs) -> SysResult {
    let wait = receive_wait(k, args)?;
    receive(k, wait)
}

/// Delivers a notification or a queued call, or blocks the current task.
fn receive(k: &mut Kernel, wait: RecvWait) -> SysResult {
    let me = k.current;
    match recv_step(k.task(me).pending, &wait, k.senders.has_callers(me)) {
        RecvStep::Notify(bits) => {
            let task = k.task_mut(me);
            task.pending &= !bits;
            task.frame.set_results(&RecvResult::notification(bits).to_results());
            Ok(None)
        }
        RecvStep::TakeCaller => {
            let caller = k.senders.pop_front(me).expect("recv_step saw a queued caller");
            deliver(k, caller, me, wait);
            Ok(None)
        }
        RecvStep::Block => {
            k.task_mut(me).state = State::RecvBlocked(wait);
            Ok(None)
        }
    }
}

pub fn reply(k: &mut Kernel, args: ReplyArgs) -> SysResult {
    let caller = answer(k, args)?;
    k.make_runnable(caller);
    Ok(Some(0))
}

/// `reply` then `recv`. Everything is checked before the reply goes out, so
/// an error means that nothing happened: no reply, no receive.
#[inline(always)]
pub fn reply_recv(k: &mut Kernel, args: ReplyRecvArgs) -> SysResult {
    let wait = receive_wait(k, args.recv())?;
    let caller = answer(k, args.reply())?;
    let result = receive(k, wait);
    if matches!(k.current().state, State::RecvBlocked(_)) {
        k.run_woken_next(caller);
    } else {
        k.make_runnable(caller);
    }
    result
}

/// Copies the reply into a caller waiting for the current task and sets its
/// results; the caller still has to be made runnable.
fn answer(k: &mut Kernel, args: ReplyArgs) -> Result<usize, KernelError> {
    let ReplyArgs { caller, code, data: ptr, len } = args;
    if len > MAX_MESSAGE as u64 {
        return Err(KernelError::BadArgument);
    }
    let caller = waiting_caller(k, caller)?;
    let (c, me) = k.pair_mut(caller, k.current);
    let reply = c.call.reply_buf.prefix(len);
    copy_between(me.space(), UserSliceRo::new(ptr, reply.len())?, c.space(), reply)?;
    c.frame.set_results(&CallResult { code, len: reply.len() as usize }.to_results());
    Ok(caller)
}

/// The slot of a caller that waits for the current task's reply.
pub fn waiting_caller(k: &Kernel, caller: TaskId) -> Result<usize, KernelError> {
    let index = k.resolve(caller)?;
    let me = k.task(k.current).id;
    if awaits_reply_from(&k.task(index).state, me) { Ok(index) } else { Err(KernelError::NotWaiting) }
}
