//! Sockets and the table that holds them.
//!
//! A socket is `Listening`, `Connected` to a peer, or `Reset` after its peer
//! went away. The peer is named by [`SocketId`] (slot + generation), never by
//! port, so a new socket that reuses a port is a different peer.
//!
//! Each socket has an inbox holding at most one message from its peer. A small
//! one (<= `SMALL_MESSAGE_MAX`) is copied into the slot's buffer, allocated the
//! first time the slot needs it and kept for the slot's next sockets, so the
//! data path allocates nothing. A large one stays in the sender's lease.

use alloc::vec;
use alloc::vec::Vec;

use abi::TaskId;
use libsock::ResetReason;
use libsock::limits::{MAX_SOCKETS, SMALL_MESSAGE_MAX};
use libsock::proto::RowState;

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
    Connected {
        peer: SocketId,
    },
    /// The peer closed or died; the inbox may still hold its last message.
    Reset(ResetReason),
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
    pub state: State,
    pub inbox: Inbox,
    pub waiter: Option<Waiter>,
}

impl Socket {
    pub fn new(port: u16, owner: TaskId, state: State) -> Self {
        Socket {
            port,
            owner,
            state,
            inbox: Inbox::Empty,
            waiter: None,
        }
    }

    pub fn row_state(&self) -> RowState {
        match self.state {
            State::Listening => RowState::Listening,
            State::Connected { .. } => RowState::Connected,
            State::Reset(_) => RowState::Reset,
        }
    }
}

struct Slot {
    generation: u32,
    socket: Option<Socket>,
    /// Small-message buffer; empty until first needed.
    buffer: Vec<u8>,
}

/// At most [`MAX_SOCKETS`] sockets, in slots reused through a free list.
pub struct SocketTable {
    slots: Vec<Slot>,
    free: Vec<u16>,
    live: usize,
}

impl Default for SocketTable {
    fn default() -> Self {
        Self::new()
    }
}

impl SocketTable {
    pub fn new() -> Self {
        SocketTable {
            slots: Vec::with_capacity(MAX_SOCKETS),
            free: Vec::with_capacity(MAX_SOCKETS),
            live: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// Stores `socket`; `None` when the table is full.
    pub fn insert(&mut self, socket: Socket) -> Option<SocketId> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None if self.slots.len() < MAX_SOCKETS => {
                self.slots.push(Slot {
                    generation: 0,
                    socket: None,
                    buffer: Vec::new(),
                });
                (self.slots.len() - 1) as u16
            }
            None => return None,
        };
        let entry = &mut self.slots[usize::from(slot)];
        entry.socket = Some(socket);
        self.live += 1;
        Some(SocketId {
            slot,
            generation: entry.generation,
        })
    }

    /// Frees a socket; its id never names anything again.
    pub fn remove(&mut self, id: SocketId) -> Option<Socket> {
        let entry = self
            .slots
            .get_mut(usize::from(id.slot))
            .filter(|e| e.generation == id.generation)?;
        let socket = entry.socket.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(id.slot);
        self.live -= 1;
        Some(socket)
    }

    pub fn get(&self, id: SocketId) -> Option<&Socket> {
        let entry = self
            .slots
            .get(usize::from(id.slot))
            .filter(|e| e.generation == id.generation)?;
        entry.socket.as_ref()
    }

    pub fn get_mut(&mut self, id: SocketId) -> Option<&mut Socket> {
        let entry = self
            .slots
            .get_mut(usize::from(id.slot))
            .filter(|e| e.generation == id.generation)?;
        entry.socket.as_mut()
    }

    /// The live socket in `slot`, with its id.
    pub fn in_slot(&self, slot: u16) -> Option<(SocketId, &Socket)> {
        let entry = self.slots.get(usize::from(slot))?;
        let socket = entry.socket.as_ref()?;
        Some((
            SocketId {
                slot,
                generation: entry.generation,
            },
            socket,
        ))
    }

    /// The small-message buffer of a socket's slot, allocated on first use.
    pub fn buffer_mut(&mut self, id: SocketId) -> &mut [u8] {
        let buffer = &mut self.slots[usize::from(id.slot)].buffer;
        if buffer.is_empty() {
            *buffer = vec![0; SMALL_MESSAGE_MAX as usize];
        }
        buffer
    }

    /// The inbox bytes of a buffered message, or nothing if the slot never
    /// had a buffer.
    pub fn buffer(&self, id: SocketId) -> &[u8] {
        &self.slots[usize::from(id.slot)].buffer
    }

    /// Live sockets from slot `start` on, in slot order.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = (SocketId, &Socket)> + '_ {
        (start..self.slots.len()).filter_map(|slot| self.in_slot(slot as u16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(port: u16) -> Socket {
        Socket::new(port, TaskId::new(1, 0), State::Listening)
    }

    #[test]
    fn a_freed_id_never_names_the_slots_next_socket() {
        let mut table = SocketTable::new();
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
    fn the_table_holds_max_sockets_then_refuses() {
        let mut table = SocketTable::new();
        let ids: Vec<_> = (0..MAX_SOCKETS)
            .map(|i| table.insert(socket(i as u16)).unwrap())
            .collect();
        assert_eq!(table.len(), MAX_SOCKETS);
        assert!(table.insert(socket(5000)).is_none());
        table.remove(ids[7]);
        assert!(table.insert(socket(5000)).is_some());
    }

    #[test]
    fn the_buffer_is_allocated_once_and_kept_for_the_slot() {
        let mut table = SocketTable::new();
        let id = table.insert(socket(1)).unwrap();
        assert!(table.buffer(id).is_empty());
        table.buffer_mut(id)[0] = 7;
        table.remove(id);
        let next = table.insert(socket(2)).unwrap();
        assert_eq!(table.buffer(next).len(), SMALL_MESSAGE_MAX as usize);
    }
}
