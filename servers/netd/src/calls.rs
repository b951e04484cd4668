//! What every call shares: how it ends for now ([`Answer`]), its port
//! argument, the caller's socket on a port, and making a socket within the
//! quotas. `dispatch` decodes and routes; `data`, `cleanup` and the socket
//! calls use these and never each other's internals.

use abi::TaskId;
use libsock::SockError;
use libsock::limits::{MAX_SOCKETS_PER_JOB, MAX_SOCKETS_PER_TASK};
use libsock::proto::Response;

use crate::Netd;
use crate::conn::{Socket, SocketId};
use crate::replies::Data;

/// How a call ends for now.
pub(crate) enum Outcome {
    /// The answer, and the data that follows it in the message, if any.
    Reply(Response, Option<Data>),
    /// No reply yet: the caller stays blocked.
    Deferred,
}

pub(crate) type Answer = Result<Outcome, SockError>;

/// A port from the wire, or `E_INVALID_ARG`.
pub(crate) fn port_arg(port: u32) -> Result<u16, SockError> {
    u16::try_from(port).map_err(|_| SockError::InvalidArg)
}

impl Netd {
    /// Queues `response` for a caller this event woke (see `replies`).
    #[inline]
    pub(crate) fn wake(&mut self, to: TaskId, response: Response) {
        self.replies.push(to, response);
    }

    /// [`Netd::wake`] with the data kept for the answer (`Replies::keep_data`).
    #[inline]
    pub(crate) fn wake_with_data(&mut self, to: TaskId, response: Response, data: Option<Data>) {
        match data {
            Some(data) => self.replies.push_with_data(to, response, data),
            None => self.replies.push(to, response),
        }
    }

    pub(crate) fn wake_with_error(&mut self, to: TaskId, error: SockError) {
        self.wake(to, Response::Error(error));
    }

    /// The socket on `port`, if `caller` owns it.
    pub(crate) fn owned_socket(&self, caller: TaskId, port: u16) -> Result<SocketId, SockError> {
        self.owned(caller, port).map(|(id, _)| id)
    }

    /// [`Netd::owned_socket`], with the socket itself.
    #[inline]
    pub(crate) fn owned(&self, caller: TaskId, port: u16) -> Result<(SocketId, &Socket), SockError> {
        let slot = self.ports.lookup(port).ok_or(SockError::NotFound)?;
        let (id, socket) = self.sockets.in_slot(slot).ok_or(SockError::NotFound)?;
        if socket.owner != caller {
            return Err(SockError::AccessDenied);
        }
        Ok((id, socket))
    }

    /// Stores a new socket and claims its port; `E_FAIL` when the table, the
    /// owner's quota or its job's quota is full. The connections a server
    /// accepts from a `listen_queue` count against its job's quota only, so
    /// one task can serve as many clients as its job may hold.
    pub(crate) fn create(&mut self, socket: Socket) -> Result<SocketId, SockError> {
        let own = self.owned.get(socket.owner) - self.served.get(socket.owner);
        if (!socket.served && own >= MAX_SOCKETS_PER_TASK) || self.job_sockets.get(socket.job) >= MAX_SOCKETS_PER_JOB {
            return Err(SockError::Fail);
        }
        let id = self.sockets.insert(socket).ok_or(SockError::Fail)?;
        // The counts have room for a key per socket, so none refuses; a
        // refused add counted nothing.
        let served = !socket.served || self.served.add(socket.owner);
        if !served || !self.owned.add(socket.owner) || !self.job_sockets.add(socket.job) {
            if socket.served && served {
                self.served.remove_one(socket.owner);
            }
            self.owned.remove_one(socket.owner);
            self.sockets.remove(id);
            return Err(SockError::Fail);
        }
        self.ports.claim(socket.port, id.slot);
        Ok(id)
    }
}

/// The leases a request came with: how many, and the first one as the kernel
/// described it along with the message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leases {
    pub count: usize,
    pub first: Option<urt::ipc::FirstLease>,
}

impl Leases {
    /// Calls other than `send`, `recv` and `poll` carry no lease.
    pub fn none(self) -> Result<(), SockError> {
        if self.count == 0 { Ok(()) } else { Err(SockError::InvalidArg) }
    }

    /// Exactly one lease allowing `flags` over at least `len` bytes.
    pub fn one(self, flags: u64, len: usize) -> Result<(), SockError> {
        match (self.count, self.first) {
            (1, Some(lease)) if lease.flags & flags == flags && lease.len >= len => Ok(()),
            _ => Err(SockError::InvalidArg),
        }
    }
}
