//! Sockets and the table that holds them.
//!
//! A socket is `Listening` (for one client), `Accepting` (for any number,
//! which wait in its backlog until accepted), `Connected` to a peer, or
//! `Reset` after its peer went away. The peer is named by [`SocketId`] (slot + generation), never by
//! port, so a new socket that reuses a port is a different peer.
//!
//! Each socket has an inbox holding at most one message from its peer. A small
//! one (<= `SMALL_MESSAGE_MAX`) is copied into a buffer from the table's
//! [`BufferPool`], held by the slot while the message waits. A large one
//! stays in the sender's lease.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use abi::{JobId, TaskId};
use libsock::ResetReason;
use libsock::limits::MAX_SOCKETS;
use libsock::proto::RowState;

use crate::buffers::{Buffer, BufferPool};
use crate::waiters::Waiter;

/// Names one socket for its whole life; a freed slot's next socket differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketId {
    pub slot: u16,
    generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting for its one client.
    Listening,
    /// Listening for any number of clients (`listen_queue`).
    Accepting(Backlog),
    Connected {
        peer: SocketId,
    },
    /// The peer closed or died; the inbox may still hold its last message.
    Reset(ResetReason),
}

/// The connections waiting to be accepted on an `Accepting` socket: a list
/// threaded through the waiting sockets' [`Pending`], oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backlog {
    pub limit: u16,
    pub len: u16,
    pub head: Option<SocketId>,
    pub tail: Option<SocketId>,
}

impl Backlog {
    pub const fn new(limit: u16) -> Self {
        Backlog { limit, len: 0, head: None, tail: None }
    }
}

/// A connection not yet accepted: its listener, the next one waiting, and
/// its client's port (which `accept` reports even if the client has gone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub listener: SocketId,
    pub next: Option<SocketId>,
    pub remote: u16,
}

/// The `poll` a socket's owner is blocked in, if it watches this socket: the
/// owner's poll slot and that poll's serial number (an older poll's mark is
/// stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollMark {
    pub slot: u16,
    pub serial: u32,
}

/// The message waiting to be received by a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbox {
    Empty,
    /// In the slot's buffer; `taken` bytes already delivered.
    Buffered {
        len: u32,
        taken: u32,
    },
    /// Still in lease 0 of `sender`, who waits until all of it is taken.
    Lent {
        sender: TaskId,
        len: u32,
        taken: u32,
    },
}

impl Inbox {
    /// Bytes not yet delivered.
    pub fn remaining(self) -> u32 {
        match self {
            Inbox::Empty => 0,
            Inbox::Buffered { len, taken } | Inbox::Lent { len, taken, .. } => len - taken,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Socket {
    pub port: u16,
    pub owner: TaskId,
    /// The owner's job, whose quota the socket counts against.
    pub job: JobId,
    pub state: State,
    pub inbox: Inbox,
    pub waiter: Option<Waiter>,
    /// Set while the connection waits in its listener's backlog.
    pub pending: Option<Pending>,
    /// Made for a server by its `listen_queue`: counted against its job only.
    pub served: bool,
    pub polled_by: Option<PollMark>,
}

impl Socket {
    pub fn new(port: u16, owner: TaskId, job: JobId, state: State) -> Self {
        Socket {
            port,
            owner,
            job,
            state,
            inbox: Inbox::Empty,
            waiter: None,
            pending: None,
            served: false,
            polled_by: None,
        }
    }

    pub fn row_state(&self) -> RowState {
        match self.state {
            State::Listening | State::Accepting(_) => RowState::Listening,
            State::Connected { .. } => RowState::Connected,
            State::Reset(_) => RowState::Reset,
        }
    }
}

struct Slot {
    generation: u32,
    socket: Option<Socket>,
    /// Holds the inbox's message while the inbox is `Buffered`.
    buffer: Option<Buffer>,
}

/// At most [`MAX_SOCKETS`] sockets, in slots reused through a free list. The
/// slots, the free list and the pool's list are allocated whole at start;
/// only message buffers are allocated later (see [`BufferPool`]).
pub struct SocketTable {
    slots: Vec<Slot>,
    /// Free slots, the next to use last.
    free: Vec<u16>,
    live: usize,
    /// One past the highest slot ever used: walks stop there.
    used_end: usize,
    buffers: BufferPool,
}

impl SocketTable {
    pub fn try_new() -> Result<Self, TryReserveError> {
        let mut slots = Vec::new();
        slots.try_reserve_exact(MAX_SOCKETS)?;
        slots.resize_with(MAX_SOCKETS, || Slot { generation: 0, socket: None, buffer: None });
        let mut free = Vec::new();
        free.try_reserve_exact(MAX_SOCKETS)?;
        // Lowest slot first, as netstat lists them.
        free.extend((0..MAX_SOCKETS as u16).rev());
        Ok(SocketTable { slots, free, live: 0, used_end: 0, buffers: BufferPool::try_new()? })
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// Stores `socket`; `None` when the table is full.
    pub fn insert(&mut self, socket: Socket) -> Option<SocketId> {
        let slot = self.free.pop()?;
        let entry = self.slots.get_mut(usize::from(slot))?;
        entry.socket = Some(socket);
        self.live += 1;
        self.used_end = self.used_end.max(usize::from(slot) + 1);
        Some(SocketId { slot, generation: entry.generation })
    }

    /// Frees a socket; its id never names anything again.
    pub fn remove(&mut self, id: SocketId) -> Option<Socket> {
        let entry = self.slots.get_mut(usize::from(id.slot)).filter(|e| e.generation == id.generation)?;
        let socket = entry.socket.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        if let Some(buffer) = entry.buffer.take() {
            self.buffers.give_back(buffer);
        }
        // Never more free slots than slots: within the capacity reserved.
        self.free.push(id.slot);
        self.live -= 1;
        Some(socket)
    }

    #[inline]
    pub fn get(&self, id: SocketId) -> Option<&Socket> {
        let entry = self.slots.get(usize::from(id.slot)).filter(|e| e.generation == id.generation)?;
        entry.socket.as_ref()
    }

    #[inline]
    pub fn get_mut(&mut self, id: SocketId) -> Option<&mut Socket> {
        let entry = self.slots.get_mut(usize::from(id.slot)).filter(|e| e.generation == id.generation)?;
        entry.socket.as_mut()
    }

    /// The live socket in `slot`, with its id.
    #[inline]
    pub fn in_slot(&self, slot: u16) -> Option<(SocketId, &Socket)> {
        let entry = self.slots.get(usize::from(slot))?;
        let socket = entry.socket.as_ref()?;
        Some((SocketId { slot, generation: entry.generation }, socket))
    }

    /// A message buffer for the inbox of `id`, taken from the pool unless the
    /// slot holds one already; `None` when the pool has none to give. Setting
    /// the inbox to anything but `Buffered` gives it back.
    #[inline]
    pub fn buffer_for(&mut self, id: SocketId) -> Option<&mut [u8]> {
        let entry = self.slots.get_mut(usize::from(id.slot)).filter(|e| e.generation == id.generation)?;
        entry.socket.as_ref()?;
        if entry.buffer.is_none() {
            entry.buffer = Some(self.buffers.take()?);
        }
        entry.buffer.as_deref_mut()
    }

    /// The bytes of a buffered message; empty if the slot holds no buffer.
    pub fn buffer(&self, id: SocketId) -> &[u8] {
        self.slots.get(usize::from(id.slot)).and_then(|entry| entry.buffer.as_deref()).unwrap_or(&[])
    }

    /// Sets the inbox of `id` and returns the one it replaces with the
    /// socket (`None`: no such socket); a buffer the inbox no longer needs
    /// goes back to the pool.
    #[inline]
    pub fn set_inbox(&mut self, id: SocketId, inbox: Inbox) -> Option<(Inbox, &Socket)> {
        let entry = self.slots.get_mut(usize::from(id.slot)).filter(|e| e.generation == id.generation)?;
        let socket = entry.socket.as_mut()?;
        let before = core::mem::replace(&mut socket.inbox, inbox);
        if !matches!(inbox, Inbox::Buffered { .. })
            && let Some(buffer) = entry.buffer.take()
        {
            self.buffers.give_back(buffer);
        }
        Some((before, socket))
    }

    /// Message buffers in existence (lent to inboxes or spare).
    pub fn buffers_allocated(&self) -> usize {
        self.buffers.allocated()
    }

    /// Live sockets from slot `start` on, in slot order.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = (SocketId, &Socket)> + '_ {
        (start..self.used_end).filter_map(|slot| self.in_slot(slot as u16))
    }

    /// What the table reserved at start: slots and free-list room.
    #[cfg(test)]
    pub fn reserved(&self) -> (usize, usize) {
        (self.slots.capacity(), self.free.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libsock::limits::{MAX_BUFFERED_MESSAGES, SMALL_MESSAGE_MAX};

    fn socket(port: u16) -> Socket {
        Socket::new(port, TaskId::new(1, 0), JobId::new(1), State::Listening)
    }

    #[test]
    fn a_freed_id_never_names_the_slots_next_socket() {
        let mut table = SocketTable::try_new().unwrap();
        let first = table.insert(socket(10)).unwrap();
        assert!(table.remove(first).is_some());
        let second = table.insert(socket(10)).unwrap();
        assert_eq!(first.slot, second.slot);
        assert!(table.get(first).is_none());
        assert!(table.remove(first).is_none());
        assert_eq!(table.get(second).unwrap().port, 10);
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn the_table_holds_max_sockets_then_refuses_and_never_grows() {
        let mut table = SocketTable::try_new().unwrap();
        let reserved = table.reserved();
        assert_eq!(reserved, (MAX_SOCKETS, MAX_SOCKETS));
        let ids: Vec<_> = (0..MAX_SOCKETS).map(|i| table.insert(socket(i as u16)).unwrap()).collect();
        assert_eq!(ids[0].slot, 0, "slots are used lowest first");
        assert_eq!(table.len(), MAX_SOCKETS);
        assert!(table.insert(socket(5000)).is_none());
        table.remove(ids[7]);
        assert_eq!(table.insert(socket(5000)).unwrap().slot, 7);
        for id in &ids {
            table.remove(*id);
        }
        assert_eq!(table.reserved(), reserved);
    }

    #[test]
    fn a_buffer_is_held_only_while_a_message_waits() {
        let mut table = SocketTable::try_new().unwrap();
        let id = table.insert(socket(1)).unwrap();
        assert!(table.buffer(id).is_empty());
        table.buffer_for(id).unwrap()[0] = 7;
        table.set_inbox(id, Inbox::Buffered { len: 1, taken: 0 });
        assert_eq!(table.buffer(id)[0], 7);
        table.set_inbox(id, Inbox::Empty);
        assert!(table.buffer(id).is_empty());
        // The spare buffer serves the next message: none is allocated.
        let other = table.insert(socket(2)).unwrap();
        assert_eq!(table.buffer_for(other).unwrap().len(), SMALL_MESSAGE_MAX as usize);
        table.set_inbox(other, Inbox::Buffered { len: 1, taken: 0 });
        table.remove(other);
        assert_eq!(table.buffers_allocated(), 1);
    }

    #[test]
    fn buffers_stop_at_the_limit_and_come_back_with_their_socket() {
        let mut table = SocketTable::try_new().unwrap();
        let ids: Vec<_> = (0..=MAX_BUFFERED_MESSAGES).map(|i| table.insert(socket(i as u16)).unwrap()).collect();
        for id in &ids[..MAX_BUFFERED_MESSAGES] {
            assert!(table.buffer_for(*id).is_some());
            table.set_inbox(*id, Inbox::Buffered { len: 1, taken: 0 });
        }
        let last = ids[MAX_BUFFERED_MESSAGES];
        assert!(table.buffer_for(last).is_none());
        table.remove(ids[0]);
        assert!(table.buffer_for(last).is_some());
        assert_eq!(table.buffers_allocated(), MAX_BUFFERED_MESSAGES);
    }
}
