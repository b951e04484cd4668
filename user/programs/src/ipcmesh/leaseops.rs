//! Lease calls a server tries on the callers it holds, with the results
//! the ABI allows for each (`docs/abi.md`, `lease_read` .. `lease_info`),
//! and what a successful or cut-short call did to the caller's arena.
//!
//! Every lease call may also fail with `PeerDied` (the parent may have
//! killed the caller); the server then checks that the caller is gone.

use alloc::vec::Vec;

use abi::{KernelError as E, Sysnum, TaskId, lease_flags};

use super::arena::{Model, span_mapped};
use super::wire::{LeaseSpec, MeshRequest};
use super::{ARENA_LEN, GUARD_LEN, UNMAPPED_BUFFER};
use crate::fuzzgen::{Checks, Expect, Rng};

/// The server's buffer for reads and writes: long enough for any in-bounds
/// access to any lease.
pub const BUFFER_LEN: usize = ARENA_LEN + GUARD_LEN + 64;

/// A caller the server has received and not answered yet.
#[derive(Clone, Debug)]
pub struct Held {
    pub caller: TaskId,
    pub request: MeshRequest,
    pub model: Model,
}

impl Held {
    pub fn new(caller: TaskId, request: MeshRequest) -> Held {
        let model = Model::new(request.seed, request.mapped);
        Held { caller, request, model }
    }
}

/// One end of a lease access: which held caller, which lease, where in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    pub held: usize,
    pub lease: u64,
    pub offset: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseOp {
    /// `lease_read` into the server's buffer (or an unmapped one).
    Read {
        at: End,
        len: u64,
        bad_buffer: bool,
    },
    /// `lease_write` of the pattern of `data_seed` (or from an unmapped buffer).
    Write {
        at: End,
        len: u64,
        data_seed: u64,
        bad_buffer: bool,
    },
    Copy {
        from: End,
        to: End,
        len: u64,
    },
    Info {
        held: usize,
        lease: u64,
    },
}

/// A planned call: the syscall, its arguments (buffer addresses are filled
/// in by the caller of [`LeaseOp::args`]) and the allowed results.
#[derive(Clone, Copy, Debug)]
pub struct Planned {
    pub op: LeaseOp,
    pub expect: Expect,
}

fn lease_ref(held: &[Held], held_index: usize, lease: u64) -> u64 {
    held[held_index].caller.raw() as u64 | lease << 32
}

impl LeaseOp {
    pub fn number(&self) -> Sysnum {
        match self {
            LeaseOp::Read { .. } => Sysnum::LeaseRead,
            LeaseOp::Write { .. } => Sysnum::LeaseWrite,
            LeaseOp::Copy { .. } => Sysnum::LeaseCopy,
            LeaseOp::Info { .. } => Sysnum::LeaseInfo,
        }
    }

    /// The syscall's arguments; `buffer` is the server's good buffer.
    pub fn args(&self, held: &[Held], buffer: u64) -> [u64; 6] {
        let buf = |bad: bool| if bad { UNMAPPED_BUFFER } else { buffer };
        match *self {
            LeaseOp::Read { at, len, bad_buffer } | LeaseOp::Write { at, len, bad_buffer, .. } => {
                [lease_ref(held, at.held, at.lease), at.offset, buf(bad_buffer), len, 0, 0]
            }
            LeaseOp::Copy { from, to, len } => [
                lease_ref(held, from.held, from.lease),
                from.offset,
                lease_ref(held, to.held, to.lease),
                to.offset,
                len,
                0,
            ],
            LeaseOp::Info { held: h, lease } => [lease_ref(held, h, lease), 0, 0, 0, 0, 0],
        }
    }

    /// The callers this call names (a `PeerDied` must come from one of them).
    pub fn callers(&self) -> [usize; 2] {
        match *self {
            LeaseOp::Read { at, .. } | LeaseOp::Write { at, .. } => [at.held, at.held],
            LeaseOp::Copy { from, to, .. } => [from.held, to.held],
            LeaseOp::Info { held, .. } => [held, held],
        }
    }
}

fn spec(held: &[Held], end: End) -> Option<LeaseSpec> {
    held[end.held].request.leases.get(usize::try_from(end.lease).ok()?).copied()
}

fn pick_lease(rng: &mut Rng, count: usize) -> u64 {
    if count > 0 && rng.chance(88) { rng.below(count as u64) } else { rng.pick(&[count as u64, 4, 7, 0xffff_ffff]) }
}

/// An offset and length in a lease of `size` bytes: mostly inside it,
/// sometimes a little past its end, past it altogether, or overflowing.
fn span(rng: &mut Rng, size: u64) -> (u64, u64) {
    let offset = rng.below(size + 1);
    match rng.below(20) {
        0..=13 => (offset, rng.below(size - offset + 1)),
        14..=16 => (offset, size - offset + 1 + rng.below(16)),
        17 | 18 => (size + 1 + rng.below(64), rng.below(64)),
        _ => (rng.pick(&[u64::MAX, u64::MAX - 7, 1 << 63]), 1 + rng.below(64)),
    }
}

fn end(rng: &mut Rng, held: &[Held]) -> End {
    let h = rng.below(held.len() as u64) as usize;
    let lease = pick_lease(rng, held[h].request.leases.len());
    let size = spec(held, End { held: h, lease, offset: 0 }).map_or(0, |s| s.len as u64);
    let (offset, _) = span(rng, size);
    End { held: h, lease, offset }
}

/// Checks one end: the lease exists, grants `right`, holds the range, and
/// the range lies in mapped arena pages.
fn check_end(c: &mut Checks, held: &[Held], at: End, len: u64, right: u64) {
    let Some(lease) = spec(held, at) else {
        c.fail(E::BadArgument);
        return;
    };
    c.fail_if(lease.flags as u64 & right == 0, E::LeaseBounds);
    match at.offset.checked_add(len) {
        Some(end) if end <= lease.len as u64 => {
            let mapped = held[at.held].model.mapped;
            c.fail_if(!span_mapped(mapped, lease.start as u64 + at.offset, len), E::BadAddress);
        }
        _ => c.fail(E::LeaseBounds),
    }
}

fn finish(c: Checks, len: u64) -> Expect {
    let mut expect = c.finish(Expect::value(len));
    expect.errors |= Expect::error(E::PeerDied).errors;
    expect
}

/// Plans one lease call on the held callers (at least one).
pub fn plan(rng: &mut Rng, held: &[Held]) -> Planned {
    let mut c = Checks::unordered();
    let at = end(rng, held);
    let size = spec(held, at).map_or(0, |s| s.len as u64);
    let (offset, len) =
        if rng.chance(50) { span(rng, size) } else { (at.offset, rng.below(size.saturating_sub(at.offset) + 2)) };
    let at = End { offset, ..at };
    // Long accesses use our buffer only when the lease must hold them.
    let bad_buffer = rng.chance(5) || len > BUFFER_LEN as u64;
    match rng.below(10) {
        0..=2 => {
            check_end(&mut c, held, at, len, lease_flags::READ);
            c.fail_if(bad_buffer && len > 0, E::BadAddress);
            Planned { op: LeaseOp::Read { at, len, bad_buffer }, expect: finish(c, len) }
        }
        3..=5 => {
            check_end(&mut c, held, at, len, lease_flags::WRITE);
            c.fail_if(bad_buffer && len > 0, E::BadAddress);
            let data_seed = rng.next_u64();
            Planned { op: LeaseOp::Write { at, len, data_seed, bad_buffer }, expect: finish(c, len) }
        }
        6..=8 => {
            let to = end(rng, held);
            check_end(&mut c, held, at, len, lease_flags::READ);
            check_end(&mut c, held, to, len, lease_flags::WRITE);
            Planned { op: LeaseOp::Copy { from: at, to, len }, expect: finish(c, len) }
        }
        _ => {
            let expect = match spec(held, at) {
                Some(lease) => Expect::value(lease.len as u64),
                None => Expect::error(E::BadArgument),
            };
            let expect = Expect { errors: expect.errors | Expect::error(E::PeerDied).errors, ..expect };
            Planned { op: LeaseOp::Info { held: at.held, lease: at.lease }, expect }
        }
    }
}

/// The flags `lease_info` must report with the length, if the lease exists.
pub fn info_flags(held: &[Held], held_index: usize, lease: u64) -> Option<u64> {
    spec(held, End { held: held_index, lease, offset: 0 }).map(|s| s.flags as u64)
}

fn arena_start(held: &[Held], at: End) -> u64 {
    spec(held, at).map_or(0, |s| s.start as u64 + at.offset)
}

/// Checks the bytes a successful `lease_read` brought against the model;
/// `Err` holds the first differing offset.
pub fn check_read(held: &[Held], at: End, got: &[u8]) -> Result<(), usize> {
    held[at.held].model.check(arena_start(held, at), got)
}

/// Updates the models after `op` returned `result` (`data` is what a write
/// sent). A write or copy cut short by an unmapped page may have written
/// part of its range: that range becomes unknown.
pub fn apply(op: &LeaseOp, result: Result<u64, E>, held: &mut [Held], data: &[u8]) {
    match (*op, result) {
        (LeaseOp::Write { at, .. }, Ok(_)) => {
            let start = arena_start(held, at);
            held[at.held].model.write(start, data);
        }
        (LeaseOp::Write { at, len, .. }, Err(E::BadAddress)) => {
            let start = arena_start(held, at);
            held[at.held].model.mark_unknown(start, len);
        }
        (LeaseOp::Copy { from, to, len }, Ok(_)) => {
            let (src, dst) = (arena_start(held, from), arena_start(held, to));
            let same_arena = held[from.held].caller == held[to.held].caller;
            let overlapping = same_arena && src < dst + len && dst < src + len;
            if overlapping || held[from.held].model.has_unknown(src, len) {
                held[to.held].model.mark_unknown(dst, len);
            } else {
                let bytes: Vec<u8> = held[from.held].model.copy_of(src, len);
                held[to.held].model.write(dst, &bytes);
            }
        }
        (LeaseOp::Copy { to, len, .. }, Err(E::BadAddress)) => {
            let dst = arena_start(held, to);
            held[to.held].model.mark_unknown(dst, len);
        }
        _ => {}
    }
}
