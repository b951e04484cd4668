//! Blocked callers: a call netd answers later, when the socket's peer acts.
//!
//! A task has one thread, so it waits in at most one call, and only the owner
//! uses a socket: each socket therefore has at most one [`Waiter`], kept in the
//! socket itself. Every waiter gets exactly one reply: when its condition comes
//! true, when its peer goes away (-1030), or never if it died itself (a reply to
//! a dead task is pointless and the kernel refuses it anyway).

use abi::TaskId;
use libsock::SockError;
use libsock::proto::{self, PROTOCOL_VERSION, Response};

use crate::effects::Effects;

/// A blocked call on a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiter {
    /// `listen`, until a client connects.
    Listen { caller: TaskId },
    /// `recv` of up to `len` bytes, until a message arrives.
    Recv { caller: TaskId, len: u32 },
    /// `send` of `len` bytes, until the peer has taken its previous message.
    Send { caller: TaskId, len: u32 },
    /// `send` of a large message that sits in the peer's inbox, still in the
    /// caller's lease, until the peer has taken all of it.
    SendLent { caller: TaskId },
}

impl Waiter {
    pub fn caller(self) -> TaskId {
        match self {
            Waiter::Listen { caller }
            | Waiter::Recv { caller, .. }
            | Waiter::Send { caller, .. }
            | Waiter::SendLent { caller } => caller,
        }
    }
}

/// Room for `Ok` and `Received` (tag, a 5-byte varint, a flag) and errors.
const SMALL_ANSWER: usize = 8;

/// Sends `response` to a blocked caller.
pub fn answer(fx: &mut impl Effects, to: TaskId, response: Response) {
    // The answers of the data path take a few bytes: spare them clearing a
    // whole message buffer.
    let mut small = [0u8; SMALL_ANSWER];
    if let Ok(bytes) = proto::encode_response(&response, &mut small) {
        fx.reply(to, PROTOCOL_VERSION.into(), bytes);
        return;
    }
    let mut buf = [0u8; abi::MAX_MESSAGE];
    // Every response fits one message (checked by libsock's tests); an
    // encoding failure would be a bug, answered as E_FAIL rather than silence.
    let bytes = match proto::encode_response(&response, &mut buf) {
        Ok(bytes) => bytes.len(),
        Err(_) => proto::encode_response(&Response::Error(SockError::Fail), &mut buf)
            .map_or(0, <[u8]>::len),
    };
    fx.reply(to, PROTOCOL_VERSION.into(), &buf[..bytes]);
}

pub fn answer_error(fx: &mut impl Effects, to: TaskId, error: SockError) {
    answer(fx, to, Response::Error(error));
}
