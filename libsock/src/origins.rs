//! Which netd incarnation created each of this task's sockets.
//!
//! A socket lives only as long as the netd that created it. After netd
//! restarts, a call on an old socket must fail with a reset rather than reach
//! the new netd, which might by then hold an unrelated socket on the same port.
//! The table is a hint, not the truth: netd owns the sockets, and a stale entry
//! for the current netd only costs netd answering `E_NOTFOUND`.
//!
//! Each entry also keeps how the task's calls on the socket wait (the
//! socket's read and write [`Wait`], set with `set_read_wait` and the
//! like): they live and die with the socket.

use core::cell::Cell;

use abi::TaskId;

use crate::limits::MAX_SOCKETS_PER_JOB;
use crate::proto::Wait;

/// At most one entry per port, as many as a task may own sockets (a server
/// owns, besides its own, the connections it accepted, up to its job's quota).
pub struct Origins {
    entries: [Option<Entry>; MAX_SOCKETS_PER_JOB],
    /// One past the highest entry ever filled: new entries take the first
    /// free one, so a task with few sockets looks at few entries.
    used: usize,
    /// Bumped on every insert; picks the oldest entry to evict.
    clock: u32,
    /// The index of the last entry found: a task mostly calls on the same
    /// socket again, and every call looks its socket up once or twice.
    last_found: Cell<usize>,
}

#[derive(Clone, Copy)]
struct Entry {
    port: u16,
    netd: TaskId,
    stamp: u32,
    waits: Waits,
}

/// What this task knows of one of its sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The netd that created it.
    pub netd: TaskId,
    pub waits: Waits,
}

/// How calls on one socket wait: `recv` and `accept` (read), `send` (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waits {
    pub read: Wait,
    pub write: Wait,
}

impl Waits {
    /// The seed's: every call blocks until it can complete.
    pub const BLOCKING: Waits = Waits { read: Wait::Forever, write: Wait::Forever };
}

impl Default for Origins {
    fn default() -> Self {
        Self::new()
    }
}

impl Origins {
    pub const fn new() -> Self {
        Origins { entries: [None; MAX_SOCKETS_PER_JOB], used: 0, clock: 0, last_found: Cell::new(0) }
    }

    /// The netd that created the socket on `port`, if this task made one.
    pub fn get(&self, port: u16) -> Option<TaskId> {
        self.lookup(port).map(|origin| origin.netd)
    }

    /// The netd that created the socket on `port` and how calls on it
    /// wait, if this task made one: all a socket call needs, in one look.
    #[inline]
    pub fn lookup(&self, port: u16) -> Option<Origin> {
        self.entry(port).map(|e| Origin { netd: e.netd, waits: e.waits })
    }

    /// The entry for `port`.
    #[inline]
    fn entry(&self, port: u16) -> Option<&Entry> {
        self.entries[self.find(port)?].as_ref()
    }

    /// Records that `netd` created this task's socket on `port`. When the
    /// table is full, an entry from another netd goes first, else the oldest.
    pub fn remember(&mut self, port: u16, netd: TaskId) {
        self.clock = self.clock.wrapping_add(1);
        let entry = Some(Entry { port, netd, stamp: self.clock, waits: Waits::BLOCKING });
        let index = self
            .find(port)
            .or_else(|| self.position(|e| e.is_none()))
            .or_else(|| self.position(|e| e.is_some_and(|e| e.netd != netd)))
            .unwrap_or_else(|| self.oldest());
        self.entries[index] = entry;
        self.used = self.used.max(index + 1);
    }

    /// The entries that may be filled.
    #[inline]
    fn live(&self) -> &[Option<Entry>] {
        &self.entries[..self.used]
    }

    /// How calls on `port` wait; blocking for a socket this task does not know.
    pub fn waits(&self, port: u16) -> Waits {
        self.lookup(port).map_or(Waits::BLOCKING, |origin| origin.waits)
    }

    /// Sets how calls on `port` wait; false when this task knows no socket there.
    pub fn set_waits(&mut self, port: u16, waits: Waits) -> bool {
        match self.find(port).and_then(|index| self.entries[index].as_mut()) {
            Some(entry) => {
                entry.waits = waits;
                true
            }
            None => false,
        }
    }

    pub fn forget(&mut self, port: u16) {
        if let Some(index) = self.find(port) {
            self.entries[index] = None;
        }
    }

    fn position(&self, matches: impl Fn(&Option<Entry>) -> bool) -> Option<usize> {
        self.entries.iter().position(matches)
    }

    /// The index of the entry for `port` among those that may be filled, the
    /// last one found checked first.
    #[inline]
    fn find(&self, port: u16) -> Option<usize> {
        let is_port = |e: &Option<Entry>| e.is_some_and(|e| e.port == port);
        // Entries past `used` were never filled: checking the last one
        // found needs no bound but the table's.
        let last = self.last_found.get();
        if self.entries.get(last).is_some_and(is_port) {
            return Some(last);
        }
        let index = self.live().iter().position(is_port)?;
        self.last_found.set(index);
        Some(index)
    }

    fn oldest(&self) -> usize {
        let age = |e: &Option<Entry>| e.map_or(0, |e| self.clock.wrapping_sub(e.stamp));
        (0..self.entries.len()).max_by_key(|&i| age(&self.entries[i])).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: TaskId = TaskId::new(2, 1);
    const NEW: TaskId = TaskId::new(2, 2);

    #[test]
    fn remembers_and_forgets_per_port() {
        let mut origins = Origins::new();
        origins.remember(10, OLD);
        origins.remember(127, NEW);
        assert_eq!(origins.get(10), Some(OLD));
        assert_eq!(origins.get(127), Some(NEW));
        origins.remember(10, NEW);
        assert_eq!(origins.get(10), Some(NEW));
        origins.forget(10);
        assert_eq!(origins.get(10), None);
        assert_eq!(origins.get(127), Some(NEW));
    }

    #[test]
    fn the_last_entry_found_is_never_taken_for_another_port() {
        let mut origins = Origins::new();
        origins.remember(10, OLD);
        assert_eq!(origins.get(10), Some(OLD));
        origins.forget(10);
        assert_eq!(origins.get(10), None);
        origins.remember(20, NEW);
        assert_eq!(origins.get(10), None, "slot 0 now holds port 20");
        assert_eq!(origins.get(20), Some(NEW));
        origins.remember(30, OLD);
        assert_eq!((origins.get(30), origins.get(20), origins.get(30)), (Some(OLD), Some(NEW), Some(OLD)));
    }

    #[test]
    fn waits_live_and_die_with_the_socket() {
        let mut origins = Origins::new();
        let nonblocking = Waits { read: Wait::NonBlocking, write: Wait::Ms(5) };
        assert!(!origins.set_waits(10, nonblocking), "no socket there");
        origins.remember(10, NEW);
        assert_eq!(origins.waits(10), Waits::BLOCKING);
        assert!(origins.set_waits(10, nonblocking));
        assert_eq!(origins.waits(10), nonblocking);
        origins.forget(10);
        origins.remember(10, NEW);
        assert_eq!(origins.waits(10), Waits::BLOCKING, "a new socket on the port starts blocking");
    }

    #[test]
    fn one_lookup_gives_the_netd_and_the_waits() {
        let mut origins = Origins::new();
        assert_eq!(origins.lookup(10), None);
        origins.remember(10, OLD);
        let nonblocking = Waits { read: Wait::NonBlocking, write: Wait::Forever };
        assert!(origins.set_waits(10, nonblocking));
        assert_eq!(origins.lookup(10), Some(Origin { netd: OLD, waits: nonblocking }));
        assert_eq!((origins.get(10), origins.waits(10)), (Some(OLD), nonblocking));
    }

    #[test]
    fn a_full_table_evicts_another_netds_entry_first() {
        let mut origins = Origins::new();
        origins.remember(0, NEW);
        origins.remember(1, OLD);
        for port in 2..MAX_SOCKETS_PER_JOB as u16 {
            origins.remember(port, NEW);
        }
        origins.remember(5000, NEW);
        assert_eq!(origins.get(1), None);
        assert_eq!(origins.get(0), Some(NEW));
        assert_eq!(origins.get(5000), Some(NEW));
        // All from the same netd now: the oldest (port 0) goes.
        origins.remember(5001, NEW);
        assert_eq!(origins.get(0), None);
        assert_eq!(origins.get(2), Some(NEW));
    }
}
