//! The pure half of `ipcmesh`: real IPC between fuzzing tasks.
//!
//! `ipcmesh` spawns children in three roles: clients call servers and
//! relays; servers receive, hold several callers at once, work on their
//! leases and answer in any order; relays serve like servers and, while they
//! hold callers, call servers themselves. Calls only go from clients to
//! relays and servers and from relays to servers, so no cycle of calls can
//! block for good. The parent kills children at random moments and starts
//! new ones.
//!
//! Every caller lends parts of its **arena**: [`ARENA_PAGES`] pages at
//! [`ARENA`], some of them unmapped (holes), filled before each call with a
//! pattern derived from the call's seed; past the arena lie
//! [`GUARD_LEN`] bytes that are never mapped. Leases are random ranges of
//! arena and guard (overlapping, out of bounds, over holes). The request
//! describes the arena and the leases, so the server knows what every lease
//! call must return ([`arena::Model`], [`leaseops`]); it keeps a model of
//! each held caller's arena, applies its successful writes and copies to it,
//! and answers with the model's hash. The caller hashes its real arena the
//! same way: the bytes the server wrote, copied or left alone are exactly
//! where they should be. [`wire`] has the messages.

pub mod arena;
pub mod leaseops;
pub mod wire;

use abi::PAGE_SIZE;

const PAGE: usize = PAGE_SIZE;

/// Where each task's arena lies: far from the heap, stack, image and the
/// fuzzers' regions of `fuzzgen`.
pub const ARENA: u64 = 0x0000_4000_0000_0000;
pub const ARENA_PAGES: usize = 8;
pub const ARENA_LEN: usize = ARENA_PAGES * PAGE;
/// Bytes after the arena that are never mapped; leases may reach into them.
pub const GUARD_LEN: usize = 2 * PAGE;
/// An address in user space that no task of the mesh ever maps: a server's
/// bad buffer.
pub const UNMAPPED_BUFFER: u64 = 0x0000_4400_0000_0000;

/// The argument that starts `ipcmesh` as a child.
pub const CHILD_ARG: &str = "--child";

/// What a child does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Relay,
    Server,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Client, Role::Relay, Role::Server];

    pub const fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Relay => "relay",
            Role::Server => "server",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }

    pub const fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Role> {
        Role::ALL.get(code as usize).copied()
    }

    /// Whether tasks of this role take calls.
    pub const fn serves(self) -> bool {
        !matches!(self, Role::Client)
    }

    /// Whether a task of this role may call one of `target`'s: never
    /// upwards, so no cycle of calls can form.
    pub const fn may_call(self, target: Role) -> bool {
        match self {
            Role::Client => target.serves(),
            Role::Relay => matches!(target, Role::Server),
            Role::Server => false,
        }
    }
}

/// Counters a child reports to the parent (as differences since its last
/// report) and the parent adds up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Calls that were answered and checked.
    pub calls: u64,
    /// Replies delivered (`reply`, `reply_recv`).
    pub replies: u64,
    /// `lease_read`, `lease_write` and `lease_info` calls, whatever their result.
    pub lease_ops: u64,
    pub lease_copies: u64,
    /// Errors that the model expected (bounds, holes, dead or idle peers...).
    pub errors_ok: u64,
    /// `PeerDied` seen from a peer that had indeed ended (part of `errors_ok`).
    pub peer_died: u64,
    /// Results the model did not allow.
    pub failures: u64,
}

impl Counts {
    pub const FIELDS: usize = 7;

    pub fn to_array(self) -> [u64; Self::FIELDS] {
        [self.calls, self.replies, self.lease_ops, self.lease_copies, self.errors_ok, self.peer_died, self.failures]
    }

    pub fn from_array(a: [u64; Self::FIELDS]) -> Counts {
        Counts {
            calls: a[0],
            replies: a[1],
            lease_ops: a[2],
            lease_copies: a[3],
            errors_ok: a[4],
            peer_died: a[5],
            failures: a[6],
        }
    }

    pub fn add(&mut self, other: Counts) {
        let sum = self.to_array().iter().zip(other.to_array()).map(|(a, b)| a + b).collect::<alloc::vec::Vec<_>>();
        *self = Counts::from_array(sum.try_into().unwrap_or([0; Self::FIELDS]));
    }

    /// Every IPC operation counted.
    pub fn operations(&self) -> u64 {
        self.calls + self.replies + self.lease_ops + self.lease_copies
    }
}

#[cfg(test)]
mod tests;
