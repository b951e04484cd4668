//! `poll`: one request that waits on many sockets, and on the console.
//!
//! The entries (port, interest, ready) are in the caller's lease 0, which
//! netd reads when the poll arrives and again whenever it may be answered,
//! and into which it writes the ready flags. A poll that finds nothing ready
//! waits: its task's slot in [`Pollers`] records it, each watched socket is
//! marked with that slot and the poll's serial number, and every change that
//! can make a socket ready (a message arrives, the peer's inbox empties, a
//! reset, a connection to accept) marks the poll to be looked at again at
//! the end of the event. So one event answers a poll once, after the other
//! callers it woke and before the request's own sender.
//!
//! Console input: the console tells netd with the `proto::CONSOLE_SIGNAL`
//! notification bit (a program asks the console to, before it polls; see
//! `docs/sockets.md`). netd counts those signals; a poll that names the count
//! it last saw is answered as soon as the count differs, so a signal that
//! came between the program's request to the console and its poll is never
//! lost.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use abi::{MAX_TASKS, TaskId, lease_flags};
use libsock::SockError;
use libsock::limits::MAX_POLL_PORTS;
use libsock::poll::{ENTRY_LEN, PollEntry, flags};
use libsock::proto::{Response, Wait};

use crate::calls::{Answer, Leases, Outcome};
use crate::conn::{Inbox, PollMark, SocketId, State};
use crate::effects::Effects;
use crate::waits::poll_key;
use crate::{Handled, Netd};

/// A task blocked in `poll`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Poller {
    caller: TaskId,
    count: usize,
    serial: u32,
    /// The console signal count the caller saw, if it waits for the console.
    console_seen: Option<u32>,
    /// Already listed to be looked at again in this event.
    listed: bool,
}

/// The polls waiting, one slot per task slot, and those to look at again.
pub(crate) struct Pollers {
    slots: Vec<Option<Poller>>,
    to_check: Vec<u16>,
    next_serial: u32,
}

impl Pollers {
    pub fn try_new() -> Result<Self, TryReserveError> {
        let mut slots = Vec::new();
        slots.try_reserve_exact(MAX_TASKS)?;
        slots.resize(MAX_TASKS, None);
        let mut to_check = Vec::new();
        to_check.try_reserve_exact(MAX_TASKS)?;
        Ok(Pollers { slots, to_check, next_serial: 0 })
    }

    /// Lists the poll in `slot` to be looked at again, once.
    fn list(&mut self, slot: usize) {
        if let Some(Some(poller)) = self.slots.get_mut(slot)
            && !poller.listed
        {
            poller.listed = true;
            // One entry per slot at most: within the room taken at start.
            self.to_check.push(slot as u16);
        }
    }
}

/// Entries in a poll's lease, read onto the stack.
type EntryBytes = [u8; MAX_POLL_PORTS * ENTRY_LEN];

impl Netd {
    pub(crate) fn poll(
        &mut self,
        fx: &mut impl Effects,
        caller: TaskId,
        count: u32,
        wait: Wait,
        console: Option<u32>,
        leases: Leases,
    ) -> Answer {
        let count = count as usize;
        if count > MAX_POLL_PORTS {
            return Err(SockError::InvalidArg);
        }
        if count == 0 {
            leases.none()?;
        } else {
            leases.one(lease_flags::READ | lease_flags::WRITE, count * ENTRY_LEN)?;
        }
        let slot = caller.index();
        if slot >= MAX_TASKS {
            return Err(SockError::Fail);
        }
        let mut bytes: EntryBytes = [0; MAX_POLL_PORTS * ENTRY_LEN];
        let bytes = &mut bytes[..count * ENTRY_LEN];
        read_entries(fx, caller, bytes)?;
        let ready = self.fill_ready(caller, bytes);
        let console_news = console.is_some_and(|seen| seen != self.console_signals);
        let waits = ready == 0 && !console_news && matches!(wait, Wait::Forever | Wait::Ms(1..));
        if !waits {
            write_entries(fx, caller, bytes)?;
            return Ok(Outcome::Reply(self.polled(ready, console_news), None));
        }
        let deadline = self.deadline_of(fx, wait);
        let serial = self.pollers.next_serial;
        self.pollers.next_serial = serial.wrapping_add(1);
        self.pollers.slots[slot] = Some(Poller { caller, count, serial, console_seen: console, listed: false });
        let mark = PollMark { slot: slot as u16, serial };
        for chunk in bytes.chunks_exact(ENTRY_LEN) {
            let entry = PollEntry::from_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if let Ok(id) = self.owned_socket(caller, entry.port)
                && let Some(socket) = self.sockets.get_mut(id)
            {
                socket.polled_by = Some(mark);
            }
        }
        self.deadlines.set_or_clear(poll_key(slot), deadline);
        Ok(Outcome::Deferred)
    }

    /// Something changed on `id` that may make it ready: the poll watching
    /// it, if any, is looked at again at the end of the event.
    pub(crate) fn poll_event(&mut self, id: SocketId) {
        let Some(mark) = self.sockets.get(id).and_then(|s| s.polled_by) else {
            return;
        };
        let slot = usize::from(mark.slot);
        if self.pollers.slots.get(slot).copied().flatten().is_some_and(|p| p.serial == mark.serial) {
            self.pollers.list(slot);
        }
    }

    /// The console has input for some task: every poll waiting for the
    /// console is answered (the count it saw differs now).
    pub fn console_signalled(&mut self, fx: &mut impl Effects) -> Handled<'_> {
        self.replies.clear();
        self.console_signals = self.console_signals.wrapping_add(1);
        for slot in 0..MAX_TASKS {
            if self.pollers.slots[slot].is_some_and(|p| p.console_seen.is_some()) {
                self.pollers.list(slot);
            }
        }
        self.answer_ready_polls(fx);
        Handled { replies: self.replies.answers() }
    }

    /// Answers every listed poll that has something ready now.
    pub(crate) fn answer_ready_polls(&mut self, fx: &mut impl Effects) {
        while let Some(slot) = self.pollers.to_check.pop() {
            let slot = usize::from(slot);
            if let Some(poller) = self.pollers.slots[slot].as_mut() {
                poller.listed = false;
                self.look_at_poll(fx, slot, false);
            }
        }
    }

    pub(crate) fn poll_timed_out(&mut self, fx: &mut impl Effects, slot: usize) {
        self.look_at_poll(fx, slot, true);
    }

    /// Drops the polls of tasks that died: nobody is left to answer.
    pub(crate) fn forget_dead_pollers(&mut self, fx: &mut impl Effects) {
        for slot in 0..MAX_TASKS {
            if let Some(poller) = self.pollers.slots[slot]
                && !fx.task_alive(poller.caller)
            {
                self.end_poll(slot);
            }
        }
    }

    /// Answers the poll in `slot` if something is ready, or if it timed out.
    fn look_at_poll(&mut self, fx: &mut impl Effects, slot: usize, timed_out: bool) {
        let Some(poller) = self.pollers.slots[slot] else {
            return;
        };
        let mut bytes: EntryBytes = [0; MAX_POLL_PORTS * ENTRY_LEN];
        let bytes = &mut bytes[..poller.count * ENTRY_LEN];
        let caller = poller.caller;
        if let Err(error) = read_entries(fx, caller, bytes) {
            self.end_poll(slot);
            self.wake_with_error(caller, error);
            return;
        }
        let ready = self.fill_ready(caller, bytes);
        let console_news = poller.console_seen.is_some_and(|seen| seen != self.console_signals);
        if ready == 0 && !console_news && !timed_out {
            return;
        }
        self.end_poll(slot);
        match write_entries(fx, caller, bytes) {
            Ok(()) => {
                let response = self.polled(ready, console_news);
                self.wake(caller, response);
            }
            Err(error) => self.wake_with_error(caller, error),
        }
    }

    fn end_poll(&mut self, slot: usize) {
        self.pollers.slots[slot] = None;
        self.deadlines.clear(poll_key(slot));
    }

    fn polled(&self, ready: u32, console: bool) -> Response {
        Response::Polled { ready, console_signals: self.console_signals, console }
    }

    /// Writes each entry's ready flags; returns how many have any.
    fn fill_ready(&self, caller: TaskId, bytes: &mut [u8]) -> u32 {
        let mut ready = 0;
        for chunk in bytes.chunks_exact_mut(ENTRY_LEN) {
            let entry = PollEntry::from_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            chunk[3] = self.readiness(caller, entry.port, entry.interest);
            ready += u32::from(chunk[3] != 0);
        }
        ready
    }

    /// What of `interest` holds for `caller`'s socket on `port` now; a reset
    /// and a missing socket are reported always.
    fn readiness(&self, caller: TaskId, port: u16, interest: u8) -> u8 {
        let Ok((_, socket)) = self.owned(caller, port) else {
            return flags::CLOSED;
        };
        let readable = if socket.inbox == Inbox::Empty { 0 } else { flags::READABLE };
        let found = match socket.state {
            State::Listening => 0,
            State::Accepting(backlog) if backlog.len > 0 => flags::ACCEPTABLE,
            State::Accepting(_) => 0,
            State::Connected { peer } => {
                let room = self.sockets.get(peer).is_some_and(|p| p.inbox == Inbox::Empty);
                readable | if room { flags::WRITABLE } else { 0 }
            }
            State::Reset(_) => readable | flags::RESET,
        };
        found & (interest | flags::RESET | flags::CLOSED)
    }
}

fn read_entries(fx: &mut impl Effects, caller: TaskId, bytes: &mut [u8]) -> Result<(), SockError> {
    if bytes.is_empty() || fx.lease_read(caller, 0, 0, bytes) == Ok(bytes.len()) {
        Ok(())
    } else {
        Err(SockError::InvalidArg)
    }
}

fn write_entries(fx: &mut impl Effects, caller: TaskId, bytes: &[u8]) -> Result<(), SockError> {
    if bytes.is_empty() || fx.lease_write(caller, 0, 0, bytes) == Ok(bytes.len()) {
        Ok(())
    } else {
        Err(SockError::InvalidArg)
    }
}
