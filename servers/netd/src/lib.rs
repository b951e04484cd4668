//! netd's pure core: the socket service without a single syscall.
//!
//! The netd binary loops on the kernel's `recv` and hands each request to
//! [`Netd::handle`] and each task-exit notification to
//! [`Netd::task_exit_notified`]. Each returns a [`Handled`]: the answers the
//! event produced, in the order they must go out (`replies`). The kernel
//! calls the core needs while it works (lease copies, liveness) go through
//! [`Effects`]. A call that must block (`listen`, `recv`, a `send` whose peer
//! has not taken the previous message) is simply not answered yet: its
//! answer comes with a later event.
//!
//! Modules: `ports` (port -> socket, highest free port), `conn` (sockets and
//! their table), `buffers` (the pool of small-message buffers), `counts`
//! (sockets per task and per job), `waiters` (blocked callers), `replies`
//! (the answers of one event), `calls` (what every call shares: outcomes,
//! ports, owned sockets, quotas), `dispatch` (decoding, routing, and the
//! socket-level calls), `data` (moving messages), `cleanup` (disconnect,
//! resets, task exits), and the extensions: `accept` (many clients per
//! port), `waits` and `deadlines` (timeouts and non-blocking calls), `poll`
//! (waiting on many sockets and the console). `docs/sockets.md` describes the behaviour; the
//! limits are in `libsock::limits`, re-exported here as [`limits`].
//!
//! Memory: everything but message buffers is allocated whole by
//! [`Netd::try_new`] (port table, socket slots, the per-task and per-job
//! counts); a small message waiting in an inbox takes a 4 KiB buffer from a
//! pool capped at `MAX_BUFFERED_MESSAGES`, whose allocation may fail (that
//! `send` gets `E_FAIL`). No request and no task exit makes netd allocate
//! anything else, so running out of memory never stops it. `docs/sockets.md`
//! computes the worst case.
#![cfg_attr(not(test), no_std)]
// The host tests' rationing allocator (`rationed_alloc`) is the one place
// with `unsafe`; the service itself has none.
#![cfg_attr(not(test), forbid(unsafe_code))]
#![cfg_attr(test, deny(unsafe_code))]

extern crate alloc;

mod accept;
mod buffers;
mod calls;
mod cleanup;
mod conn;
mod counts;
mod data;
mod deadlines;
mod dispatch;
mod effects;
mod pieces;
mod poll;
mod ports;
mod replies;
mod waiters;
mod waits;

#[cfg(any(test, feature = "fake-kernel"))]
pub mod fake_kernel;

#[cfg(test)]
mod ext_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod poll_tests;
#[cfg(test)]
mod quota_tests;
#[cfg(test)]
mod rationed_alloc;
#[cfg(test)]
mod reply_order_tests;
#[cfg(test)]
mod rule_tests;

use alloc::collections::TryReserveError;

use abi::{JobId, MessageHeader, TaskId};
use libsock::limits::MAX_SOCKETS;
use libsock::proto::SocketRow;
use urt::ipc::FirstLease;

pub use effects::Effects;
pub use libsock::limits;
pub use replies::{Answers, Reply};

use conn::{Inbox, SocketTable, State};
use counts::Counts;
use ports::PortTable;

/// netd could not get the memory it needs to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl From<TryReserveError> for OutOfMemory {
    fn from(_: TryReserveError) -> Self {
        OutOfMemory
    }
}

/// One request as the kernel delivered it.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// Sender and job are stamped by the kernel.
    pub header: MessageHeader,
    /// The message is its first `header.len` bytes (at most its length). A
    /// receive buffer, longer than the message, lets the data path decode
    /// a request's head with fewer bounds checks.
    pub buffer: &'a [u8],
    /// Lease 0, as the kernel described it along with the message.
    pub first_lease: Option<FirstLease>,
}

/// What an event produced: the answers to send, in this order (the sender
/// of a request, if answered now, last; but a `send` answered at once
/// answers its sender first).
#[derive(Debug)]
pub struct Handled<'a> {
    pub replies: Answers<'a>,
}

/// The socket service's whole state.
pub struct Netd {
    ports: PortTable,
    sockets: SocketTable,
    /// Live sockets per owner, for the per-task quota and to find the owners
    /// to check when some task exits.
    owned: Counts<TaskId>,
    /// Live sockets per job, for the per-job quota.
    job_sockets: Counts<JobId>,
    /// Of `owned`, the connections accepted from a queue (not in the
    /// per-task quota).
    served: Counts<TaskId>,
    /// The answers of the event being handled.
    replies: replies::Replies,
    /// When each timed wait gives up.
    deadlines: deadlines::Deadlines,
    /// Tasks blocked in `poll`.
    pollers: poll::Pollers,
    /// Console signals seen since netd started (see `poll`).
    console_signals: u32,
}

#[cfg(any(test, feature = "fake-kernel"))]
impl Default for Netd {
    fn default() -> Self {
        Self::new()
    }
}

impl Netd {
    /// Allocates every table netd needs, or says that memory was short.
    pub fn try_new() -> Result<Self, OutOfMemory> {
        Ok(Netd {
            ports: PortTable::try_new()?,
            sockets: SocketTable::try_new()?,
            // Each key holds a socket, so there are never more keys than sockets.
            owned: Counts::try_with_limit(MAX_SOCKETS)?,
            job_sockets: Counts::try_with_limit(MAX_SOCKETS)?,
            served: Counts::try_with_limit(MAX_SOCKETS)?,
            replies: replies::Replies::try_new()?,
            deadlines: deadlines::Deadlines::try_with_keys(waits::poll_key(abi::MAX_TASKS))?,
            pollers: poll::Pollers::try_new()?,
            console_signals: 0,
        })
    }

    /// For host tests, where memory does not run out.
    #[cfg(any(test, feature = "fake-kernel"))]
    pub fn new() -> Self {
        Self::try_new().expect("memory for netd's tables")
    }

    /// The answers of the last event, kept until the next one starts: the
    /// binary sends them with its next receive.
    #[inline]
    pub fn answers(&self) -> Answers<'_> {
        self.replies.answers()
    }

    /// The binary has sent the answers: none may go out twice.
    #[inline]
    pub fn answers_sent(&mut self) {
        self.replies.clear();
    }

    /// Live sockets.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    /// Live sockets of the tasks of `job`.
    pub fn job_socket_count(&self, job: JobId) -> usize {
        self.job_sockets.get(job)
    }

    /// Small-message buffers netd has allocated (lent to inboxes or spare).
    pub fn message_buffers(&self) -> usize {
        self.sockets.buffers_allocated()
    }

    /// Every socket as netstat shows it, in table order.
    pub fn rows(&self) -> impl Iterator<Item = SocketRow> + '_ {
        self.rows_from(0).map(|(_, row)| row)
    }

    /// Rows from table slot `start` on, each with its slot.
    fn rows_from(&self, start: usize) -> impl Iterator<Item = (u16, SocketRow)> + '_ {
        self.sockets.iter_from(start).map(|(id, socket)| {
            let peer_port = match socket.state {
                State::Connected { peer } => self.sockets.get(peer).map(|p| p.port),
                _ => None,
            };
            let queued = match socket.inbox {
                Inbox::Empty => 0,
                inbox => inbox.remaining(),
            };
            let row = SocketRow {
                port: socket.port,
                state: socket.row_state(),
                owner: socket.owner.raw(),
                peer_port,
                queued,
            };
            (id.slot, row)
        })
    }
}
