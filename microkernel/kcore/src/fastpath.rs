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
//! - `reply2_recv`: as `reply_recv` for the later caller once the earlier
//!   one was made runnable; and when nothing in the queues is as urgent as
//!   the earlier caller (which would then be the head the later one queues
//!   behind), the earlier caller runs at once and only the later one
//!   queues, with no trip of the earlier one through the queues.
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

/// Who runs after a `reply2_recv` on the fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterReply2 {
    /// The earlier caller; the later one joins its queue.
    Earlier,
    /// As `reply_recv` does for the later caller once the earlier one
    /// joined its queue.
    AsReplyRecv(AfterReply),
}

/// What a `reply2_recv` whose receive waits with `wait` does on the fast
/// path, answering callers of `earlier_priority` (woken first) and
/// `later_priority`, with `waiting` as it is before either is woken:
/// `None` unless the server blocks.
#[inline]
pub fn reply2_recv_goes_fast(
    wait: &RecvWait,
    waiting: &Waiting,
    earlier_priority: u8,
    later_priority: u8,
) -> Option<AfterReply2> {
    let queued = waiting.most_urgent_queued;
    // Once the earlier caller is queued, the most urgent level is its own
    // or a more urgent one (a lower number).
    let with_earlier = Some(queued.map_or(earlier_priority, |level| level.min(earlier_priority)));
    let after_later =
        reply_recv_goes_fast(wait, &Waiting { most_urgent_queued: with_earlier, ..*waiting }, later_priority)?;
    if after_later == AfterReply::QueueHead && woken_runs_next(queued, earlier_priority) {
        return Some(AfterReply2::Earlier);
    }
    Some(AfterReply2::AsReplyRecv(after_later))
}

/// Whether a `recv` whose receive waits with `wait` goes on the fast path:
/// the receiver blocks and a task waits in the run queues to run next.
#[inline]
pub fn recv_goes_fast(wait: &RecvWait, waiting: &Waiting) -> bool {
    recv_step(waiting.pending, wait, waiting.has_callers) == RecvStep::Block && waiting.most_urgent_queued.is_some()
}

#[cfg(test)]
mod tests;
