//! netd's pure core: the socket service without a single syscall.
//!
//! The netd binary loops on the kernel's `recv` and hands each request to
//! [`Netd::handle`] and each task-exit notification to
//! [`Netd::task_exit_notified`]; everything the core needs from the kernel
//! (replies, lease copies, liveness) goes through [`Effects`]. A call that must
//! block (`listen`, `recv`, a `send` whose peer has not taken the previous
//! message) is simply not answered yet: the reply comes from a later event.
//!
//! Modules: `ports` (port -> socket, highest free port), `conn` (sockets and
//! their table), `waiters` (blocked callers), `dispatch` (request checks and
//! the socket-level calls), `data` (moving messages), `cleanup` (disconnect,
//! resets, task exits). `docs/sockets.md` describes the behaviour; the limits
//! are in `libsock::limits`, re-exported here as [`limits`].
//!
//! Memory: the port table (~136 KiB) and slot array are allocated once; each
//! slot gets a 4 KiB message buffer the first time it receives a small message.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod cleanup;
mod conn;
mod data;
mod dispatch;
mod effects;
mod ports;
mod waiters;

#[cfg(any(test, feature = "fake-kernel"))]
pub mod fake_kernel;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod rule_tests;

use alloc::collections::BTreeMap;

use abi::TaskId;
use libsock::proto::SocketRow;

pub use effects::{Effects, LeaseInfo};
pub use libsock::limits;

use conn::{Inbox, SocketTable, State};
use ports::PortTable;

/// What the binary must do after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing: go back to `recv`.
    None,
    /// The supervisor asked netd to fault: execute a real CPU fault now, so the
    /// crash and restart path is exercised for real. The caller got no reply;
    /// it wakes with the kernel's peer-died error.
    Crash,
}

/// The socket service's whole state.
pub struct Netd {
    ports: PortTable,
    sockets: SocketTable,
    /// Live sockets per owner, for the per-task share and to find the owners
    /// to check when some task exits.
    owned: BTreeMap<TaskId, usize>,
    /// The only task allowed to ask for a crash.
    supervisor: Option<TaskId>,
}

impl Default for Netd {
    fn default() -> Self {
        Self::new()
    }
}

impl Netd {
    pub fn new() -> Self {
        Netd {
            ports: PortTable::new(),
            sockets: SocketTable::new(),
            owned: BTreeMap::new(),
            supervisor: None,
        }
    }

    /// Names the supervisor (init), the only task whose `Crash` is honoured.
    pub fn set_supervisor(&mut self, supervisor: TaskId) {
        self.supervisor = Some(supervisor);
    }

    /// Live sockets.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
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
