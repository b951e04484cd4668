//! The planner's calls a server makes about a caller waiting for its reply:
//! `reply`, `reply_recv`, `reply2_recv` and the lease calls. Nobody ever
//! waits for the fuzzer's reply, so the caller check refuses each of them;
//! for the replies that come with a receive, the receive's checks may come
//! first.

use alloc::vec::Vec;

use abi::{KernelError as E, MAX_MESSAGE, Sysnum, TaskId, notify};
use abi::{LeaseAccessArgs, LeaseCopyArgs, LeaseRef, Reply2RecvArgs, ReplyArgs, ReplyRecvArgs};

use super::super::{Access, Checks, Expect, Rng, STAGING, access, address, length, value};
use super::{HIGH_HALF, IdClass, Plan, Planner};

impl Planner {
    /// The checks on a caller named in `reply` and the lease calls, none of
    /// which can find the fuzzer's reply awaited.
    fn caller_checks(&self, c: &mut Checks, caller: u32) {
        match self.tasks.classify(caller) {
            IdClass::NoSuchTask => c.fail(E::NoSuchTask),
            IdClass::Dead => c.fail(E::PeerDied),
            IdClass::Me | IdClass::Live => c.fail(E::NotWaiting),
            IdClass::Unknown => {
                c.maybe(E::PeerDied);
                c.fail(E::NotWaiting);
            }
        }
    }

    pub(super) fn reply(&self, rng: &mut Rng) -> Plan {
        let (caller, code, data, len) = (self.tasks.pick(rng), value(rng), address(rng), length(rng));
        let mut c = Checks::unordered();
        c.fail_if(len > MAX_MESSAGE as u64, E::BadArgument);
        c.readable(data, len);
        self.caller_checks(&mut c, caller);
        let mut args = ReplyArgs { caller: TaskId::from_raw(caller), code: code as u32, data, len }.to_regs();
        args[1] |= code & HIGH_HALF;
        Plan::new(Sysnum::Reply as u64, args, c.finish(Expect::OK))
    }

    /// `lease_read`, `lease_write`, `lease_copy` or `lease_info`.
    pub(super) fn lease_call(&self, sysnum: Sysnum, rng: &mut Rng) -> Plan {
        let caller = self.tasks.pick(rng);
        let lease = LeaseRef { caller: TaskId::from_raw(caller), index: lease_index(rng) };
        let other = LeaseRef { caller: TaskId::from_raw(self.tasks.pick(rng)), index: lease_index(rng) };
        let mut c = Checks::unordered();
        // Nobody waits for the fuzzer's reply: the caller check decides.
        self.caller_checks(&mut c, caller);
        let args = match sysnum {
            Sysnum::LeaseCopy => {
                let (src_offset, dst_offset, len) = (length(rng), length(rng), length(rng));
                LeaseCopyArgs { src: lease, src_offset, dst: other, dst_offset, len }.to_regs()
            }
            // `lease_info` reads the first register only.
            _ => LeaseAccessArgs { lease, offset: length(rng), buf: address(rng), len: length(rng) }.to_regs(),
        };
        Plan::new(sysnum as u64, args, c.finish(Expect::OK))
    }

    /// `reply_recv`: the reply half can never succeed (nobody waits for the
    /// fuzzer), so neither can the call; the receive half's checks may come
    /// first. The timer is armed all the same, in case a reply ever passes.
    pub(super) fn reply_recv(&self, rng: &mut Rng) -> Plan {
        let (caller, code) = (self.tasks.pick(rng), value(rng) & 0xffff_ffff);
        let (data, len, buf, cap) = (address(rng), length(rng) & 0xffff_ffff, address(rng), length(rng) & 0xffff_ffff);
        let high = if rng.chance(10) { value(rng) << 32 } else { 0 };
        let any = value(rng);
        let flags = rng.pick(&[0, 1, 0, 1, 2, 1 << 63, any]);
        let mask = (value(rng) & 0xffff_ffff) | notify::TIMER as u64;
        let mut c = Checks::unordered();
        if flags & !1 != 0 {
            c.maybe(E::BadArgument);
        }
        if access(buf, cap.min(MAX_MESSAGE as u64)) != Access::Writable {
            c.maybe(E::BadAddress);
        }
        c.fail_if(len > MAX_MESSAGE as u64, E::BadArgument);
        self.caller_checks(&mut c, caller);
        let caller = TaskId::from_raw(caller);
        let (code, len, cap, mask) = (code as u32, len as u32, cap as u32, mask as u32);
        let mut args = ReplyRecvArgs { caller, code, data, len, cap, buf, mask, flags }.to_regs();
        args[4] |= high;
        let mut plan = Plan::new(Sysnum::ReplyRecv as u64, args, c.finish(Expect::value(0)));
        plan.arm_timer = true;
        plan
    }

    /// `reply2_recv`: the earlier reply staged (or at a random address),
    /// the later in registers. Nobody waits for the fuzzer, so the replies
    /// can only be refused; any failing check may be the one reported.
    pub(super) fn reply2_recv(&self, rng: &mut Rng) -> Plan {
        let earlier = abi::ReplyMessage {
            caller: self.tasks.pick(rng),
            code: value(rng) as u32,
            data: address(rng),
            len: length(rng),
        };
        let later = self.tasks.pick(rng);
        let (code, data, len) = (value(rng) & 0xffff_ffff, address(rng), length(rng) & 0xffff_ffff);
        let (buf, cap) = (address(rng), length(rng) & 0xffff_ffff);
        let mask = (value(rng) & 0xffff_ffff) | notify::TIMER as u64;
        let staged = rng.chance(70);
        let message = if staged { STAGING } else { address(rng) };
        let mut c = Checks::unordered();
        if access(buf, cap.min(MAX_MESSAGE as u64)) != Access::Writable {
            c.maybe(E::BadAddress);
        }
        if staged {
            c.fail_if(earlier.len > MAX_MESSAGE as u64, E::BadArgument);
            self.caller_checks(&mut c, earlier.caller);
        } else {
            // Whatever lies there names some caller and some length.
            c.readable(message, core::mem::size_of::<abi::ReplyMessage>() as u64);
            for error in [E::BadArgument, E::NoSuchTask, E::PeerDied, E::NotWaiting] {
                c.maybe(error);
            }
        }
        c.fail_if(len > MAX_MESSAGE as u64, E::BadArgument);
        self.caller_checks(&mut c, later);
        let args = Reply2RecvArgs {
            earlier: message,
            caller: TaskId::from_raw(later),
            code: code as u32,
            data,
            len: len as u32,
            cap: cap as u32,
            buf,
            mask: mask as u32,
        }
        .to_regs();
        let mut plan = Plan::new(Sysnum::Reply2Recv as u64, args, c.finish(Expect::value(0)));
        if staged {
            plan.staging = reply_bytes(&earlier);
        }
        plan.arm_timer = true;
        plan
    }
}

fn lease_index(rng: &mut Rng) -> u32 {
    if rng.chance(80) { rng.below(6) as u32 } else { value(rng) as u32 }
}

/// A reply as the kernel reads it (`repr(C)`, little-endian).
fn reply_bytes(reply: &abi::ReplyMessage) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(core::mem::size_of::<abi::ReplyMessage>());
    bytes.extend_from_slice(&reply.caller.to_le_bytes());
    bytes.extend_from_slice(&reply.code.to_le_bytes());
    bytes.extend_from_slice(&reply.data.to_le_bytes());
    bytes.extend_from_slice(&reply.len.to_le_bytes());
    bytes
}
