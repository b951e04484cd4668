//! Decoding a request, checking it in the contract's order, and the calls that
//! change which sockets exist: `listen`, `connect`, `disconnect`, `List`.
//!
//! Each call returns an [`Answer`]: a response now, `Deferred` when the caller
//! must wait (its reply comes from a later event), or the error that decides
//! the call. Malformed requests (bad bytes, wrong version, an operation code
//! that disagrees with the request, wrong leases) are `E_INVALID_ARG`.

use abi::{JobId, TaskId};
use libsock::limits::{LIST_PAGE_ROWS, is_local_host};
use libsock::proto::{self, ListPage, Request, Response, Wait};
use libsock::{ResetReason, SockError};

use crate::calls::{Answer, Leases, Outcome, port_arg};
use crate::conn::{Socket, State};
use crate::effects::Effects;
use crate::waiters::Waiter;
use crate::{Handled, Message, Netd};

impl Netd {
    /// Handles one request. Never panics on any input, and allocates nothing
    /// but a message buffer (whose failure is `E_FAIL`). Returns the answers
    /// it produced, the sender's (if it is answered now) last, except that a
    /// `send` answers its sender first (see `replies.rs`).
    pub fn handle(&mut self, fx: &mut impl Effects, message: &Message<'_>) -> Handled<'_> {
        self.replies.clear();
        self.route(fx, message);
        Handled { replies: self.replies.answers() }
    }

    fn route(&mut self, fx: &mut impl Effects, message: &Message<'_>) {
        let header = message.header;
        let (sender, job) = (header.sender, header.job);
        let leases = Leases { count: header.leases, first: message.first_lease };
        let (request, data) = match proto::decode_request_in(message.buffer, header.len) {
            Ok(decoded) if decoded.0.operation() == header.operation => decoded,
            _ => {
                self.wake_with_error(sender, SockError::InvalidArg);
                return;
            }
        };
        let sends = matches!(request, Request::Send { .. } | Request::SendWait { .. } | Request::SendInline { .. });
        let answer_now = match request {
            Request::Listen { port } => self.listen(fx, sender, job, port, Wait::Forever, leases),
            Request::Connect { port, host } => self.connect(sender, job, port, host, leases),
            Request::Send { port, len } => self.send(fx, sender, port, len, leases, Wait::Forever, None),
            Request::Recv { port, len } => self.recv(fx, sender, port, len, leases, Wait::Forever, false),
            Request::Disconnect { port } => self.disconnect(sender, port, leases),
            Request::List { start_index } => leases.none().map(|()| self.list_page(start_index)),
            Request::ListenQueue { port, backlog } => self.listen_queue(sender, job, port, backlog, leases),
            Request::Accept { port, wait } => self.accept(fx, sender, port, wait, leases),
            Request::ListenWait { port, wait } => self.listen(fx, sender, job, port, wait, leases),
            Request::SendWait { port, len, wait } => self.send(fx, sender, port, len, leases, wait, None),
            Request::RecvWait { port, len, wait } => self.recv(fx, sender, port, len, leases, wait, false),
            Request::Poll { count, wait, console } => self.poll(fx, sender, count, wait, console, leases),
            Request::SendInline { port, len, wait } => self.send(fx, sender, port, len, leases, wait, Some(data)),
            Request::RecvInline { port, len, wait } => self.recv(fx, sender, port, len, leases, wait, true),
        };
        // Polls woken by this request are answered before its sender (but
        // a send answered at once goes first: see `replies.rs`).
        self.answer_ready_polls(fx);
        match answer_now {
            Ok(Outcome::Reply(response, data)) if sends => {
                self.wake_with_data(sender, response, data);
                self.replies.answer_last_first();
            }
            Ok(Outcome::Reply(response, data)) => self.wake_with_data(sender, response, data),
            Ok(Outcome::Deferred) => {}
            Err(error) => self.wake_with_error(sender, error),
        }
    }

    fn listen(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        job: JobId,
        port: u32,
        wait: Wait,
        leases: Leases,
    ) -> Answer {
        leases.none()?;
        let port = port_arg(port)?;
        if wait == Wait::NonBlocking {
            // A listen that cannot wait for its client is no listen at all.
            return Err(SockError::InvalidArg);
        }
        if self.ports.lookup(port).is_some() {
            return Err(SockError::AccessDenied);
        }
        let deadline = self.wait_until(fx, wait)?;
        let id = self.create(Socket::new(port, caller, job, State::Listening))?;
        self.start_wait(id, Waiter::Listen { caller }, deadline);
        Ok(Outcome::Deferred)
    }

    fn connect(&mut self, caller: TaskId, job: JobId, port: u32, host: &str, leases: Leases) -> Answer {
        leases.none()?;
        let port = port_arg(port)?;
        if !is_local_host(host) {
            return Err(SockError::InvalidArg);
        }
        let slot = self.ports.lookup(port).ok_or(SockError::NotFound)?;
        let (listener, socket) = self.sockets.in_slot(slot).ok_or(SockError::NotFound)?;
        match socket.state {
            State::Listening => {}
            State::Accepting(backlog) => {
                let local = self.connect_to_queue(caller, job, listener, backlog)?;
                return Ok(Outcome::Reply(Response::Ok(local.into()), None));
            }
            _ => return Err(SockError::WrongState),
        }
        let local = self.ports.highest_free().ok_or(SockError::Fail)?;
        let client = self.create(Socket::new(local, caller, job, State::Connected { peer: listener }))?;
        if let Some(listening) = self.sockets.get_mut(listener) {
            listening.state = State::Connected { peer: client };
        }
        if let Some(Waiter::Listen { caller: server }) = self.end_wait(listener) {
            self.wake(server, Response::Ok(0));
        }
        Ok(Outcome::Reply(Response::Ok(local.into()), None))
    }

    fn disconnect(&mut self, caller: TaskId, port: u32, leases: Leases) -> Answer {
        leases.none()?;
        let id = self.owned_socket(caller, port_arg(port)?)?;
        self.close(id, ResetReason::PeerDisconnected);
        Ok(Outcome::Reply(Response::Ok(0), None))
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
        Outcome::Reply(Response::ListPage(page), None)
    }
}
