//! Plans for `sysfuzz`: one random syscall at a time, with the results
//! `docs/abi.md` allows for exactly those arguments.
//!
//! Shapes that would end or stall the fuzzer are never planned: no `exit`;
//! `recv` always has `TIMER` in its mask and asks for the timer to be armed
//! first; an unmap that can succeed stays inside the sandbox; a `call` that
//! could reach a live task always carries an argument the kernel must refuse
//! before delivering it. Maps that could take most of memory are rationed.

use alloc::vec::Vec;

use abi::{KernelError as E, MAX_LEASE_LEN, MAX_LEASES, MAX_MAP, MAX_MESSAGE, MAX_TASKS, Sysnum, notify};
use abi::{Lease, RecvArgs};
use abi::{STACK_TOP, USER_END, USER_START};

pub use super::call_args::PlannedCall;
pub use super::task_ids::{IdClass, Tasks};
use super::{Access, Checks, Expect, Rng, access, address, length, overlaps_own_pages, value};
use super::{KERNEL_ADDRESSES, PAGE, SANDBOX, SANDBOX_LEN, SCRATCH, STAGING};

mod replies;

/// A map longer than this counts against the ration of huge maps.
pub const HUGE_MAP: u64 = 16 << 20;
/// Huge maps per run: each may take every free frame for a moment.
pub const HUGE_MAPS: u32 = 2;
/// The high half of a register whose argument is 32 bits wide: the kernel
/// must ignore it.
const HIGH_HALF: u64 = !0xffff_ffff;

/// One planned syscall.
#[derive(Clone, Debug)]
pub struct Plan {
    pub number: u64,
    pub args: [u64; 6],
    pub expect: Expect,
    /// Bytes to write at [`STAGING`] first (a lease table or a name).
    pub staging: Vec<u8>,
    /// Arm the timer a millisecond ahead first: the call may wait for `TIMER`.
    pub arm_timer: bool,
    /// The range a successful `map` created, which the fuzzer must unmap.
    pub maps: Option<(u64, u64)>,
}

impl Plan {
    fn new(number: u64, args: [u64; 6], expect: Expect) -> Plan {
        Plan { number, args, expect, staging: Vec::new(), arm_timer: false, maps: None }
    }
}

/// The argument registers (bits 0..5: `rdi, rsi, rdx, r10, r8, r9`) call
/// `number` may write: its extra results. Every other register the kernel
/// must give back as it was, whatever the outcome.
pub fn result_registers(number: u64) -> u8 {
    match Sysnum::try_from(number) {
        // `lease_copy` names the side of an error in rdi (0 on success).
        Ok(Sysnum::ReadLog | Sysnum::LeaseInfo | Sysnum::LeaseCopy) => 0b1,
        Ok(Sysnum::Call) => 0b11,
        // A message brings its header, and may describe its first lease.
        Ok(Sysnum::Recv | Sysnum::ReplyRecv | Sysnum::Reply2Recv) => 0b11_1111,
        _ => 0,
    }
}

/// Plans syscalls one after another.
#[derive(Clone, Debug)]
pub struct Planner {
    pub tasks: Tasks,
    huge_maps_left: u32,
}

/// Numbers around and far past the last syscall; those that name a call
/// are planned as that call, the rest must give `NoSuchCall`.
const ODD_NUMBERS: [u64; 11] =
    [32, 64, 255, 256, 1000, 1 << 32, (1 << 32) | 1, (1 << 32) | 10, 1 << 63, u64::MAX - 1, u64::MAX];

impl Planner {
    pub fn new(tasks: Tasks) -> Planner {
        Planner { tasks, huge_maps_left: HUGE_MAPS }
    }

    pub fn plan(&mut self, rng: &mut Rng) -> Plan {
        let calls = Sysnum::ALL.len() as u64;
        if rng.chance(8) {
            let number = match rng.below(3) {
                0 => calls + rng.below(4),
                1 => rng.pick(&ODD_NUMBERS),
                _ => rng.next_u64(),
            };
            if Sysnum::try_from(number).is_err() {
                let args = [value(rng), value(rng), value(rng), value(rng), value(rng), value(rng)];
                return Plan::new(number, args, Expect::error(E::NoSuchCall));
            }
        }
        // Every call but exit (0), which would end the fuzzer.
        let sysnum = Sysnum::ALL[1 + rng.below(calls - 1) as usize];
        let mut plan = self.plan_known(sysnum, rng);
        plan.number = sysnum as u64;
        plan
    }

    fn plan_known(&mut self, sysnum: Sysnum, rng: &mut Rng) -> Plan {
        let n = sysnum as u64;
        match sysnum {
            Sysnum::Exit => unreachable!("exit is never planned"),
            Sysnum::Yield | Sysnum::Now | Sysnum::SetTimer | Sysnum::SubscribeExits => {
                Plan::new(n, [value(rng), value(rng), value(rng), 0, 0, 0], Expect::OK)
            }
            Sysnum::Log => {
                let (ptr, len) = (address(rng), length(rng));
                let taken = len.min(1024);
                let mut c = Checks::unordered();
                c.readable(ptr, taken);
                Plan::new(n, [ptr, len, 0, 0, 0, 0], c.finish(Expect::value(taken)))
            }
            Sysnum::ReadLog => {
                let (buf, cap, offset) = (address(rng), length(rng), value(rng));
                // How much is copied depends on the log; nothing copied is no error.
                let mut c = Checks::unordered();
                if access(buf, cap.min(1024)) != Access::Writable {
                    c.maybe(E::BadAddress);
                }
                Plan::new(n, [buf, cap, offset, 0, 0, 0], c.finish(Expect::OK))
            }
            Sysnum::Map => self.map(rng),
            Sysnum::Unmap => unmap(rng),
            Sysnum::Stats => {
                let ptr = address(rng);
                let mut c = Checks::unordered();
                c.writable(ptr, core::mem::size_of::<abi::KernelStats>() as u64);
                Plan::new(n, [ptr, 0, 0, 0, 0, 0], c.finish(Expect::OK))
            }
            Sysnum::Counters => {
                let ptr = address(rng);
                let mut c = Checks::unordered();
                c.writable(ptr, core::mem::size_of::<abi::CostCounters>() as u64);
                Plan::new(n, [ptr, 0, 0, 0, 0, 0], c.finish(Expect::OK))
            }
            Sysnum::TaskInfo => {
                let index = if rng.chance(60) { rng.below(MAX_TASKS as u64 + 8) } else { value(rng) };
                let ptr = address(rng);
                let mut c = Checks::unordered();
                c.fail_if(index >= MAX_TASKS as u64, E::NoSuchTask);
                let occupied = self
                    .tasks
                    .me
                    .iter()
                    .chain(&self.tasks.live)
                    .chain(&self.tasks.dead)
                    .any(|t| t.index() as u64 == index);
                if !occupied {
                    c.maybe(E::NotFound);
                }
                c.writable(ptr, core::mem::size_of::<abi::TaskInfo>() as u64);
                Plan::new(n, [index, ptr, 0, 0, 0, 0], c.finish(Expect::OK))
            }
            Sysnum::Call => self.call(rng),
            Sysnum::Reply => self.reply(rng),
            Sysnum::LeaseRead | Sysnum::LeaseWrite | Sysnum::LeaseCopy | Sysnum::LeaseInfo => {
                self.lease_call(sysnum, rng)
            }
            Sysnum::Recv => recv(rng),
            Sysnum::ReplyRecv => self.reply_recv(rng),
            Sysnum::Reply2Recv => self.reply2_recv(rng),
            Sysnum::Lookup => lookup(rng),
            Sysnum::TaskAlive => {
                let id = self.tasks.pick(rng);
                let expect = match self.tasks.classify(id) {
                    IdClass::Me | IdClass::Live => Expect::value(1),
                    IdClass::NoSuchTask | IdClass::Dead => Expect::value(0),
                    IdClass::Unknown => Expect::OK,
                };
                Plan::new(n, [id as u64, 0, 0, 0, 0, 0], expect)
            }
            Sysnum::Post => {
                let (task, any) = (self.tasks.pick(rng), value(rng));
                let bits = rng.pick(&[0x04, 0xfc, 0, 1, 0x100, any]);
                let mut c = Checks::unordered();
                c.fail_if(bits & !u64::from(notify::POSTABLE) != 0, E::BadArgument);
                match self.tasks.classify(task) {
                    IdClass::NoSuchTask => c.fail(E::NoSuchTask),
                    IdClass::Dead => c.fail(E::PeerDied),
                    IdClass::Me | IdClass::Live => {}
                    IdClass::Unknown => c.maybe(E::PeerDied),
                }
                Plan::new(n, [task as u64, bits, 0, 0, 0, 0], c.finish(Expect::OK))
            }
            Sysnum::IrqAck => {
                let irq = if rng.chance(50) { rng.below(20) } else { value(rng) };
                let expect = match irq {
                    0..=15 => Expect::error(E::Denied),
                    16..=255 => Expect::error(E::BadArgument),
                    _ => Expect {
                        ok: false,
                        value: None,
                        errors: Expect::error(E::Denied).errors | Expect::error(E::BadArgument).errors,
                    },
                };
                Plan::new(n, [irq, 0, 0, 0, 0, 0], expect)
            }
            // Init's calls: refused to everyone else, whatever the arguments.
            Sysnum::TaskCreate
            | Sysnum::TaskMap
            | Sysnum::TaskStart
            | Sysnum::TaskKill
            | Sysnum::Reap
            | Sysnum::Bind
            | Sysnum::GrantPorts
            | Sysnum::GrantIrq
            | Sysnum::Poweroff
            | Sysnum::TaskFork
            | Sysnum::TaskFault => {
                let mut args = [0; 6];
                for arg in &mut args {
                    *arg = match rng.below(3) {
                        0 => self.tasks.pick(rng) as u64,
                        1 => address(rng),
                        _ => value(rng),
                    };
                }
                Plan::new(n, args, Expect::error(E::Denied))
            }
        }
    }

    fn map(&mut self, rng: &mut Rng) -> Plan {
        let (addr, mut len) = map_range(rng);
        let any = value(rng);
        let flags = rng.pick(&[0, 1, 2, 3, 3, 4, 8, 1 << 63, any]);
        let args_valid = range_args_valid(addr, len) && flags & !3 == 0;
        if args_valid && len > HUGE_MAP && range_address_valid(addr, len) && !overlaps_own_pages(addr, len) {
            if self.huge_maps_left > 0 {
                self.huge_maps_left -= 1;
            } else {
                len = PAGE * (1 + rng.below(16));
            }
        }
        let mut c = Checks::unordered();
        c.fail_if(!range_args_valid(addr, len) || flags & !3 != 0, E::BadArgument);
        c.fail_if(!range_address_valid(addr, len), E::BadAddress);
        if overlaps_own_pages(addr, len) {
            // Pages before ours may exhaust memory before the overlap is met.
            c.maybe(E::NoMemory);
            c.fail(E::AlreadyMapped);
        }
        c.maybe(E::AlreadyMapped);
        c.maybe(E::NoMemory);
        let mut plan = Plan::new(Sysnum::Map as u64, [addr, len, flags, 0, 0, 0], c.finish(Expect::OK));
        plan.maps = plan.expect.ok.then_some((addr, len));
        plan
    }

    fn call(&mut self, rng: &mut Rng) -> Plan {
        let dest = self.tasks.pick(rng);
        let class = self.tasks.classify(dest);
        let deliverable = matches!(class, IdClass::Live | IdClass::Unknown);
        // An operation no server knows, in case a refusal is ever missed.
        let op = if deliverable { 0xfff0_0000 | rng.below(0x1_0000) } else { value(rng) & 0xffff_ffff };
        let mut call = PlannedCall::random(rng);
        if deliverable {
            call.break_one(rng);
        }
        let mut c = self.call_checks(dest, &call);
        if deliverable && !c.decided() {
            call.request_len = MAX_MESSAGE as u32 + 1;
            c = self.call_checks(dest, &call);
        }
        let args = call.registers(dest, op as u32);
        let mut plan = Plan::new(Sysnum::Call as u64, args, c.finish(Expect::value(0)));
        plan.staging = call.lease_table();
        plan
    }

    /// `call`'s checks in the documented order.
    pub fn call_checks(&self, dest: u32, call: &PlannedCall) -> Checks {
        let mut c = Checks::default();
        let count = call.lease_count as usize;
        c.fail_if(call.request_len as usize > MAX_MESSAGE || count > MAX_LEASES, E::BadArgument);
        match self.tasks.classify(dest) {
            IdClass::NoSuchTask => c.fail(E::NoSuchTask),
            IdClass::Dead => c.fail(E::PeerDied),
            IdClass::Me => c.fail(E::BadArgument),
            IdClass::Live => {}
            IdClass::Unknown => c.maybe(E::PeerDied),
        }
        c.writable(call.reply, call.reply_cap.min(MAX_MESSAGE as u64));
        c.readable(call.table, (Lease::BYTES * count.min(MAX_LEASES)) as u64);
        if call.table == STAGING {
            let used = &call.leases[..count.min(MAX_LEASES)];
            let bad_argument = used.iter().any(|l| l.flags & !3 != 0 || l.len > MAX_LEASE_LEN);
            let bad_address = used.iter().any(|l| l.addr.checked_add(l.len).is_none_or(|end| end > USER_END));
            // Which of two bad leases is reported first is not specified.
            if bad_argument {
                c.maybe(E::BadArgument);
            }
            if bad_address {
                c.maybe(E::BadAddress);
            }
            if bad_argument || bad_address {
                c.fail(if bad_argument { E::BadArgument } else { E::BadAddress });
            }
        } else if count > 0 {
            c.maybe(E::BadArgument);
            c.maybe(E::BadAddress);
        }
        c.readable(call.request, call.request_len as u64);
        c
    }
}

fn recv(rng: &mut Rng) -> Plan {
    let (buf, cap) = (address(rng), length(rng));
    let any = value(rng);
    let flags = rng.pick(&[0, 1, 0, 1, 2, 3, 1 << 63, any]);
    // TIMER is always in the mask, so an accepted recv ends at the next tick.
    let mask = (value(rng) & 0xffff_ffff) | notify::TIMER as u64;
    let high = if rng.chance(20) { value(rng) << 32 } else { 0 };
    let mut c = Checks::unordered();
    c.fail_if(flags & !1 != 0, E::BadArgument);
    c.writable(buf, cap.min(MAX_MESSAGE as u64));
    let mut args = RecvArgs { buf, cap, mask: mask as u32, flags }.to_regs();
    args[2] |= high;
    let mut plan = Plan::new(Sysnum::Recv as u64, args, c.finish(Expect::value(0)));
    plan.arm_timer = plan.expect.ok;
    plan
}

fn lookup(rng: &mut Rng) -> Plan {
    const NAMES: [&[u8]; 8] =
        [b"init", b"console", b"netd", b"shell", b"no-such-name", b"", b"aaaaaaaaaaaaaaaa", b"aaaaaaaaaaaaaaaaa"];
    let name = rng.pick(&NAMES);
    let ptr = if rng.chance(70) { STAGING } else { address(rng) };
    let len = if rng.chance(70) { name.len() as u64 } else { length(rng) };
    let mut c = Checks::unordered();
    c.fail_if(len == 0 || len > abi::SERVICE_NAME_MAX as u64, E::BadArgument);
    c.readable(ptr, len);
    c.maybe(E::NotFound);
    let mut plan = Plan::new(Sysnum::Lookup as u64, [ptr, len, 0, 0, 0, 0], c.finish(Expect::OK));
    plan.staging = name.to_vec();
    plan
}

fn range_args_valid(addr: u64, len: u64) -> bool {
    addr.is_multiple_of(PAGE) && len.is_multiple_of(PAGE) && len != 0 && len <= MAX_MAP
}

fn range_address_valid(addr: u64, len: u64) -> bool {
    addr >= USER_START && addr.checked_add(len).is_some_and(|end| end <= USER_END)
}

fn map_range(rng: &mut Rng) -> (u64, u64) {
    let addr = match rng.below(10) {
        0..=3 => address(rng) & !(PAGE - 1),
        4..=6 => SANDBOX + PAGE * rng.below(SANDBOX_LEN / PAGE),
        7 => address(rng),
        _ => USER_END - PAGE * (1 + rng.below(4)),
    };
    let len = match rng.below(10) {
        0..=5 => PAGE * rng.pick(&[1, 1, 2, 3, 16, 256]),
        6 | 7 => length(rng),
        _ => rng.pick(&[MAX_MAP, MAX_MAP + PAGE, HUGE_MAP + PAGE, 0]),
    };
    (addr, len)
}

/// An unmap that the kernel must refuse (its arguments may name the
/// fuzzer's own pages) or one inside the sandbox.
fn unmap(rng: &mut Rng) -> Plan {
    let (addr, len) = match rng.below(4) {
        0 => {
            let any = address(rng) & !(PAGE - 1);
            let addr = rng.pick(&[USER_START, STACK_TOP - PAGE, SCRATCH, any]);
            let len = PAGE * (1 + rng.below(4));
            match rng.below(4) {
                0 => (addr | (1 + rng.below(PAGE - 1)), len),
                1 => (addr, len + 1 + rng.below(PAGE - 1)),
                2 => (addr, 0),
                _ => (addr, rng.pick(&[MAX_MAP + PAGE, !(PAGE - 1), 1 << 47])),
            }
        }
        1 => {
            let len = PAGE * rng.pick(&[1, 2, 1024, MAX_MAP / PAGE]);
            match rng.below(3) {
                0 => (PAGE * rng.below(USER_START / PAGE), len),
                1 => (USER_END - len + PAGE * (1 + rng.below(4)), len),
                _ => (rng.pick(&KERNEL_ADDRESSES) & !(PAGE - 1), len),
            }
        }
        _ => (SANDBOX + PAGE * rng.below(SANDBOX_LEN / PAGE), PAGE * rng.pick(&[1, 2, 16, 256, MAX_MAP / PAGE])),
    };
    let mut c = Checks::unordered();
    c.fail_if(!range_args_valid(addr, len), E::BadArgument);
    c.fail_if(!range_address_valid(addr, len), E::BadAddress);
    Plan::new(Sysnum::Unmap as u64, [addr, len, 0, 0, 0, 0], c.finish(Expect::OK))
}
