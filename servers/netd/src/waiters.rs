//! Blocked callers: a call netd answers later, when the socket's peer acts.
//!
//! A task has one thread, so it waits in at most one call, and only the owner
//! uses a socket: each socket therefore has at most one [`Waiter`], kept in the
//! socket itself. Every waiter gets exactly one reply: when its condition comes
//! true, when its peer goes away (-1030), or never if it died itself (a reply to
//! a dead task is pointless and the kernel refuses it anyway).

use abi::TaskId;
use libsock::proto::Wait;

/// A blocked call on a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiter {
    /// `listen`, until a client connects.
    Listen { caller: TaskId },
    /// `recv` of up to `len` bytes, until a message arrives; `inline` when
    /// its answer may carry the piece (`RecvInline`).
    Recv { caller: TaskId, len: u32, inline: bool },
    /// `send` of `len` bytes, until the peer has taken its previous message;
    /// once in, a large message waits as `wait` says.
    Send { caller: TaskId, len: u32, wait: Wait },
    /// `send` of a large message that sits in the peer's inbox, still in the
    /// caller's lease, until the peer has taken all of it.
    SendLent { caller: TaskId },
    /// `accept`, until a connection waits in the backlog.
    Accept { caller: TaskId },
}

impl Waiter {
    pub fn caller(self) -> TaskId {
        match self {
            Waiter::Listen { caller }
            | Waiter::Recv { caller, .. }
            | Waiter::Send { caller, .. }
            | Waiter::SendLent { caller }
            | Waiter::Accept { caller } => caller,
        }
    }
}
