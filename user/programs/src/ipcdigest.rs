//! The pure half of `ipcdigest`: a seeded script of IPC between a few tasks
//! whose every outcome goes into a digest, so that two kernels (or one
//! kernel with its IPC fast path on and off) can be compared by the digests
//! they lead to.
//!
//! Clients call servers with random requests, reply buffers and leases, and
//! now and then a call the kernel must refuse (a stale id, themselves, a
//! lease with unknown flags, an unmapped reply buffer). Servers receive with
//! `recv` or `reply_recv`, answer at once, later or out of order, work on
//! the leases of the callers they hold (reads, writes, copies between two
//! callers, accesses out of bounds) and reply with random bytes, sometimes
//! to a task that does not wait. Each side folds what the kernel told it
//! (results, codes, bytes, the contents of its leases afterwards) into a
//! [`Digest`]. Nothing depends on time: a script runs the same way on any
//! kernel that follows the ABI, and its digests say whether it did.

use crate::fuzzgen::Rng;

/// Servers and clients of a run.
pub const SERVERS: usize = 3;
pub const CLIENTS: usize = 4;
/// Most callers a server holds unanswered at once.
pub const MAX_HELD: usize = 3;
/// Bytes of each client's lease buffers.
pub const LEASE_BUF: usize = 512;
/// The argument that starts a copy of `ipcdigest` in a role.
pub const SERVER_ARG: &str = "--server";
pub const CLIENT_ARG: &str = "--client";

/// Operation codes.
pub mod op {
    /// Client → server 0: held until `GO`, then answered in client order.
    pub const START: u32 = 1;
    /// Parent → server 0: the clients may start.
    pub const GO: u32 = 2;
    /// Client → any server: the scripted calls.
    pub const WORK: u32 = 3;
    /// Parent → each server: answer every held caller; server 0 answers
    /// with one byte, 1 once every client is done.
    pub const TICK: u32 = 4;
    /// Client → server 0: the client's index and digest; answered at once.
    pub const DONE: u32 = 5;
    /// Parent → each server: answered with the server's digest (and, from
    /// server 0, the clients'); the server then ends.
    pub const QUIT: u32 = 6;
}

/// FNV-1a, 64 bits, over everything folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn word(&mut self, word: u64) {
        self.bytes(&word.to_le_bytes());
    }

    /// A result: its value, or the error code.
    pub fn result<T: Into<u64>, E: Into<i64>>(&mut self, result: Result<T, E>) {
        match result {
            Ok(value) => self.word(value.into()),
            Err(error) => self.word(error.into() as u64 | 1 << 63),
        }
    }

    pub fn value(&self) -> u64 {
        self.0
    }
}

/// Whom a client's call goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Server(usize),
    /// A server's id of the generation before: `PeerDied`.
    Stale(usize),
    /// The client itself: `BadArgument`.
    Itself,
}

/// One lease of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeasePlan {
    /// `len` bytes at `offset` of the client's read buffer, READ.
    Read { offset: usize, len: usize },
    /// `len` bytes at `offset` of the client's write buffer, WRITE.
    Write { offset: usize, len: usize },
    /// Unknown flags: the call is refused with `BadArgument`.
    BadFlags,
    /// A READ lease over memory nobody maps: the server's reads fail.
    Unmapped { len: usize },
}

/// One call of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPlan {
    pub target: Target,
    /// Bytes of the request after the client's index.
    pub request_len: usize,
    pub reply_cap: usize,
    /// Whether the reply buffer is unmapped (`BadAddress` at once, if it
    /// is not empty).
    pub bad_reply: bool,
    pub leases: alloc::vec::Vec<LeasePlan>,
}

fn lease_range(rng: &mut Rng) -> (usize, usize) {
    let offset = rng.below(LEASE_BUF as u64 / 2) as usize;
    let len = rng.below((LEASE_BUF - offset) as u64 + 1) as usize;
    (offset, len)
}

/// The next call of a client.
pub fn plan_call(rng: &mut Rng) -> CallPlan {
    let target = match rng.below(40) {
        0 => Target::Stale(rng.below(SERVERS as u64) as usize),
        1 => Target::Itself,
        _ => Target::Server(rng.below(SERVERS as u64) as usize),
    };
    let request_len = match rng.below(4) {
        0 => 0,
        1 => rng.below(16) as usize,
        2 => rng.below(abi::MAX_MESSAGE as u64) as usize,
        _ => abi::MAX_MESSAGE - 1,
    };
    let reply_cap = rng.pick(&[0, 1, 8, 64, 255, 256, 300]);
    let mut leases = alloc::vec::Vec::new();
    for _ in 0..rng.pick(&[0, 0, 1, 1, 1, 2, 3, 4]) {
        let lease = match rng.below(20) {
            0 => LeasePlan::BadFlags,
            1 => LeasePlan::Unmapped { len: rng.below(64) as usize + 1 },
            2..=10 => {
                let (offset, len) = lease_range(rng);
                LeasePlan::Read { offset, len }
            }
            _ => {
                let (offset, len) = lease_range(rng);
                LeasePlan::Write { offset, len }
            }
        };
        leases.push(lease);
    }
    CallPlan { target, request_len, reply_cap, bad_reply: rng.chance(2), leases }
}

/// What a server does with a `WORK` call once it has worked on its leases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Reply with the next receive (`reply_recv`).
    WithNextReceive,
    /// Reply at once (`reply`), then receive.
    Now,
    /// Keep the caller; answer it later.
    Hold,
}

/// A server's next move for a `WORK` call, holding `held` callers already.
pub fn plan_answer(rng: &mut Rng, held: usize) -> Answer {
    match rng.below(20) {
        0..=9 => Answer::WithNextReceive,
        10..=12 => Answer::Now,
        _ if held < MAX_HELD => Answer::Hold,
        _ => Answer::WithNextReceive,
    }
}

/// One lease call a server makes on a caller it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseCall {
    Info {
        index: usize,
    },
    Read {
        index: usize,
        offset: usize,
        len: usize,
    },
    Write {
        index: usize,
        offset: usize,
        len: usize,
    },
    /// From lease `src` of one held caller to lease `dst` of another (or
    /// the same).
    Copy {
        src: usize,
        dst: usize,
        offset: usize,
        len: usize,
    },
}

/// The next lease call on a caller with `leases` leases (indices may be
/// past them, offsets and lengths past their ends).
pub fn plan_lease_call(rng: &mut Rng, leases: usize) -> LeaseCall {
    let index = rng.below(leases as u64 + 1) as usize;
    let offset = rng.below(LEASE_BUF as u64 / 2) as usize;
    let len = rng.pick(&[0, 1, 7, 64, 200, LEASE_BUF, LEASE_BUF + 1]);
    match rng.below(4) {
        0 => LeaseCall::Info { index },
        1 => LeaseCall::Read { index, offset, len },
        2 => LeaseCall::Write { index, offset, len },
        _ => LeaseCall::Copy { src: index, dst: rng.below(leases as u64 + 1) as usize, offset, len },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_fnv1a_and_sees_order() {
        let mut digest = Digest::default();
        digest.bytes(b"a");
        assert_eq!(digest.value(), 0xaf63_dc4c_8601_ec8c, "FNV-1a of \"a\"");
        let (mut ab, mut ba) = (Digest::default(), Digest::default());
        ab.word(1);
        ab.word(2);
        ba.word(2);
        ba.word(1);
        assert_ne!(ab, ba);
        let (mut ok, mut err) = (Digest::default(), Digest::default());
        ok.result::<u64, i64>(Ok(4));
        err.result::<u64, i64>(Err(-4));
        assert_ne!(ok, err);
    }

    #[test]
    fn plans_stay_in_bounds_and_repeat_with_the_seed() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..2000 {
            let plan = plan_call(&mut a);
            assert_eq!(plan, plan_call(&mut b));
            assert!(plan.request_len < abi::MAX_MESSAGE);
            assert!(plan.leases.len() <= abi::MAX_LEASES);
            for lease in &plan.leases {
                if let LeasePlan::Read { offset, len } | LeasePlan::Write { offset, len } = *lease {
                    assert!(offset + len <= LEASE_BUF);
                }
            }
            if let Target::Server(s) | Target::Stale(s) = plan.target {
                assert!(s < SERVERS);
            }
            assert_ne!(plan_answer(&mut a, MAX_HELD), Answer::Hold, "never more than MAX_HELD");
            let _ = plan_answer(&mut b, MAX_HELD);
        }
    }
}
