//! Ending sockets: `disconnect`, task exits, and the peer's move to `Reset`.
//!
//! When a socket ends, its peer becomes `Reset`: a blocked call of the peer's
//! owner wakes with -1030, a message already in the peer's inbox stays
//! deliverable, and the peer is freed once its owner has been told -1030 with
//! nothing left to receive (or disconnects, or exits), so no port leaks.

use abi::TaskId;
use libsock::{ResetReason, SockError};

use crate::conn::{Inbox, Socket, SocketId, State};
use crate::effects::Effects;
use crate::{Handled, Netd};

impl Netd {
    /// Checks which socket owners died (the kernel posted a task-exit
    /// notification) and closes their sockets as `disconnect` would, except that
    /// the peers learn the reason `PeerDied`. A `listen` they left is withdrawn.
    /// Walks the owners by id, so closing sockets (which may free other
    /// owners' reset sockets) skips no one, and allocates nothing. Returns
    /// the answers of the peers it reset.
    pub fn task_exit_notified(&mut self, fx: &mut impl Effects) -> Handled<'_> {
        self.replies.clear();
        let mut cursor = None;
        while let Some(task) = self.owned.next_key(cursor) {
            if !fx.task_alive(task) {
                self.owner_died(task);
            }
            cursor = Some(task);
        }
        self.forget_dead_pollers(fx);
        self.answer_ready_polls(fx);
        Handled { replies: self.replies.answers() }
    }

    /// Closes every socket of a task known to be dead.
    fn owner_died(&mut self, task: TaskId) {
        let mut slot = 0;
        loop {
            let next = self.sockets.iter_from(slot).next();
            let Some((id, owner)) = next.map(|(id, socket)| (id, socket.owner)) else {
                return;
            };
            slot = usize::from(id.slot) + 1;
            if owner == task {
                self.close(id, ResetReason::PeerDied);
            }
        }
    }

    /// Frees a socket at once and resets its peer. A waiter on the socket
    /// itself can only be its dead owner, so it gets no reply.
    pub(crate) fn close(&mut self, id: SocketId, reason: ResetReason) {
        let Some(socket) = self.free(id) else { return };
        self.unlink_pending(&socket, id);
        match socket.state {
            State::Connected { peer } => self.reset(peer, socket.owner, reason),
            State::Accepting(backlog) => self.close_backlog(backlog, reason),
            State::Listening | State::Reset(_) => {}
        }
    }

    /// Moves `id` to `Reset` because `closer`'s socket ended.
    fn reset(&mut self, id: SocketId, closer: TaskId, reason: ResetReason) {
        let Some(socket) = self.sockets.get_mut(id) else {
            return;
        };
        socket.state = State::Reset(reason);
        // A large message still in the closer's lease cannot be read any more:
        // its sender never saw its `send` complete.
        if let Inbox::Lent { sender, .. } = socket.inbox
            && sender == closer
        {
            socket.inbox = Inbox::Empty;
        }
        if let Some(waiter) = self.end_wait(id) {
            self.wake_with_error(waiter.caller(), SockError::ConnectionReset(reason));
            self.free_if_drained(id);
        } else {
            self.poll_event(id);
        }
    }

    /// Frees a reset socket whose owner was just told -1030, unless a message
    /// still waits for it.
    pub(crate) fn free_if_drained(&mut self, id: SocketId) {
        if self.sockets.get(id).is_some_and(|socket| socket.inbox == Inbox::Empty) {
            self.free(id);
        }
    }

    /// Removes a socket from the table and releases its port, its message
    /// buffer and its place in its owner's and its job's quota.
    pub(crate) fn free(&mut self, id: SocketId) -> Option<Socket> {
        let socket = self.sockets.remove(id)?;
        self.deadlines.clear(usize::from(id.slot));
        if self.ports.lookup(socket.port) == Some(id.slot) {
            self.ports.release(socket.port);
        }
        self.owned.remove_one(socket.owner);
        if socket.served {
            self.served.remove_one(socket.owner);
        }
        self.job_sockets.remove_one(socket.job);
        Some(socket)
    }
}
