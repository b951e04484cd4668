//! Putting messages into an inbox: `send`, `recv`, and the hand-over to a
//! waiting receiver (`pieces.rs` takes them out).
//!
//! One direction of a connection is the receiving socket's inbox (at most one
//! message) plus, at most, one `send` blocked on the sending socket waiting for
//! room. A message up to `SMALL_MESSAGE_MAX` is read into a buffer from the
//! table's pool and its `send` returns at once, or fails with `E_FAIL` when the
//! pool has no buffer to give (when the receiver already waits and can take it
//! whole, it goes straight from lease to lease instead: one copy, one syscall,
//! and the inbox is never used); a larger one stays in the sender's lease and is
//! copied straight into the receiver's lease (`lease_copy`), piece by piece,
//! its `send` answered when the last byte is taken. Each wait re-checks its
//! condition when woken: nothing is answered early or overwritten.
//!
//! Data up to `INLINE_MAX` may travel inside the messages (`SendInline`,
//! `RecvInline`): netd then takes a send's bytes from its request and puts a
//! piece into the receiver's answer, with no lease call at all. The leases
//! stay lent, for the send that must wait and the piece that is too long.

use abi::{TaskId, lease_flags};
use libsock::SockError;
use libsock::limits::{INLINE_MAX, MAX_MESSAGE_LEN, SMALL_MESSAGE_MAX};
use libsock::proto::{Response, Wait};

use crate::Netd;
use crate::calls::{Answer, Leases, Outcome, port_arg};
use crate::conn::{Inbox, SocketId, State};
use crate::effects::Effects;
use crate::pieces::{PieceError, lease_at};
use crate::waiters::Waiter;

/// Checks lease 0 against the call: it must allow `flag` for `len` bytes. A
/// `send` of 0 bytes may come without a lease.
fn check_lease(leases: Leases, len: u32, flag: u64) -> Result<(), SockError> {
    match leases.count {
        0 if len == 0 => Ok(()),
        _ => leases.one(flag, len as usize),
    }
}

impl Netd {
    /// A `send` of `len` bytes; `data` holds them when they came in the
    /// request too (`SendInline`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        port: u32,
        len: u32,
        leases: Leases,
        wait: Wait,
        data: Option<&[u8]>,
    ) -> Answer {
        let port = port_arg(port)?;
        let inline_fits = data.is_none_or(|bytes| len <= INLINE_MAX && bytes.len() == len as usize);
        if len > MAX_MESSAGE_LEN || !inline_fits {
            return Err(SockError::InvalidArg);
        }
        check_lease(leases, len, lease_flags::READ)?;
        let (id, socket) = self.owned(caller, port)?;
        match socket.state {
            State::Listening | State::Accepting(_) => Err(SockError::WrongState),
            State::Reset(reason) => {
                self.free_if_drained(id);
                Err(SockError::ConnectionReset(reason))
            }
            // The owner cannot have another call waiting: only a confused
            // client could get here.
            State::Connected { .. } if socket.waiter.is_some() => Err(SockError::WrongState),
            State::Connected { peer } => match self.sockets.get(peer).map(|p| (p.inbox, p.waiter)) {
                Some((Inbox::Empty, receiver)) => self.enqueue(fx, (id, peer, receiver), caller, len, wait, data),
                Some(_) => {
                    let deadline = self.wait_until(fx, wait)?;
                    self.start_wait(id, Waiter::Send { caller, len, wait }, deadline);
                    Ok(Outcome::Deferred)
                }
                None => Err(SockError::Fail),
            },
        }
    }

    /// A `recv` of up to `len` bytes; `inline` when its answer may carry
    /// them (`RecvInline`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn recv(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        port: u32,
        len: u32,
        leases: Leases,
        wait: Wait,
        inline: bool,
    ) -> Answer {
        let port = port_arg(port)?;
        if len == 0 {
            return Err(SockError::InvalidArg);
        }
        check_lease(leases, len, lease_flags::WRITE)?;
        let (id, socket) = self.owned(caller, port)?;
        let (state, inbox) = (socket.state, socket.inbox);
        if matches!(state, State::Listening | State::Accepting(_)) || socket.waiter.is_some() {
            return Err(SockError::WrongState);
        }
        if inbox != Inbox::Empty {
            match self.take_piece(fx, id, inbox, caller, len, inline) {
                Ok(piece) => return Ok(Outcome::Reply(piece.response(), piece.data)),
                Err(PieceError::ReceiverFault) => return Err(SockError::InvalidArg),
                // The socket's state is as it was: only its inbox changed.
                Err(PieceError::MessageLost) => {}
            }
        }
        match state {
            State::Reset(reason) => {
                self.free_if_drained(id);
                Err(SockError::ConnectionReset(reason))
            }
            _ => {
                let deadline = self.wait_until(fx, wait)?;
                self.start_wait(id, Waiter::Recv { caller, len, inline }, deadline);
                Ok(Outcome::Deferred)
            }
        }
    }

    /// Puts `caller`'s message into the empty inbox of `to`, then wakes a
    /// receiver waiting there (`receiver`, the waiter of `to`). The outcome
    /// is the sender's. `data` holds the message when it came in the request.
    #[inline(always)]
    pub(crate) fn enqueue(
        &mut self,
        fx: &mut impl Effects,
        (from, to, receiver): (SocketId, SocketId, Option<Waiter>),
        caller: TaskId,
        len: u32,
        wait: Wait,
        data: Option<&[u8]>,
    ) -> Answer {
        let outcome = if len <= SMALL_MESSAGE_MAX {
            if self.hand_over(fx, to, receiver, caller, len, data) {
                return Ok(Outcome::Reply(Response::Ok(0), None));
            }
            if len > 0 {
                // No memory for the message: this send fails, nothing else.
                let buffer = self.sockets.buffer_for(to).ok_or(SockError::Fail)?;
                let buffer = &mut buffer[..len as usize];
                let copied = match data {
                    Some(bytes) => {
                        buffer.copy_from_slice(bytes);
                        true
                    }
                    None => fx.lease_read(caller, 0, 0, buffer) == Ok(buffer.len()),
                };
                if !copied {
                    self.set_inbox(to, Inbox::Empty);
                    return Err(SockError::InvalidArg);
                }
            }
            self.set_inbox(to, Inbox::Buffered { len, taken: 0 });
            Outcome::Reply(Response::Ok(0), None)
        } else {
            self.set_inbox(to, Inbox::Lent { sender: caller, len, taken: 0 });
            // The message stays in the sender's memory, so the sender waits
            // until it is taken whatever its mode; a timeout withdraws it
            // while nothing of it was taken.
            let deadline = self.deadline_of(fx, wait);
            self.start_wait(from, Waiter::SendLent { caller }, deadline);
            Outcome::Deferred
        };
        if matches!(receiver, Some(Waiter::Recv { .. })) {
            self.deliver_if_waiting(fx, to);
        }
        Ok(outcome)
    }

    /// Gives a small message of `len` bytes from `caller` straight to a
    /// `recv` waiting on `to` (`waiter`) that takes all of it, and answers that
    /// receiver: in its answer when both sides allow it, else copied from
    /// the request's `data` or `caller`'s lease into the receiver's lease.
    /// False (nothing answered) when no such receiver waits or a copy fails:
    /// the buffered path then finds out whose lease is at fault, as it would
    /// have without this shortcut.
    #[inline(always)]
    fn hand_over(
        &mut self,
        fx: &mut impl Effects,
        to: SocketId,
        waiter: Option<Waiter>,
        caller: TaskId,
        len: u32,
        data: Option<&[u8]>,
    ) -> bool {
        let Some(Waiter::Recv { caller: receiver, len: cap, inline }) = waiter else {
            return false;
        };
        if len == 0 || len > cap {
            return false;
        }
        let answered = match data {
            Some(bytes) if inline => {
                self.replies.push_inline(receiver, Response::ReceivedInline { len, more: false }, bytes)
            }
            _ => false,
        };
        if !answered {
            let copied = match data {
                Some(bytes) => fx.lease_write(receiver, 0, 0, bytes) == Ok(bytes.len()),
                None => fx.lease_copy(lease_at(caller, 0), lease_at(receiver, 0), len as usize) == Ok(len as usize),
            };
            if !copied {
                return false;
            }
            self.wake(receiver, Response::Received { len, more: false });
        }
        self.end_wait(to);
        true
    }

    /// Sets the inbox of `id`, and tells a `poll` that waits on the change:
    /// the owner's, when a message arrives; the peer's, when room appears.
    #[inline]
    pub(crate) fn set_inbox(&mut self, id: SocketId, inbox: Inbox) {
        let Some((before, socket)) = self.sockets.set_inbox(id, inbox) else {
            return;
        };
        match (before, inbox) {
            (Inbox::Empty, Inbox::Buffered { .. } | Inbox::Lent { .. }) if socket.polled_by.is_some() => {
                self.poll_event(id)
            }
            (Inbox::Buffered { .. } | Inbox::Lent { .. }, Inbox::Empty) => {
                if let State::Connected { peer } = socket.state {
                    self.poll_event(peer);
                }
            }
            _ => {}
        }
    }
}
