//! Many clients per port: `listen_queue` and `accept`.
//!
//! A `listen_queue` socket is `Accepting`: it stays listening, and each
//! `connect` to it makes a pair of sockets at once, the client's and a
//! server-side socket with a port of its own, owned by the listener's owner
//! and counted in its job's quota (not in the task's: a server may serve as
//! many clients as its job may hold). The server-side socket waits in the listener's
//! backlog (oldest first) until `accept` hands out its port; it is connected
//! from the start, so the client may send before it is accepted. A full
//! backlog, or an owner at its quota, fails the `connect` with `E_FAIL`.
//!
//! A connection whose client goes away before it is accepted stays in the
//! backlog, reset: `accept` returns it and `recv` gives what the client left,
//! then -1030. Closing the listener closes every connection still waiting.

use abi::{JobId, TaskId};
use libsock::limits::MAX_BACKLOG;
use libsock::proto::{Response, Wait};
use libsock::{ResetReason, SockError};

use crate::Netd;
use crate::calls::{Answer, Leases, Outcome, port_arg};
use crate::conn::{Backlog, Pending, Socket, SocketId, State};
use crate::effects::Effects;
use crate::waiters::Waiter;

impl Netd {
    pub(crate) fn listen_queue(
        &mut self,
        caller: TaskId,
        job: JobId,
        port: u32,
        backlog: u32,
        leases: Leases,
    ) -> Answer {
        leases.none()?;
        let port = port_arg(port)?;
        if backlog == 0 || backlog > MAX_BACKLOG {
            return Err(SockError::InvalidArg);
        }
        if self.ports.lookup(port).is_some() {
            return Err(SockError::AccessDenied);
        }
        let state = State::Accepting(Backlog::new(backlog as u16));
        self.create(Socket::new(port, caller, job, state))?;
        Ok(Outcome::Reply(Response::Ok(0), None))
    }

    pub(crate) fn accept(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        port: u32,
        wait: Wait,
        leases: Leases,
    ) -> Answer {
        leases.none()?;
        let (id, socket) = self.owned(caller, port_arg(port)?)?;
        let State::Accepting(_) = socket.state else {
            return Err(SockError::WrongState);
        };
        if socket.waiter.is_some() {
            return Err(SockError::WrongState);
        }
        if let Some(accepted) = self.take_pending(id) {
            return Ok(Outcome::Reply(accepted, None));
        }
        let deadline = self.wait_until(fx, wait)?;
        self.start_wait(id, Waiter::Accept { caller }, deadline);
        Ok(Outcome::Deferred)
    }

    /// A client's `connect` to the `Accepting` socket `listener`: makes the
    /// client's socket and the server's, queues the server's, and hands it
    /// to a waiting `accept`. Returns the client's port.
    pub(crate) fn connect_to_queue(
        &mut self,
        caller: TaskId,
        job: JobId,
        listener: SocketId,
        backlog: Backlog,
    ) -> Result<u16, SockError> {
        if backlog.len >= backlog.limit {
            return Err(SockError::Fail);
        }
        let Some(&server) = self.sockets.get(listener) else {
            return Err(SockError::NotFound);
        };
        // Each socket takes its port before the next highest free is sought;
        // the client's comes first, as with a plain `listen`.
        let placeholder = State::Reset(ResetReason::PeerDisconnected);
        let client_port = self.ports.highest_free().ok_or(SockError::Fail)?;
        let client = self.create(Socket::new(client_port, caller, job, placeholder))?;
        let accepted = self.ports.highest_free().ok_or(SockError::Fail).and_then(|port| {
            let state = State::Connected { peer: client };
            let socket = Socket { served: true, ..Socket::new(port, server.owner, server.job, state) };
            self.create(socket)
        });
        let accepted = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                self.free(client);
                return Err(error);
            }
        };
        if let Some(socket) = self.sockets.get_mut(client) {
            socket.state = State::Connected { peer: accepted };
        }
        self.push_pending(listener, accepted, client_port);
        if let Some(Waiter::Accept { caller: owner }) = self.sockets.get(listener).and_then(|s| s.waiter) {
            self.end_wait(listener);
            if let Some(response) = self.take_pending(listener) {
                self.wake(owner, response);
            }
        } else {
            self.poll_event(listener);
        }
        Ok(client_port)
    }

    fn push_pending(&mut self, listener: SocketId, accepted: SocketId, remote: u16) {
        let Some(State::Accepting(mut backlog)) = self.sockets.get(listener).map(|s| s.state) else {
            return;
        };
        if let Some(tail) = backlog.tail
            && let Some(last) = self.sockets.get_mut(tail)
            && let Some(pending) = last.pending.as_mut()
        {
            pending.next = Some(accepted);
        } else {
            backlog.head = Some(accepted);
        }
        backlog.tail = Some(accepted);
        backlog.len += 1;
        if let Some(socket) = self.sockets.get_mut(accepted) {
            socket.pending = Some(Pending { listener, next: None, remote });
        }
        self.set_backlog(listener, backlog);
    }

    /// The oldest connection waiting on `listener`, as `accept`'s answer.
    fn take_pending(&mut self, listener: SocketId) -> Option<Response> {
        let Some(State::Accepting(mut backlog)) = self.sockets.get(listener).map(|s| s.state) else {
            return None;
        };
        let first = backlog.head?;
        let socket = self.sockets.get_mut(first)?;
        let pending = socket.pending.take()?;
        let (port, next, remote) = (socket.port, pending.next, pending.remote);
        backlog.head = next;
        if next.is_none() {
            backlog.tail = None;
        }
        backlog.len -= 1;
        self.set_backlog(listener, backlog);
        Some(Response::Accepted { port: port.into(), remote: remote.into() })
    }

    /// Takes a waiting connection that is being closed out of its backlog.
    pub(crate) fn unlink_pending(&mut self, closing: &Socket, id: SocketId) {
        let Some(pending) = closing.pending else {
            return;
        };
        let Some(State::Accepting(mut backlog)) = self.sockets.get(pending.listener).map(|s| s.state) else {
            return;
        };
        let mut previous = None;
        let mut cursor = backlog.head;
        while let Some(current) = cursor {
            if current == id {
                match previous.and_then(|p| self.sockets.get_mut(p)).and_then(|s| s.pending.as_mut()) {
                    Some(before) => before.next = pending.next,
                    None => backlog.head = pending.next,
                }
                if backlog.tail == Some(id) {
                    backlog.tail = previous;
                }
                backlog.len -= 1;
                break;
            }
            previous = Some(current);
            cursor = self.sockets.get(current).and_then(|s| s.pending).and_then(|p| p.next);
        }
        self.set_backlog(pending.listener, backlog);
    }

    /// Closes every connection still waiting in a closed listener's backlog.
    pub(crate) fn close_backlog(&mut self, backlog: Backlog, reason: ResetReason) {
        let mut cursor = backlog.head;
        while let Some(waiting) = cursor {
            cursor = self.sockets.get(waiting).and_then(|s| s.pending).and_then(|p| p.next);
            if let Some(socket) = self.sockets.get_mut(waiting) {
                socket.pending = None;
            }
            self.close(waiting, reason);
        }
    }

    fn set_backlog(&mut self, listener: SocketId, backlog: Backlog) {
        if let Some(socket) = self.sockets.get_mut(listener) {
            socket.state = State::Accepting(backlog);
        }
    }
}
