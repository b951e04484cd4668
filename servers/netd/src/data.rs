//! Moving messages: `send`, `recv`, and the wake-ups between them.
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

use abi::{CopySide, LeaseCopyError, TaskId, lease_flags};
use libsock::SockError;
use libsock::limits::{INLINE_MAX, MAX_MESSAGE_LEN, SMALL_MESSAGE_MAX};
use libsock::proto::{Response, Wait};
use urt::ipc::LeaseAt;

use crate::Netd;
use crate::calls::{Answer, Leases, Outcome, port_arg};
use crate::conn::{Inbox, SocketId, State};
use crate::effects::Effects;
use crate::replies::Data;
use crate::waiters::Waiter;

/// Why no piece could be delivered.
enum PieceError {
    /// The receiver's buffer cannot take it; the message stays.
    ReceiverFault,
    /// Nothing (more) of the message can be delivered: there is none, or the
    /// sender's lease is gone (it died) or unreadable and the message was
    /// dropped before the receiver took any of it.
    MessageLost,
}

/// A piece of a message delivered to a receiver: `len` bytes, whether more
/// of the message remains, and where its bytes went: into the receiver's
/// answer (`data`) or its lease.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece {
    len: u32,
    more: bool,
    data: Option<Data>,
}

impl Piece {
    fn response(&self) -> Response {
        let (len, more) = (self.len, self.more);
        if self.data.is_some() { Response::ReceivedInline { len, more } } else { Response::Received { len, more } }
    }
}

/// Checks lease 0 against the call: it must allow `flag` for `len` bytes. A
/// `send` of 0 bytes may come without a lease.
fn check_lease(leases: Leases, len: u32, flag: u64) -> Result<(), SockError> {
    match leases.count {
        0 if len == 0 => Ok(()),
        _ => leases.one(flag, len as usize),
    }
}

/// Lease 0 of `caller` from `offset` on.
fn lease_at(caller: TaskId, offset: u32) -> LeaseAt {
    LeaseAt { caller, index: 0, offset: offset as usize }
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
        if len > MAX_MESSAGE_LEN || (data.is_some() && len > INLINE_MAX) {
            return Err(SockError::InvalidArg);
        }
        check_lease(leases, len, lease_flags::READ)?;
        let id = self.owned_socket(caller, port)?;
        let Some(socket) = self.sockets.get(id) else {
            return Err(SockError::NotFound);
        };
        match socket.state {
            State::Listening | State::Accepting(_) => Err(SockError::WrongState),
            State::Reset(reason) => {
                self.free_if_drained(id);
                Err(SockError::ConnectionReset(reason))
            }
            // The owner cannot have another call waiting: only a confused
            // client could get here.
            State::Connected { .. } if socket.waiter.is_some() => Err(SockError::WrongState),
            State::Connected { peer } => match self.sockets.get(peer).map(|p| p.inbox) {
                Some(Inbox::Empty) => self.enqueue(fx, id, peer, caller, len, wait, data),
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
        let id = self.owned_socket(caller, port)?;
        let Some(socket) = self.sockets.get(id) else {
            return Err(SockError::NotFound);
        };
        if matches!(socket.state, State::Listening | State::Accepting(_)) {
            return Err(SockError::WrongState);
        }
        if socket.waiter.is_some() {
            return Err(SockError::WrongState);
        }
        if socket.inbox != Inbox::Empty {
            match self.take_piece(fx, id, caller, len, inline) {
                Ok(piece) => return Ok(Outcome::Reply(piece.response(), piece.data)),
                Err(PieceError::ReceiverFault) => return Err(SockError::InvalidArg),
                Err(PieceError::MessageLost) => {}
            }
        }
        let Some(socket) = self.sockets.get(id) else {
            return Err(SockError::NotFound);
        };
        match socket.state {
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
    /// receiver waiting there. The outcome is the sender's. `data` holds the
    /// message when it came in the request.
    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        fx: &mut impl Effects,
        from: SocketId,
        to: SocketId,
        caller: TaskId,
        len: u32,
        wait: Wait,
        data: Option<&[u8]>,
    ) -> Answer {
        let outcome = if len <= SMALL_MESSAGE_MAX {
            if self.hand_over(fx, to, caller, len, data) {
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
            let deadline = match wait {
                Wait::Forever | Wait::NonBlocking => None,
                Wait::Ms(ms) => Some(self.deadline_after(fx, ms)),
            };
            self.start_wait(from, Waiter::SendLent { caller }, deadline);
            Outcome::Deferred
        };
        self.deliver_if_waiting(fx, to);
        Ok(outcome)
    }

    /// Gives a small message of `len` bytes from `caller` straight to a
    /// `recv` waiting on `to` that takes all of it, and answers that
    /// receiver: in its answer when both sides allow it, else copied from
    /// the request's `data` or `caller`'s lease into the receiver's lease.
    /// False (nothing answered) when no such receiver waits or a copy fails:
    /// the buffered path then finds out whose lease is at fault, as it would
    /// have without this shortcut.
    fn hand_over(
        &mut self,
        fx: &mut impl Effects,
        to: SocketId,
        caller: TaskId,
        len: u32,
        data: Option<&[u8]>,
    ) -> bool {
        let Some(socket) = self.sockets.get_mut(to) else {
            return false;
        };
        let Some(Waiter::Recv { caller: receiver, len: cap, inline }) = socket.waiter else {
            return false;
        };
        if len == 0 || len > cap || socket.inbox != Inbox::Empty {
            return false;
        }
        let kept = match data {
            Some(bytes) if inline => self.replies.keep_data(bytes),
            _ => None,
        };
        let copied = kept.is_some()
            || match data {
                Some(bytes) => fx.lease_write(receiver, 0, 0, bytes) == Ok(bytes.len()),
                None => fx.lease_copy(lease_at(caller, 0), lease_at(receiver, 0), len as usize) == Ok(len as usize),
            };
        if !copied {
            return false;
        }
        self.end_wait(to);
        self.wake_piece(receiver, Piece { len, more: false, data: kept });
        true
    }

    /// Answers `receiver` with `piece`.
    fn wake_piece(&mut self, receiver: TaskId, piece: Piece) {
        self.wake_with_data(receiver, piece.response(), piece.data);
    }

    /// Sets the inbox of `id`, and tells a `poll` that waits on the change:
    /// the owner's, when a message arrives; the peer's, when room appears.
    pub(crate) fn set_inbox(&mut self, id: SocketId, inbox: Inbox) {
        let before = self.sockets.get(id).map(|socket| socket.inbox);
        self.sockets.set_inbox(id, inbox);
        match (before, inbox) {
            (Some(Inbox::Empty), Inbox::Buffered { .. } | Inbox::Lent { .. }) => self.poll_event(id),
            (Some(Inbox::Buffered { .. } | Inbox::Lent { .. }), Inbox::Empty) => {
                if let Some(State::Connected { peer }) = self.sockets.get(id).map(|s| s.state) {
                    self.poll_event(peer);
                }
            }
            _ => {}
        }
    }

    /// Answers a `recv` blocked on `id` if a message is there now.
    fn deliver_if_waiting(&mut self, fx: &mut impl Effects, id: SocketId) {
        let Some(socket) = self.sockets.get_mut(id) else {
            return;
        };
        let Some(Waiter::Recv { caller, len, inline }) = socket.waiter else {
            return;
        };
        if socket.inbox == Inbox::Empty {
            return;
        }
        let deadline = self.deadlines.get(usize::from(id.slot));
        self.end_wait(id);
        match self.take_piece(fx, id, caller, len, inline) {
            Ok(piece) => self.wake_piece(caller, piece),
            Err(PieceError::ReceiverFault) => self.wake_with_error(caller, SockError::InvalidArg),
            // Nothing arrived after all: keep waiting.
            Err(PieceError::MessageLost) => {
                self.start_wait(id, Waiter::Recv { caller, len, inline }, deadline);
            }
        }
    }

    /// Delivers up to `cap` bytes of the inbox of `id` to `receiver`: into
    /// its answer when `inline` allows and a buffered piece fits, else into
    /// its lease 0.
    fn take_piece(
        &mut self,
        fx: &mut impl Effects,
        id: SocketId,
        receiver: TaskId,
        cap: u32,
        inline: bool,
    ) -> Result<Piece, PieceError> {
        let inbox = self.sockets.get(id).map_or(Inbox::Empty, |socket| socket.inbox);
        let (len, taken, lent_by) = match inbox {
            Inbox::Empty => return Err(PieceError::MessageLost),
            Inbox::Buffered { len, taken } => (len, taken, None),
            Inbox::Lent { sender, len, taken } => (len, taken, Some(sender)),
        };
        let piece = cap.min(len - taken);
        let mut data = None;
        if piece > 0 {
            match lent_by {
                None => {
                    // A buffered inbox always has its buffer; were it
                    // missing, nothing is written and the copy counts as failed.
                    let piece_range = taken as usize..(taken + piece) as usize;
                    let bytes = self.sockets.buffer(id).get(piece_range).unwrap_or(&[]);
                    if inline && piece <= INLINE_MAX && bytes.len() == piece as usize {
                        data = self.replies.keep_data(bytes);
                    }
                    if data.is_none() && fx.lease_write(receiver, 0, 0, bytes) != Ok(piece as usize) {
                        return Err(PieceError::ReceiverFault);
                    }
                }
                Some(sender) => {
                    let (from, to) = (lease_at(sender, taken), lease_at(receiver, 0));
                    match fx.lease_copy(from, to, piece as usize) {
                        Ok(copied) if copied == piece as usize => {}
                        Err(LeaseCopyError { side: CopySide::Source, .. }) => {
                            return self.drop_unreadable_message(id, sender, taken);
                        }
                        _ => return Err(PieceError::ReceiverFault),
                    }
                }
            }
        }
        let taken = taken + piece;
        let rest = match (taken == len, lent_by) {
            (true, _) => Inbox::Empty,
            (false, None) => Inbox::Buffered { len, taken },
            (false, Some(sender)) => Inbox::Lent { sender, len, taken },
        };
        self.set_inbox(id, rest);
        if rest == Inbox::Empty {
            if let Some(sender) = lent_by {
                self.end_lent_send(id, sender, Response::Ok(0));
            }
            self.inbox_emptied(fx, id);
        }
        Ok(Piece { len: piece, more: rest != Inbox::Empty, data })
    }

    /// The sender's lease failed the copy of the piece at `taken` (unmapped,
    /// or the sender died): its `send` fails with `InvalidArg` and the rest of
    /// its message is dropped. If the receiver already took pieces of it, the
    /// message ends there: this `recv` gets an empty last piece, so the next
    /// message is never read as the rest of this one.
    fn drop_unreadable_message(&mut self, id: SocketId, sender: TaskId, taken: u32) -> Result<Piece, PieceError> {
        self.set_inbox(id, Inbox::Empty);
        // No other `send` waits for this inbox to empty: the sending socket's
        // one waiter was this very `send` (`SendLent`).
        self.end_lent_send(id, sender, Response::Error(SockError::InvalidArg));
        if taken > 0 { Ok(Piece { len: 0, more: false, data: None }) } else { Err(PieceError::MessageLost) }
    }

    /// Answers the blocked sender of the large message that was in the inbox
    /// of `id`.
    fn end_lent_send(&mut self, id: SocketId, sender: TaskId, response: Response) {
        if let Some(State::Connected { peer }) = self.sockets.get(id).map(|socket| socket.state)
            && self.sockets.get(peer).and_then(|s| s.waiter) == Some(Waiter::SendLent { caller: sender })
        {
            self.end_wait(peer);
        }
        self.wake(sender, response);
    }

    /// The inbox of `id` is empty: a `send` blocked on the peer may go in.
    fn inbox_emptied(&mut self, fx: &mut impl Effects, id: SocketId) {
        let Some(State::Connected { peer }) = self.sockets.get(id).map(|socket| socket.state) else {
            return;
        };
        let Some(Waiter::Send { caller, len, wait }) = self.sockets.get(peer).and_then(|s| s.waiter) else {
            return;
        };
        self.end_wait(peer);
        match self.enqueue(fx, peer, id, caller, len, wait, None) {
            Ok(Outcome::Reply(response, data)) => self.wake_with_data(caller, response, data),
            Ok(Outcome::Deferred) => {}
            Err(error) => self.wake_with_error(caller, error),
        }
    }
}
