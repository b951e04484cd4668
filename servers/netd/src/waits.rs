//! Timed and non-blocking waits.
//!
//! A call of the extensions says how long it may wait (`proto::Wait`): as
//! long as it takes, not at all (`E_WOULD_BLOCK` instead), or some
//! milliseconds (`E_TIMEOUT` after them). A waiter with a deadline is keyed
//! in [`crate::deadlines::Deadlines`] by its socket's slot (a `poll` by its
//! task's poll slot, after the sockets); the binary keeps the kernel's one
//! timer at [`Netd::next_deadline`] and calls [`Netd::timer_fired`] when it
//! rings. Every way a waiter ends goes through [`Netd::end_wait`], which
//! drops its deadline, so a timer never ends a wait twice.
//!
//! A timeout ends the call alone: a `recv` or `accept` leaves the socket as it
//! was (a message that arrives later waits for the next `recv`), a `send`
//! still waiting for room queued nothing, and a large `send` is withdrawn
//! only while the receiver has taken none of it; once it has begun, the
//! message completes (the receiver never sees half of it). A `listen` that
//! times out withdraws its socket: the port is free again.

use abi::TaskId;
use libsock::SockError;
use libsock::limits::MAX_SOCKETS;
use libsock::proto::Wait;

use crate::conn::{Inbox, SocketId, State};
use crate::effects::Effects;
use crate::waiters::Waiter;
use crate::{Handled, Netd};

const NS_PER_MS: u64 = 1_000_000;

/// Deadline keys of sockets are their slots; polls come after them.
pub(crate) const fn poll_key(poll_slot: usize) -> usize {
    MAX_SOCKETS + poll_slot
}

impl Netd {
    /// May a call wait, and until when: `None` for as long as it takes.
    pub(crate) fn wait_until(&self, fx: &mut impl Effects, wait: Wait) -> Result<Option<u64>, SockError> {
        match wait {
            Wait::Forever => Ok(None),
            Wait::NonBlocking => Err(SockError::WouldBlock),
            Wait::Ms(0) => Err(SockError::Timeout),
            Wait::Ms(ms) => Ok(Some(self.deadline_after(fx, ms))),
        }
    }

    /// The deadline of a wait that goes on until it ends (`None`), or for
    /// `ms`.
    pub(crate) fn deadline_of(&self, fx: &mut impl Effects, wait: Wait) -> Option<u64> {
        match wait {
            Wait::Forever | Wait::NonBlocking => None,
            Wait::Ms(ms) => Some(self.deadline_after(fx, ms)),
        }
    }

    pub(crate) fn deadline_after(&self, fx: &mut impl Effects, ms: u32) -> u64 {
        fx.now_ns().saturating_add(u64::from(ms) * NS_PER_MS)
    }

    /// Makes `waiter` the waiter of `id`, giving up at `deadline`.
    #[inline(always)]
    pub(crate) fn start_wait(&mut self, id: SocketId, waiter: Waiter, deadline: Option<u64>) {
        let Some(socket) = self.sockets.get_mut(id) else {
            return;
        };
        socket.waiter = Some(waiter);
        self.deadlines.set_or_clear(usize::from(id.slot), deadline);
    }

    /// Takes the waiter of `id`, and its deadline with it.
    #[inline(always)]
    pub(crate) fn end_wait(&mut self, id: SocketId) -> Option<Waiter> {
        let waiter = self.sockets.get_mut(id)?.waiter.take();
        self.deadlines.clear(usize::from(id.slot));
        waiter
    }

    /// When the earliest timed wait gives up: where the binary sets its timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.deadlines.earliest()
    }

    /// The timer rang: ends every wait whose deadline is at or before `now`.
    pub fn timer_fired(&mut self, fx: &mut impl Effects, now: u64) -> Handled<'_> {
        self.replies.clear();
        while let Some(key) = self.deadlines.pop_due(now) {
            if let Some(poll_slot) = key.checked_sub(MAX_SOCKETS) {
                self.poll_timed_out(fx, poll_slot);
            } else {
                self.socket_wait_timed_out(key as u16);
            }
        }
        self.answer_ready_polls(fx);
        Handled { replies: self.replies.answers() }
    }

    fn socket_wait_timed_out(&mut self, slot: u16) {
        let Some((id, socket)) = self.sockets.in_slot(slot) else {
            return;
        };
        let Some(waiter) = socket.waiter else {
            return;
        };
        match waiter {
            Waiter::Recv { caller, .. } | Waiter::Send { caller, .. } | Waiter::Accept { caller } => {
                self.end_wait(id);
                self.wake_with_error(caller, SockError::Timeout);
            }
            Waiter::Listen { caller } => {
                self.end_wait(id);
                self.free(id);
                self.wake_with_error(caller, SockError::Timeout);
            }
            Waiter::SendLent { caller } => self.withdraw_untaken(id, caller),
        }
    }

    /// A large `send` from `id` timed out: withdrawn if the receiver has
    /// taken none of it, else left to complete.
    fn withdraw_untaken(&mut self, id: SocketId, sender: TaskId) {
        let Some(State::Connected { peer }) = self.sockets.get(id).map(|s| s.state) else {
            return;
        };
        let untaken = matches!(
            self.sockets.get(peer).map(|p| p.inbox),
            Some(Inbox::Lent { sender: s, taken: 0, .. }) if s == sender
        );
        if untaken {
            self.set_inbox(peer, Inbox::Empty);
            self.end_wait(id);
            self.wake_with_error(sender, SockError::Timeout);
        }
    }
}
