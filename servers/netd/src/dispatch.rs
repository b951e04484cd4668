//! Decoding a request, checking it in the contract's order, and the calls that
//! change which sockets exist: `listen`, `connect`, `disconnect`, `List`.
//!
//! Each call returns an [`Answer`]: a response now, `Deferred` when the caller
//! must wait (its reply comes from a later event), or the error that decides
//! the call. Malformed requests (bad bytes, wrong version, an operation code
//! that disagrees with the request, wrong leases) are `E_INVALID_ARG`.

use abi::{JobId, TaskId};
use libsock::limits::{LIST_PAGE_ROWS, MAX_SOCKETS_PER_JOB, MAX_SOCKETS_PER_TASK, is_local_host};
use libsock::proto::{self, ListPage, Request, Response};
use libsock::{ResetReason, SockError};

use crate::conn::{Socket, SocketId, State};
use crate::effects::Effects;
use crate::waiters::{Waiter, answer, answer_error};
use crate::{Action, Netd};

/// How a call ends for now.
pub(crate) enum Outcome {
    Reply(Response),
    /// No reply yet: the caller stays blocked.
    Deferred,
}

pub(crate) type Answer = Result<Outcome, SockError>;

/// A port from the wire, or `E_INVALID_ARG`.
pub(crate) fn port_arg(port: u32) -> Result<u16, SockError> {
    u16::try_from(port).map_err(|_| SockError::InvalidArg)
}

/// Calls other than `send` and `recv` carry no lease.
fn no_leases(lease_count: usize) -> Result<(), SockError> {
    if lease_count == 0 {
        Ok(())
    } else {
        Err(SockError::InvalidArg)
    }
}

impl Netd {
    /// Handles one request from `sender` of job `job` (both kernel-stamped).
    /// Replies now or later through `fx`; never panics on any input, and
    /// allocates nothing but a message buffer (whose failure is `E_FAIL`).
    pub fn handle(
        &mut self,
        fx: &mut impl Effects,
        sender: TaskId,
        job: JobId,
        operation: u32,
        request: &[u8],
        lease_count: usize,
    ) -> Action {
        let request = match proto::decode_request(request) {
            Ok(request) if request.operation() == operation => request,
            _ => {
                answer_error(fx, sender, SockError::InvalidArg);
                return Action::None;
            }
        };
        let answer_now = match request {
            Request::Crash if self.supervisor == Some(sender) && lease_count == 0 => {
                return Action::Crash;
            }
            Request::Crash => Err(SockError::AccessDenied),
            Request::Listen { port } => self.listen(sender, job, port, lease_count),
            Request::Connect { port, host } => {
                self.connect(fx, sender, job, port, host, lease_count)
            }
            Request::Send { port, len } => self.send(fx, sender, port, len, lease_count),
            Request::Recv { port, len } => self.recv(fx, sender, port, len, lease_count),
            Request::Disconnect { port } => self.disconnect(fx, sender, port, lease_count),
            Request::List { start_index } => {
                no_leases(lease_count).map(|()| self.list_page(start_index))
            }
        };
        match answer_now {
            Ok(Outcome::Reply(response)) => answer(fx, sender, response),
            Ok(Outcome::Deferred) => {}
            Err(error) => answer_error(fx, sender, error),
        }
        Action::None
    }

    fn listen(&mut self, caller: TaskId, job: JobId, port: u32, lease_count: usize) -> Answer {
        no_leases(lease_count)?;
        let port = port_arg(port)?;
        if self.ports.lookup(port).is_some() {
            return Err(SockError::AccessDenied);
        }
        let mut socket = Socket::new(port, caller, job, State::Listening);
        socket.waiter = Some(Waiter::Listen { caller });
        self.create(socket)?;
        Ok(Outcome::Deferred)
    }

    fn connect(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        job: JobId,
        port: u32,
        host: &str,
        lease_count: usize,
    ) -> Answer {
        no_leases(lease_count)?;
        let port = port_arg(port)?;
        if !is_local_host(host) {
            return Err(SockError::InvalidArg);
        }
        let slot = self.ports.lookup(port).ok_or(SockError::NotFound)?;
        let (listener, socket) = self.sockets.in_slot(slot).ok_or(SockError::NotFound)?;
        if socket.state != State::Listening {
            return Err(SockError::WrongState);
        }
        let local = self.ports.highest_free().ok_or(SockError::Fail)?;
        let client = self.create(Socket::new(
            local,
            caller,
            job,
            State::Connected { peer: listener },
        ))?;
        if let Some(listening) = self.sockets.get_mut(listener) {
            listening.state = State::Connected { peer: client };
            if let Some(Waiter::Listen { caller: server }) = listening.waiter.take() {
                answer(fx, server, Response::Ok(0));
            }
        }
        Ok(Outcome::Reply(Response::Ok(local.into())))
    }

    fn disconnect(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        port: u32,
        lease_count: usize,
    ) -> Answer {
        no_leases(lease_count)?;
        let id = self.owned_socket(caller, port_arg(port)?)?;
        self.close(fx, id, ResetReason::PeerDisconnected);
        Ok(Outcome::Reply(Response::Ok(0)))
    }

    /// Up to a page of rows from table slot `start_index` on.
    fn list_page(&self, start_index: u32) -> Outcome {
        let mut page = ListPage::empty(self.sockets.len() as u32);
        let mut rows = self.rows_from(start_index as usize);
        for entry in page.rows.iter_mut() {
            *entry = rows.next().map(|(_, row)| row);
        }
        page.next_index = rows.next().map(|(slot, _)| u32::from(slot));
        debug_assert_eq!(page.rows.len(), LIST_PAGE_ROWS);
        Outcome::Reply(Response::ListPage(page))
    }

    /// The socket on `port`, if `caller` owns it.
    pub(crate) fn owned_socket(&self, caller: TaskId, port: u16) -> Result<SocketId, SockError> {
        let slot = self.ports.lookup(port).ok_or(SockError::NotFound)?;
        let (id, socket) = self.sockets.in_slot(slot).ok_or(SockError::NotFound)?;
        if socket.owner != caller {
            return Err(SockError::AccessDenied);
        }
        Ok(id)
    }

    /// Stores a new socket and claims its port; `E_FAIL` when the table, the
    /// owner's quota or its job's quota is full.
    fn create(&mut self, socket: Socket) -> Result<SocketId, SockError> {
        if self.owned.get(socket.owner) >= MAX_SOCKETS_PER_TASK
            || self.job_sockets.get(socket.job) >= MAX_SOCKETS_PER_JOB
        {
            return Err(SockError::Fail);
        }
        let id = self.sockets.insert(socket).ok_or(SockError::Fail)?;
        // Both counts have room for a key per socket, so neither refuses; a
        // refused add counted nothing.
        if !self.owned.add(socket.owner) || !self.job_sockets.add(socket.job) {
            self.owned.remove_one(socket.owner);
            self.sockets.remove(id);
            return Err(SockError::Fail);
        }
        self.ports.claim(socket.port, id.slot);
        Ok(id)
    }
}
