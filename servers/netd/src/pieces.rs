//! Taking messages out of an inbox: the piece a `recv` gets, where its bytes
//! go (the receiver's answer or its lease), what happens when a lease fails,
//! and the `send` an emptied inbox lets in. `data.rs` puts messages in.

use abi::{CopySide, LeaseCopyError, TaskId};
use libsock::SockError;
use libsock::limits::INLINE_MAX;
use libsock::proto::Response;
use urt::ipc::LeaseAt;

use crate::Netd;
use crate::calls::Outcome;
use crate::conn::{Inbox, SocketId, State};
use crate::effects::Effects;
use crate::replies::Data;
use crate::waiters::Waiter;

/// Why no piece could be delivered.
pub(crate) enum PieceError {
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
    pub len: u32,
    pub more: bool,
    pub data: Option<Data>,
}

impl Piece {
    pub fn response(&self) -> Response {
        let (len, more) = (self.len, self.more);
        if self.data.is_some() { Response::ReceivedInline { len, more } } else { Response::Received { len, more } }
    }
}

/// Lease 0 of `caller` from `offset` on.
pub(crate) fn lease_at(caller: TaskId, offset: u32) -> LeaseAt {
    LeaseAt { caller, index: 0, offset: offset as usize }
}

impl Netd {
    /// Answers `receiver` with `piece`.
    pub(crate) fn wake_piece(&mut self, receiver: TaskId, piece: Piece) {
        self.wake_with_data(receiver, piece.response(), piece.data);
    }

    /// Answers a `recv` blocked on `id` if a message is there now.
    pub(crate) fn deliver_if_waiting(&mut self, fx: &mut impl Effects, id: SocketId) {
        let Some(socket) = self.sockets.get_mut(id) else {
            return;
        };
        let Some(Waiter::Recv { caller, len, inline }) = socket.waiter else {
            return;
        };
        if socket.inbox == Inbox::Empty {
            return;
        }
        let inbox = socket.inbox;
        let deadline = self.deadlines.get(usize::from(id.slot));
        self.end_wait(id);
        match self.take_piece(fx, id, inbox, caller, len, inline) {
            Ok(piece) => self.wake_piece(caller, piece),
            Err(PieceError::ReceiverFault) => self.wake_with_error(caller, SockError::InvalidArg),
            // Nothing arrived after all: keep waiting.
            Err(PieceError::MessageLost) => {
                self.start_wait(id, Waiter::Recv { caller, len, inline }, deadline);
            }
        }
    }

    /// Delivers up to `cap` bytes of `inbox`, the inbox of `id`, to
    /// `receiver`: into its answer when `inline` allows and a buffered piece
    /// fits, else into its lease 0.
    pub(crate) fn take_piece(
        &mut self,
        fx: &mut impl Effects,
        id: SocketId,
        inbox: Inbox,
        receiver: TaskId,
        cap: u32,
        inline: bool,
    ) -> Result<Piece, PieceError> {
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
        // Not `set_inbox`: the inbox was not empty, so only emptying it
        // concerns a poll, the peer's, which `inbox_emptied` tells.
        let after = self.sockets.set_inbox(id, rest).map(|(_, socket)| (socket.state, socket.waiter));
        if rest == Inbox::Empty {
            if let Some(sender) = lent_by {
                self.end_lent_send(id, sender, Response::Ok(0));
            }
            if let Some((State::Connected { peer }, receiver)) = after {
                self.inbox_emptied(fx, (peer, id, receiver));
            }
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

    /// The inbox of `id` (connected to `peer`, waited on by `receiver`) is
    /// empty now: a `poll` on the peer sees room, and a `send` blocked on
    /// the peer may go in.
    fn inbox_emptied(&mut self, fx: &mut impl Effects, (peer, id, receiver): (SocketId, SocketId, Option<Waiter>)) {
        let Some((polled, waiter)) = self.sockets.get(peer).map(|s| (s.polled_by.is_some(), s.waiter)) else {
            return;
        };
        if polled {
            self.poll_event(peer);
        }
        let Some(Waiter::Send { caller, len, wait }) = waiter else {
            return;
        };
        self.end_wait(peer);
        match self.enqueue(fx, (peer, id, receiver), caller, len, wait, None) {
            Ok(Outcome::Reply(response, data)) => self.wake_with_data(caller, response, data),
            Ok(Outcome::Deferred) => {}
            Err(error) => self.wake_with_error(caller, error),
        }
    }
}
