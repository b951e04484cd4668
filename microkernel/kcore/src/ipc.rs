//! IPC state rules: what a task's state is during call/recv/reply, what
//! each step does given the other side's state, and the queues of callers
//! waiting for a server to receive.
//!
//! The kernel applies these answers (copies, register results, run
//! queues); the rules themselves are pure so they can be tested here.

use abi::{ExitReason, TaskId};

use crate::task_index::TaskIndex;
use crate::user_memory::UserSliceWo;

/// What a task is doing, as the scheduler and IPC see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Created by init, not started yet.
    Created,
    /// Running or waiting in a run queue.
    Runnable,
    /// In `call`, queued on a server that has not received the message yet.
    SendBlocked(TaskId),
    /// In `call`, the server took the message; waiting for its reply.
    ReplyBlocked(TaskId),
    /// In `recv`, nothing deliverable yet.
    RecvBlocked(RecvWait),
    /// Ended; its memory is freed; the slot waits for init to reap it.
    Dead(ExitReason),
}

/// Where a blocked `recv` wants its result, and what it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvWait {
    /// The receive buffer, its length capped at `MAX_MESSAGE`; its pages
    /// were found writable when the task entered `recv`.
    pub buf: UserSliceWo,
    pub mask: u32,
    pub notifications_only: bool,
}

/// What a `call` does, given the server's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallStep {
    /// The server waits in an open `recv`: deliver now and run it next.
    Deliver(RecvWait),
    /// Queue the caller until the server receives.
    Queue,
}

pub fn call_step(server: &State) -> CallStep {
    match *server {
        State::RecvBlocked(wait) if !wait.notifications_only => CallStep::Deliver(wait),
        _ => CallStep::Queue,
    }
}

/// What a `recv` does, given pending notifications and queued callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvStep {
    /// Return these notification bits (and clear them).
    Notify(u32),
    /// Take the first queued caller's message.
    TakeCaller,
    /// Nothing deliverable: block.
    Block,
}

/// Notifications come first, so a busy server still sees its timer and
/// task-exit bits.
pub fn recv_step(pending: u32, wait: &RecvWait, has_caller: bool) -> RecvStep {
    let ready = pending & wait.mask;
    if ready != 0 {
        RecvStep::Notify(ready)
    } else if has_caller && !wait.notifications_only {
        RecvStep::TakeCaller
    } else {
        RecvStep::Block
    }
}

/// The bits a newly posted notification delivers to a task blocked in
/// `recv` (None: it stays blocked or is not receiving).
pub fn notification_wakes(state: &State, pending: u32) -> Option<u32> {
    match state {
        State::RecvBlocked(wait) if pending & wait.mask != 0 => Some(pending & wait.mask),
        _ => None,
    }
}

/// Whether `caller` waits for a reply from `server` (the only state in
/// which the server may reply or touch its leases).
pub fn awaits_reply_from(caller: &State, server: TaskId) -> bool {
    matches!(caller, State::ReplyBlocked(s) if *s == server)
}

const NONE: u16 = u16::MAX;

/// FIFO queues of callers waiting for each server to `recv`, as intrusive
/// lists over task slots: no allocation, O(1) push, pop and removal (a
/// caller that dies leaves its server's queue at once).
pub struct SenderQueues<const N: usize> {
    head: [u16; N],
    tail: [u16; N],
    next: [u16; N],
    prev: [u16; N],
    /// The server whose queue holds this slot, or NONE.
    queued_on: [u16; N],
}

impl<const N: usize> SenderQueues<N> {
    pub const fn new() -> Self {
        SenderQueues { head: [NONE; N], tail: [NONE; N], next: [NONE; N], prev: [NONE; N], queued_on: [NONE; N] }
    }

    /// Queues `caller` behind the others waiting for `server`. A caller is
    /// in at most one queue (it is blocked in one call); queuing it again
    /// moves it.
    #[inline]
    pub fn push_back(&mut self, server: TaskIndex, caller: TaskIndex) {
        let (server, caller) = (server.get(), caller.get());
        self.unlink(caller);
        let tail = self.tail[server];
        self.prev[caller] = tail;
        self.next[caller] = NONE;
        if tail == NONE {
            self.head[server] = caller as u16;
        } else {
            self.next[tail as usize] = caller as u16;
        }
        self.tail[server] = caller as u16;
        self.queued_on[caller] = server as u16;
    }

    #[inline]
    pub fn pop_front(&mut self, server: TaskIndex) -> Option<TaskIndex> {
        let head = self.head[server.get()];
        if head == NONE {
            return None;
        }
        self.unlink(head as usize);
        Some(TaskIndex::new(head))
    }

    #[inline]
    pub fn has_callers(&self, server: TaskIndex) -> bool {
        self.head[server.get()] != NONE
    }

    /// Takes `caller` out of whatever queue holds it; returns whether it was queued.
    pub fn remove(&mut self, caller: TaskIndex) -> bool {
        self.unlink(caller.get())
    }

    #[inline]
    fn unlink(&mut self, caller: usize) -> bool {
        let server = self.queued_on[caller];
        if server == NONE {
            return false;
        }
        let (prev, next) = (self.prev[caller], self.next[caller]);
        if prev == NONE {
            self.head[server as usize] = next;
        } else {
            self.next[prev as usize] = next;
        }
        if next == NONE {
            self.tail[server as usize] = prev;
        } else {
            self.prev[next as usize] = prev;
        }
        self.queued_on[caller] = NONE;
        self.prev[caller] = NONE;
        self.next[caller] = NONE;
        true
    }
}

impl<const N: usize> Default for SenderQueues<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    const WAIT: RecvWait = RecvWait { buf: UserSliceWo::EMPTY, mask: 0b11, notifications_only: false };

    #[test]
    fn call_delivers_only_to_an_open_receive() {
        assert_eq!(call_step(&State::RecvBlocked(WAIT)), CallStep::Deliver(WAIT));
        let closed = RecvWait { notifications_only: true, ..WAIT };
        assert_eq!(call_step(&State::RecvBlocked(closed)), CallStep::Queue);
        assert_eq!(call_step(&State::Runnable), CallStep::Queue);
        assert_eq!(call_step(&State::ReplyBlocked(TaskId::new(3, 1))), CallStep::Queue);
    }

    #[test]
    fn recv_prefers_notifications_then_callers_then_blocks() {
        assert_eq!(recv_step(0b110, &WAIT, true), RecvStep::Notify(0b10));
        assert_eq!(recv_step(0b100, &WAIT, true), RecvStep::TakeCaller);
        assert_eq!(recv_step(0, &WAIT, false), RecvStep::Block);
        let closed = RecvWait { notifications_only: true, ..WAIT };
        assert_eq!(recv_step(0, &closed, true), RecvStep::Block);
    }

    #[test]
    fn notifications_wake_only_matching_receivers() {
        assert_eq!(notification_wakes(&State::RecvBlocked(WAIT), 0b101), Some(0b01));
        assert_eq!(notification_wakes(&State::RecvBlocked(WAIT), 0b100), None);
        assert_eq!(notification_wakes(&State::Runnable, 0b1), None);
    }

    #[test]
    fn only_the_server_called_may_reply() {
        let server = TaskId::new(2, 5);
        assert!(awaits_reply_from(&State::ReplyBlocked(server), server));
        assert!(!awaits_reply_from(&State::ReplyBlocked(server), server.next_generation()));
        assert!(!awaits_reply_from(&State::SendBlocked(server), server));
    }

    fn ix(slot: usize) -> TaskIndex {
        TaskIndex::new(slot as u16)
    }

    #[test]
    fn queues_are_fifo_per_server_and_removal_unlinks() {
        let mut q = SenderQueues::<8>::new();
        q.push_back(ix(0), ix(3));
        q.push_back(ix(0), ix(4));
        q.push_back(ix(1), ix(5));
        q.push_back(ix(0), ix(6));
        assert!(q.remove(ix(4)));
        assert!(!q.remove(ix(4)));
        assert_eq!(q.pop_front(ix(0)), Some(ix(3)));
        assert_eq!(q.pop_front(ix(0)), Some(ix(6)));
        assert_eq!(q.pop_front(ix(0)), None);
        assert!(q.has_callers(ix(1)));
        assert_eq!(q.pop_front(ix(1)), Some(ix(5)));
    }

    proptest! {
        #[test]
        fn queues_match_a_model(ops in proptest::collection::vec((0u8..3, 0usize..4, 4usize..12), 0..200)) {
            let mut q = SenderQueues::<12>::new();
            let mut model: Vec<VecDeque<usize>> = vec![VecDeque::new(); 4];
            for (op, server, caller) in ops {
                match op {
                    0 => {
                        for m in model.iter_mut() { m.retain(|&c| c != caller); }
                        model[server].push_back(caller);
                        q.push_back(ix(server), ix(caller));
                    }
                    1 => prop_assert_eq!(q.pop_front(ix(server)), model[server].pop_front().map(ix)),
                    _ => {
                        let was = model.iter().any(|m| m.contains(&caller));
                        for m in model.iter_mut() { m.retain(|&c| c != caller); }
                        prop_assert_eq!(q.remove(ix(caller)), was);
                    }
                }
                for (s, m) in model.iter().enumerate() {
                    prop_assert_eq!(q.has_callers(ix(s)), !m.is_empty());
                }
            }
        }
    }
}
