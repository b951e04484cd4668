//! Lease calls against a caller that really waits: `ipcfuzz` starts a copy
//! of itself as a lease server, calls it with random (kernel-accepted)
//! leases and describes them in the request; the server then tries random
//! `lease_read`, `lease_write`, `lease_copy`, `lease_info` and refused
//! `reply` calls on that caller and checks each result against the leases
//! and the shared memory layout (both tasks map the same scratch pages).
//!
//! Lease memory and server buffers come from [`super::address`], which
//! never names either program's data, so a copy the kernel wrongly allows
//! cannot corrupt them; it shows up as an unexpected result instead.

use alloc::vec::Vec;

use abi::{CopySide, KernelError as E, Lease, MAX_LEASE_LEN, MAX_MESSAGE, Sysnum, TaskId, USER_END, lease_flags};
use abi::{LeaseAccessArgs, LeaseCopyArgs, LeaseRef, ReplyArgs};

use super::{
    Access, Checks, Expect, PAGE, Rng, SCRATCH, SCRATCH_RW_PAGES, access, address, length, touches_program, value,
};

/// The argument that starts `ipcfuzz` as the lease server.
pub const SERVE_ARG: &str = "--lease-server";
/// Operation: leases to fuzz; the request is a seed and the lease table.
pub const OP_LEASES: u32 = 1;
/// Operation: the server answers and ends.
pub const OP_STOP: u32 = 2;
/// Lease calls the server tries per request.
pub const OPS_PER_CALL: usize = 8;

/// Random leases the kernel accepts (valid flags, at most 1 MiB, inside user
/// space) that stay clear of the caller's own data.
pub fn random_leases(rng: &mut Rng) -> Vec<Lease> {
    (0..1 + rng.below(4))
        .map(|_| {
            let len = if rng.chance(70) { rng.below(2 * PAGE) } else { rng.below(MAX_LEASE_LEN + 1) };
            let mut addr = address(rng);
            if addr.checked_add(len).is_none_or(|end| end > USER_END) || touches_program(addr, len) {
                addr = SCRATCH + rng.below(SCRATCH_RW_PAGES * PAGE);
            }
            Lease { addr, len, flags: rng.below(4) }
        })
        .collect()
}

/// The request: the server's seed, then the lease table.
pub fn encode_request(seed: u64, leases: &[Lease]) -> Vec<u8> {
    let mut bytes = seed.to_le_bytes().to_vec();
    bytes.extend(leases.iter().flat_map(Lease::to_bytes));
    bytes
}

pub fn decode_request(bytes: &[u8]) -> Option<(u64, Vec<Lease>)> {
    let (seed, table) = bytes.split_first_chunk::<8>()?;
    if table.len() % Lease::BYTES != 0 || table.len() > MAX_MESSAGE {
        return None;
    }
    let (entries, _) = table.as_chunks::<{ Lease::BYTES }>();
    let leases = entries.iter().map(Lease::from_bytes).collect();
    Some((u64::from_le_bytes(*seed), leases))
}

/// One lease call with the results allowed for it.
#[derive(Clone, Debug)]
pub struct LeaseOp {
    pub number: Sysnum,
    pub args: [u64; 6],
    pub expect: Expect,
    /// For `lease_copy`: the errors the source and the destination side
    /// may each give, so the side the kernel names in `rdi` can be checked.
    pub copy_sides: Option<(Expect, Expect)>,
}

impl LeaseOp {
    fn new(number: Sysnum, args: [u64; 6], expect: Expect) -> LeaseOp {
        LeaseOp { number, args, expect, copy_sides: None }
    }

    /// Whether the kernel's `rax` (and, for `lease_copy`, the side it names
    /// in `rdi`: 0 on success, else a side that may fail with that error) is
    /// allowed.
    pub fn admits(&self, rax: i64, rdi: u64) -> bool {
        if !self.expect.admits(rax) {
            return false;
        }
        let Some((source, destination)) = self.copy_sides else {
            return true;
        };
        if rax >= 0 {
            return rdi == 0;
        }
        let blames = |side: CopySide, may: Expect| rdi == side.register() && may.admits(rax);
        blames(CopySide::Source, source) || blames(CopySide::Destination, destination)
    }
}

fn pick_index(rng: &mut Rng, count: usize) -> u64 {
    if rng.chance(85) { rng.below(count as u64) } else { rng.pick(&[count as u64, 4, 5, 0xffff_ffff]) }
}

/// An offset and length biased toward the lease's end.
fn span(rng: &mut Rng, lease: Option<&Lease>) -> (u64, u64) {
    let size = lease.map_or(0, |l| l.len);
    let offset = if rng.chance(70) { rng.below(size + 8) } else { length(rng) };
    let len = if rng.chance(70) { rng.below(size.saturating_sub(offset) + 8) } else { length(rng) };
    (offset, len)
}

/// Checks one end of a lease copy: the index, the right, the bounds, and
/// the caller's memory (readable, or writable when `write`).
fn lease_end(c: &mut Checks, leases: &[Lease], index: u64, offset: u64, len: u64, write: bool) {
    let Some(lease) = leases.get(index as usize) else {
        c.fail(E::BadArgument);
        return;
    };
    let right = if write { lease_flags::WRITE } else { lease_flags::READ };
    c.fail_if(lease.flags & right == 0, E::LeaseBounds);
    match offset.checked_add(len) {
        Some(end) if end <= lease.len => {
            let start = lease.addr + offset;
            if write { c.writable(start, len) } else { c.readable(start, len) }
        }
        _ => c.fail(E::LeaseBounds),
    }
}

/// Plans one call on the leases of `caller`, which waits for our reply.
pub fn plan_op(rng: &mut Rng, caller: TaskId, leases: &[Lease]) -> LeaseOp {
    let lease_ref = |index: u64| LeaseRef { caller, index: index as u32 };
    let mut c = Checks::unordered();
    let index = pick_index(rng, leases.len());
    let (offset, len) = span(rng, leases.get(index as usize));
    let buf = address(rng);
    match rng.below(9) {
        0..=2 => {
            lease_end(&mut c, leases, index, offset, len, false);
            c.writable(buf, len);
            let args = LeaseAccessArgs { lease: lease_ref(index), offset, buf, len }.to_regs();
            LeaseOp::new(Sysnum::LeaseRead, args, c.finish(Expect::value(len)))
        }
        3..=5 => {
            lease_end(&mut c, leases, index, offset, len, true);
            c.readable(buf, len);
            let args = LeaseAccessArgs { lease: lease_ref(index), offset, buf, len }.to_regs();
            LeaseOp::new(Sysnum::LeaseWrite, args, c.finish(Expect::value(len)))
        }
        6 => {
            let expect = leases.get(index as usize).map_or(Expect::error(E::BadArgument), |l| Expect::value(l.len));
            let args = [abi::Register::to_reg(lease_ref(index)), 0, 0, 0, 0, 0];
            LeaseOp::new(Sysnum::LeaseInfo, args, expect)
        }
        7 => {
            let to = pick_index(rng, leases.len());
            let (to_offset, _) = span(rng, leases.get(to as usize));
            lease_end(&mut c, leases, index, offset, len, false);
            lease_end(&mut c, leases, to, to_offset, len, true);
            let args = LeaseCopyArgs {
                src: lease_ref(index),
                src_offset: offset,
                dst: lease_ref(to),
                dst_offset: to_offset,
                len,
            };
            let args = args.to_regs();
            // Each side's own checks: the errors the kernel may blame on it.
            let (mut source, mut destination) = (Checks::unordered(), Checks::unordered());
            lease_end(&mut source, leases, index, offset, len, false);
            lease_end(&mut destination, leases, to, to_offset, len, true);
            let sides = (source.finish(Expect::OK), destination.finish(Expect::OK));
            LeaseOp { copy_sides: Some(sides), ..LeaseOp::new(Sysnum::LeaseCopy, args, c.finish(Expect::value(len))) }
        }
        _ => {
            // A reply the kernel must refuse: the caller keeps waiting.
            let (data, len) = if rng.chance(50) {
                (rng.pick(&super::KERNEL_ADDRESSES), 1 + rng.below(MAX_MESSAGE as u64))
            } else {
                (address(rng), MAX_MESSAGE as u64 + 1 + rng.below(4096))
            };
            c.fail_if(len > MAX_MESSAGE as u64, E::BadArgument);
            c.fail_if(access(data, len) == Access::Invalid, E::BadAddress);
            let code = value(rng) as u32;
            LeaseOp::new(Sysnum::Reply, ReplyArgs { caller, code, data, len }.to_regs(), c.finish(Expect::OK))
        }
    }
}
