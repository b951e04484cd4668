//! Who waits for whom: the IPC transitions. A caller is SendBlocked on a
//! server exactly while it is in that server's queue of callers, and
//! ReplyBlocked once its request was delivered to the server; a server in
//! `recv` with nothing to take is RecvBlocked. These are the only places
//! that make those states.

use super::{Kernel, RecvWait, State, Task};
use crate::usercopy::copy_to_user;
use abi::{KernelError, MessageHeader, Received, RecvResult, Results, TaskId};
use kcore::ipc::awaits_reply_from;
use kcore::lease::LentLease;
use kcore::task_index::TaskIndex;

impl Kernel {
    /// `caller` waits in `server`'s queue until the server receives.
    #[inline]
    pub fn queue_call(&mut self, caller: TaskIndex, server: TaskIndex) {
        let server_id = self.task(server).id;
        self.task_mut(caller).state = State::SendBlocked(server_id);
        self.senders.push_back(server, caller);
    }

    /// Whether callers wait in `server`'s queue.
    #[inline]
    pub fn has_queued_callers(&self, server: TaskIndex) -> bool {
        self.senders.has_callers(server)
    }

    /// Takes the oldest caller out of `server`'s queue; the request still
    /// has to be delivered ([`Kernel::deliver`]).
    #[inline]
    pub fn take_queued_caller(&mut self, server: TaskIndex) -> Option<TaskIndex> {
        self.senders.pop_front(server)
    }

    /// Delivers `caller`'s request to `server`, which waits in `recv` with
    /// `wait`: copies it into the server's buffer and makes the caller wait
    /// for the reply. Returns what the server's receive returns.
    #[inline(never)]
    pub fn deliver(&mut self, caller: TaskIndex, server: TaskIndex, wait: RecvWait) -> Results {
        let (calling, receiving) = self.pair_mut(caller, server);
        Kernel::deliver_between(calling, receiving, wait)
    }

    /// [`Kernel::deliver`] between tasks the caller already holds, inlined
    /// into the fast path.
    #[inline(always)]
    pub fn deliver_between(calling: &mut Task, receiving: &mut Task, wait: RecvWait) -> Results {
        let call = calling.call();
        let len = call.len.min(wait.buf.len() as usize);
        // The buffer was checked writable when the server entered recv, and
        // a task blocked in recv cannot change its own mappings.
        let copied = copy_to_user(receiving.space(), wait.buf, &call.message[..len]).is_ok();
        // Most requests carry at most one lease: describing it here saves
        // the server a `lease_info` call.
        let (sender, job, operation, leases) = (calling.id, calling.job(), call.operation, call.lease_count);
        let header = MessageHeader { sender, job, operation, len, leases };
        let first_lease = call.leases().first().map(LentLease::info);
        let results = RecvResult { received: Received::Message(header), first_lease }.to_results();
        calling.state = State::ReplyBlocked(receiving.id);
        if copied { results } else { results.with_rax(KernelError::BadAddress.code()) }
    }

    /// `server` waits in `recv` until a call or a masked notification comes.
    #[inline]
    pub fn block_receiving(&mut self, server: TaskIndex, wait: RecvWait) {
        self.task_mut(server).state = State::RecvBlocked(wait);
    }

    /// The slot of `caller`, if it waits for `server`'s reply (the only
    /// time the server may reply or touch its leases).
    #[inline(always)]
    pub fn waiting_caller(&self, server: TaskIndex, caller: TaskId) -> Result<TaskIndex, KernelError> {
        let index = self.resolve(caller)?;
        // `resolve` found the slot in use; the server is the running task.
        let (waiting, answering) = (self.slot(index), self.slot(server));
        match (waiting, answering) {
            (Some(waiting), Some(answering)) if awaits_reply_from(&waiting.state, answering.id) => Ok(index),
            _ => Err(KernelError::NotWaiting),
        }
    }
}
