//! When an IPC call may take the kernel's fast path: the cases in which the
//! general path would end the entry by switching straight to the partner.
//!
//! - `call`: the server waits in an open receive, so the request is
//!   delivered and the server runs next (`ipc::call_step` says `Deliver`,
//!   and the hand-off goes first).
//! - `reply_recv`: after its reply the server finds nothing to receive
//!   (`ipc::recv_step` says `Block`). The caller it answered then runs next
//!   on its time when no task of the caller's priority or a more urgent one
//!   waits in the run queues (`next_task::woken_runs_next`); otherwise it
//!   joins its queue and the task at the head of the queues runs.
//! - `recv`: the receiver finds nothing to receive and blocks while a task
//!   waits in the run queues: the head of the queues runs next, which is
//!   what the scheduler's choice gives a blocked task without a hand-off.
//!
//! The kernel applies these rules before it changes anything; the model in
//! `fastpath/tests.rs` checks, for any state, that the general path's steps
//! end exactly where the direct switch does.

use crate::ipc::{CallStep, RecvStep, RecvWait, State, call_step, recv_step};
use crate::next_task::woken_runs_next;

/// The receive a call is delivered into at once, if the server waits in
/// one that takes calls; `None` means the general path.
#[inline]
pub fn call_goes_fast(server: &State) -> Option<RecvWait> {
    match call_step(server) {
        CallStep::Deliver(wait) => Some(wait),
        CallStep::Queue => None,
    }
}

/// What waits for a server that is about to receive, and for the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The server's pending notification bits.
    pub pending: u32,
    /// Whether callers wait in the server's queue.
    pub has_callers: bool,
    /// The most urgent priority a task waits with in the run queues.
    pub most_urgent_queued: Option<u8>,
}

/// Who runs after a `reply_recv` on the fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterReply {
    /// The caller the server answered.
    Caller,
    /// The task at the head of the run queues, which the caller joins.
    QueueHead,
}

/// What a `reply_recv` whose receive waits with `wait` does on the fast
/// path, answering a caller of `caller_priority`: `None` unless the server
/// blocks.
#[inline]
pub fn reply_recv_goes_fast(wait: &RecvWait, waiting: &Waiting, caller_priority: u8) -> Option<AfterReply> {
    if recv_step(waiting.pending, wait, waiting.has_callers) != RecvStep::Block {
        return None;
    }
    if woken_runs_next(waiting.most_urgent_queued, caller_priority) {
        Some(AfterReply::Caller)
    } else {
        Some(AfterReply::QueueHead)
    }
}

/// Whether a `recv` whose receive waits with `wait` goes on the fast path:
/// the receiver blocks and a task waits in the run queues to run next.
#[inline]
pub fn recv_goes_fast(wait: &RecvWait, waiting: &Waiting) -> bool {
    recv_step(waiting.pending, wait, waiting.has_callers) == RecvStep::Block && waiting.most_urgent_queued.is_some()
}

#[cfg(test)]
mod tests;
