use alloc::vec;
use alloc::vec::Vec;

use abi::{KernelError as E, TaskId, lease_flags};

use super::arena::{Model, fill_pattern, masked_hash, pattern_byte, span_mapped};
use super::leaseops::{self, Held, LeaseOp, apply, check_read};
use super::wire::{LeaseSpec, MeshReply, MeshRequest, REPLY_HEADER_LEN, Roster, decode_report, encode_report};
use super::{ARENA_LEN, Counts, GUARD_LEN, PAGE, Role};
use crate::fuzzgen::Rng;

const ALL_MAPPED: u8 = 0xff;

#[test]
fn roles_call_only_downwards() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.name()), Some(role));
        assert_eq!(Role::from_code(role.code()), Some(role));
        assert!(!role.may_call(Role::Client) && !role.may_call(role) || role == Role::Client && !role.may_call(role));
    }
    assert!(Role::Client.may_call(Role::Relay) && Role::Relay.may_call(Role::Server));
    assert!(!Role::Server.may_call(Role::Relay) && !Role::Relay.may_call(Role::Relay));
}

#[test]
fn spans_are_mapped_only_inside_mapped_pages() {
    let holes = ALL_MAPPED & !(1 << 2);
    assert!(span_mapped(holes, 0, 2 * PAGE as u64));
    assert!(!span_mapped(holes, PAGE as u64, PAGE as u64 + 1), "runs into the hole");
    assert!(span_mapped(holes, 2 * PAGE as u64, 0), "zero bytes touch no page");
    assert!(!span_mapped(ALL_MAPPED, ARENA_LEN as u64 - 1, 2), "runs into the guard");
    assert!(!span_mapped(ALL_MAPPED, u64::MAX, 2));
}

#[test]
fn a_model_tracks_writes_and_unknown_bytes() {
    let mut model = Model::new(9, ALL_MAPPED);
    let mut memory = vec![0u8; ARENA_LEN];
    fill_pattern(9, 0, &mut memory);
    assert_eq!(model.check(100, &memory[100..300]), Ok(()));
    model.write(200, b"written");
    assert_eq!(model.check(195, &memory[195..200]), Ok(()));
    assert_eq!(model.check(200, &memory[200..207]), Err(0));
    model.mark_unknown(1000, 50);
    assert!(model.has_unknown(1040, 100) && !model.has_unknown(1050, 10));
    assert_eq!(model.check(1000, &[0xee; 50]), Ok(()), "unknown bytes match anything");
    model.write(1010, &[1; 10]);
    assert_eq!(model.unknown(), &[1000..1010, 1020..1050]);
    for k in 0..10 {
        model.mark_unknown(3000 + 100 * k, 10);
    }
    assert!(model.unknown().len() <= super::arena::MAX_UNKNOWN, "too many ranges merge");
    assert!((0..10).all(|k| model.has_unknown(3000 + 100 * k, 10)), "merged ranges cover the old ones");
}

fn memory_hash(memory: &[u8], mapped: u8, unknown: &[core::ops::Range<usize>]) -> u64 {
    masked_hash(mapped, unknown, |i| u64::from_le_bytes(memory[i * 8..i * 8 + 8].try_into().unwrap()))
}

#[test]
fn the_hash_sees_every_byte_except_unknown_ones() {
    let mapped = ALL_MAPPED & !(1 << 5);
    let mut memory = vec![0u8; ARENA_LEN];
    fill_pattern(3, 0, &mut memory);
    let model = Model::new(3, mapped);
    assert_eq!(model.hash(), memory_hash(&memory, mapped, &[]));
    memory[5 * PAGE + 7] ^= 1;
    assert_eq!(model.hash(), memory_hash(&memory, mapped, &[]), "bytes of holes do not count");
    memory[4 * PAGE + 7] ^= 1;
    assert_ne!(model.hash(), memory_hash(&memory, mapped, &[]));
    assert_eq!(memory_hash(&memory, mapped, core::slice::from_ref(&(4 * PAGE + 7..4 * PAGE + 8))), {
        let mut m = model.clone();
        m.mark_unknown(4 * PAGE as u64 + 7, 1);
        m.hash()
    });
}

#[test]
fn requests_replies_reports_and_rosters_round_trip() {
    let leases = vec![LeaseSpec { start: 10, len: 4000, flags: 3 }, LeaseSpec { start: 40_000, len: 900, flags: 1 }];
    let request = MeshRequest { seed: 77, mapped: 0xfb, reply_len: 200, capacity: 9, payload_len: 150, leases };
    let mut bytes = request.encode();
    assert!(bytes.len() <= abi::MAX_MESSAGE);
    assert_eq!(MeshRequest::decode(&bytes), Ok(request));
    *bytes.last_mut().unwrap() ^= 1;
    assert!(MeshRequest::decode(&bytes).is_err(), "a changed payload byte is seen");
    assert!(MeshRequest::decode(&bytes[..bytes.len() - 1]).is_err(), "a cut payload is seen");

    let reply = MeshReply { hash: 0x1234, unknown: vec![3..9, 100..200] };
    let bytes = reply.encode(77, 256);
    assert_eq!(bytes.len(), 256);
    assert_eq!(MeshReply::decode(77, &bytes), Ok(Some(reply.clone())));
    assert_eq!(MeshReply::decode(77, &bytes[..70]), Ok(Some(reply)), "cut after the header");
    assert_eq!(MeshReply::decode(77, &bytes[..20]), Ok(None), "header cut: nothing to check");
    assert!(MeshReply::decode(78, &bytes).is_err(), "another call's reply");
    let mut bad = bytes.clone();
    bad[REPLY_HEADER_LEN + 3] ^= 0x80;
    assert!(MeshReply::decode(77, &bad).is_err());

    let counts =
        Counts { calls: 1, replies: 2, lease_ops: 3, lease_copies: 4, errors_ok: 5, peer_died: 6, failures: 7 };
    assert_eq!(decode_report(&encode_report(Role::Relay, counts)), Some((Role::Relay, counts)));
    let roster = Roster {
        you: TaskId::new(30, 1),
        members: (1..=20).map(|i| (TaskId::new(i, 3), Role::ALL[i as usize % 3])).collect(),
        killed: vec![TaskId::new(4, 2), TaskId::new(9, 1)],
    };
    let bytes = roster.encode();
    assert!(bytes.len() <= abi::MAX_MESSAGE);
    assert_eq!(Roster::decode(&bytes), Some(roster));
    assert_eq!(Roster::decode(&bytes[..bytes.len() - 1]), None);
}

/// A caller's arena as memory, and the ABI's lease rules over it: index,
/// rights and bounds first (nothing copied), then page by page, stopping
/// with `BadAddress` at the first unmapped page after copying what came
/// before.
struct FakeCaller {
    mapped: u8,
    memory: Vec<u8>,
    leases: Vec<LeaseSpec>,
}

impl FakeCaller {
    fn lease(&self, index: u64, offset: u64, len: u64, right: u64) -> Result<u64, E> {
        let lease = self.leases.get(index as usize).ok_or(E::BadArgument)?;
        if lease.flags as u64 & right == 0 || offset.checked_add(len).is_none_or(|end| end > lease.len as u64) {
            return Err(E::LeaseBounds);
        }
        Ok(lease.start as u64 + offset)
    }

    /// How many bytes from `start` lie in mapped pages, up to `len`.
    fn reachable(&self, start: u64, len: u64) -> u64 {
        (0..len).take_while(|&k| span_mapped(self.mapped, start + k, 1)).count() as u64
    }
}

fn fake_call(op: &LeaseOp, callers: &mut [FakeCaller], data: &[u8], read_into: &mut Vec<u8>) -> Result<u64, E> {
    match *op {
        LeaseOp::Read { at, len, bad_buffer } => {
            let start = callers[at.held].lease(at.lease, at.offset, len, lease_flags::READ)?;
            if bad_buffer && len > 0 {
                return Err(E::BadAddress);
            }
            let n = callers[at.held].reachable(start, len);
            *read_into = callers[at.held].memory[start as usize..(start + n) as usize].to_vec();
            if n < len { Err(E::BadAddress) } else { Ok(len) }
        }
        LeaseOp::Write { at, len, bad_buffer, .. } => {
            let start = callers[at.held].lease(at.lease, at.offset, len, lease_flags::WRITE)?;
            if bad_buffer && len > 0 {
                return Err(E::BadAddress);
            }
            let n = callers[at.held].reachable(start, len);
            callers[at.held].memory[start as usize..(start + n) as usize].copy_from_slice(&data[..n as usize]);
            if n < len { Err(E::BadAddress) } else { Ok(len) }
        }
        LeaseOp::Copy { from, to, len } => {
            let src = callers[from.held].lease(from.lease, from.offset, len, lease_flags::READ)?;
            let dst = callers[to.held].lease(to.lease, to.offset, len, lease_flags::WRITE)?;
            let n = callers[from.held].reachable(src, len).min(callers[to.held].reachable(dst, len));
            // Piece by piece, as the kernel does: overlapping copies give
            // whatever order the pieces take.
            for k in 0..n as usize {
                let byte = callers[from.held].memory[src as usize + k];
                callers[to.held].memory[dst as usize + k] = byte;
            }
            if n < len { Err(E::BadAddress) } else { Ok(len) }
        }
        LeaseOp::Info { held, lease } => {
            callers[held].leases.get(lease as usize).map(|l| l.len as u64).ok_or(E::BadArgument)
        }
    }
}

fn random_caller(rng: &mut Rng, seed: u64) -> (FakeCaller, MeshRequest) {
    let mapped = if rng.chance(50) { ALL_MAPPED } else { rng.next_u64() as u8 };
    let window = (ARENA_LEN + GUARD_LEN) as u64;
    let leases: Vec<LeaseSpec> = (0..1 + rng.below(4))
        .map(|_| {
            let start = rng.below(window);
            let len = rng.below((window - start).min(3 * PAGE as u64) + 1);
            LeaseSpec { start: start as u32, len: len as u32, flags: rng.below(4) as u8 }
        })
        .collect();
    let mut memory = vec![0u8; ARENA_LEN + GUARD_LEN];
    fill_pattern(seed, 0, &mut memory[..ARENA_LEN]);
    let request = MeshRequest { seed, mapped, reply_len: 64, capacity: 64, payload_len: 0, leases: leases.clone() };
    (FakeCaller { mapped, memory, leases }, request)
}

/// The plans' oracle and the models agree with a kernel that follows the
/// ABI: every result is allowed, every successful read matches the model,
/// and each caller's hash of its memory equals the server's hash of its model.
#[test]
fn planned_lease_calls_agree_with_the_abi_rules() {
    let mut rng = Rng::new(5);
    let mut results = [0u64; 2];
    for round in 0..300 {
        let (mut fakes, mut held): (Vec<FakeCaller>, Vec<Held>) = (0..1 + rng.below(3))
            .map(|k| {
                let (fake, request) = random_caller(&mut rng, round * 10 + k);
                (fake, Held::new(TaskId::new(k as u16 + 1, 1), request))
            })
            .unzip();
        for _ in 0..40 {
            let planned = leaseops::plan(&mut rng, &held);
            let len = match planned.op {
                LeaseOp::Write { len, .. } => len as usize,
                _ => 0,
            };
            let data: Vec<u8> = (0..len).map(|k| pattern_byte(round, k)).collect();
            let mut got = Vec::new();
            let result = fake_call(&planned.op, &mut fakes, &data, &mut got);
            let rax = result.map_or_else(|e| e.code(), |v| v as i64);
            assert!(planned.expect.admits(rax), "{planned:?} gave {result:?}");
            results[result.is_ok() as usize] += 1;
            if let (LeaseOp::Read { at, .. }, Ok(_)) = (planned.op, result) {
                assert_eq!(check_read(&held, at, &got), Ok(()), "{planned:?}");
            }
            apply(&planned.op, result, &mut held, &data);
        }
        for (fake, h) in fakes.iter().zip(&held) {
            assert_eq!(memory_hash(&fake.memory, fake.mapped, h.model.unknown()), h.model.hash(), "round {round}");
        }
    }
    assert!(results[0] > 1000 && results[1] > 1000, "errors and successes: {results:?}");
}
