//! What every child does: report to the parent (and learn the roster),
//! count, report failures, and call other children with random leases over
//! its arena, checking each answer.

use alloc::vec::Vec;
use core::fmt;

use abi::{KernelError, Lease, MAX_LEASE_LEN, MAX_LEASES, MAX_MESSAGE, Sysnum, TaskId, map_flags};
use programs::fuzzgen::Rng;
use programs::ipcmesh::arena::{masked_hash, pattern_word, within_window};
use programs::ipcmesh::wire::{
    LeaseSpec, MAX_PAYLOAD, MeshReply, MeshRequest, OP_MESH, OP_REPORT, REPLY_HEADER_LEN, Roster, encode_report,
    reply_code,
};
use programs::ipcmesh::{ARENA, ARENA_LEN, ARENA_PAGES, Counts, GUARD_LEN, Role};
use urt::ipc::call;
use urt::{println, sys};

const PAGE: u64 = abi::PAGE_SIZE as u64;
const NS_PER_MS: u64 = 1_000_000;
/// A child reports at least this often while it makes progress.
const REPORT_EVERY_NS: u64 = 20 * NS_PER_MS;
const REPORT_EVERY_OPS: u64 = 64;
/// Failures printed in full by one child; later ones are only counted.
const MAX_PRINTED: u64 = 6;

pub struct Child {
    pub role: Role,
    pub rng: Rng,
    parent: TaskId,
    pub roster: Roster,
    /// Counted since the last report.
    pub counts: Counts,
    last_report_ns: u64,
    printed: u64,
    /// Mapped arena pages, one bit each.
    mapped: u8,
}

impl Child {
    pub fn start(role: Role, parent: TaskId, seed: u64) -> Result<Child, KernelError> {
        sys::map(ARENA, ARENA_LEN as u64, map_flags::WRITE)?;
        let roster = Roster { you: TaskId::KERNEL, members: Vec::new(), killed: Vec::new() };
        let mut child = Child {
            role,
            rng: Rng::new(seed),
            parent,
            roster,
            counts: Counts::default(),
            last_report_ns: 0,
            printed: 0,
            mapped: 0xff,
        };
        child.report();
        Ok(child)
    }

    pub fn me(&self) -> TaskId {
        self.roster.you
    }

    /// Counts an unexpected result and prints it (the first few).
    pub fn fail(&mut self, what: fmt::Arguments<'_>) {
        self.counts.failures += 1;
        self.printed += 1;
        if self.printed <= MAX_PRINTED {
            println!("ipcmesh: {} {}: {what}", self.role.name(), self.me());
        }
    }

    /// `PeerDied` about `peer`: expected only if it has indeed ended.
    pub fn peer_died(&mut self, peer: TaskId, during: &str) {
        if sys::task_alive(peer) {
            self.fail(format_args!("{during}: PeerDied though task {peer} is alive"));
        } else {
            self.counts.errors_ok += 1;
            self.counts.peer_died += 1;
        }
    }

    pub fn report_if_due(&mut self) {
        let due = sys::now_ns().saturating_sub(self.last_report_ns) >= REPORT_EVERY_NS;
        if due || self.counts.operations() >= REPORT_EVERY_OPS {
            self.report();
        }
    }

    /// Sends the counts to the parent and takes the roster it answers with.
    /// The parent gone, the child has no reason to live.
    pub fn report(&mut self) {
        let mut answer = [0u8; MAX_MESSAGE];
        match call(self.parent, OP_REPORT, &encode_report(self.role, self.counts), &mut answer, &[]) {
            Ok(reply) => match Roster::decode(&answer[..reply.len.min(MAX_MESSAGE)]) {
                Some(roster) => self.roster = roster,
                None => self.fail(format_args!("the parent's roster does not decode")),
            },
            Err(_) => sys::exit(0),
        }
        self.counts = Counts::default();
        self.last_report_ns = sys::now_ns();
    }

    /// A task this child may call, a killed one, or itself; with what the
    /// call must give when the target does not answer.
    fn target(&mut self) -> Option<(TaskId, Target)> {
        let callable: Vec<TaskId> =
            self.roster.members.iter().filter(|(_, role)| self.role.may_call(*role)).map(|(id, _)| *id).collect();
        match self.rng.below(100) {
            0..=5 if !self.roster.killed.is_empty() => Some((self.rng.pick(&self.roster.killed), Target::Killed)),
            6 => Some((self.me(), Target::Me)),
            _ if !callable.is_empty() => Some((self.rng.pick(&callable), Target::Live)),
            _ => None,
        }
    }

    /// One call to a random target, checked; without a target, a pause and
    /// a fresh roster.
    pub fn call_someone(&mut self) {
        match self.target() {
            Some((target, kind)) => self.call_once(target, kind),
            None => {
                let _ = urt::time::sleep(1);
                self.report();
            }
        }
    }

    fn call_once(&mut self, target: TaskId, kind: Target) {
        if self.rng.chance(10) {
            self.toggle_page();
        }
        let seed = self.rng.next_u64();
        self.fill_arena(seed);
        let (specs, refused) = self.random_leases();
        let table: Vec<Lease> = specs
            .iter()
            .map(|s| Lease { addr: ARENA + s.start as u64, len: s.len as u64, flags: s.flags as u64 })
            .collect();
        let reply_len = REPLY_HEADER_LEN as u16 + self.rng.below((MAX_MESSAGE - REPLY_HEADER_LEN + 1) as u64) as u16;
        let payload_len = self.rng.below(MAX_PAYLOAD as u64 + 1) as u8;
        let capacity = if self.rng.chance(90) {
            REPLY_HEADER_LEN + self.rng.below((MAX_MESSAGE - REPLY_HEADER_LEN + 1) as u64) as usize
        } else {
            self.rng.below(REPLY_HEADER_LEN as u64) as usize
        };
        let request =
            MeshRequest { seed, mapped: self.mapped, reply_len, capacity: capacity as u16, payload_len, leases: specs }
                .encode();
        let mut reply = [0u8; MAX_MESSAGE];
        let args = [
            target.raw() as u64 | (OP_MESH as u64) << 32,
            request.as_ptr() as u64,
            request.len() as u64 | (table.len() as u64) << 32,
            reply.as_mut_ptr() as u64,
            capacity as u64,
            table.as_ptr() as u64,
        ];
        // The leases name only the arena and the guard after it, which hold
        // nothing Rust uses; the request and reply buffers are ours.
        // SAFETY: request, reply (capacity <= its length) and table are valid.
        let regs = unsafe { urt::arch::syscall(Sysnum::Call, args) };
        let result = abi::check(regs.rax);
        match (kind, refused, result) {
            (Target::Live, false, Ok(_)) => {
                let copied = (regs.rsi as usize).min(MAX_MESSAGE);
                self.check_answer(seed, target, regs.rdi as u32, &reply[..copied], (reply_len as usize).min(capacity));
            }
            (Target::Live | Target::Killed, _, Err(KernelError::PeerDied)) => self.peer_died(target, "call"),
            (Target::Me, _, Err(KernelError::BadArgument)) | (Target::Live, true, Err(KernelError::BadArgument)) => {
                self.counts.errors_ok += 1
            }
            (_, _, result) => {
                self.fail(format_args!("call to task {target} ({kind:?}, refused lease {refused}) gave {result:?}"))
            }
        }
    }

    fn check_answer(&mut self, seed: u64, server: TaskId, code: u32, bytes: &[u8], expected_len: usize) {
        self.counts.calls += 1;
        if code != reply_code(seed) || bytes.len() != expected_len {
            let want = reply_code(seed);
            return self.fail(format_args!(
                "task {server} answered code {code:#x} with {} bytes, expected {want:#x} with {expected_len}",
                bytes.len()
            ));
        }
        match MeshReply::decode(seed, bytes) {
            Err(why) => self.fail(format_args!("reply of task {server}: {why}")),
            Ok(None) => {}
            Ok(Some(account)) => {
                let hash = self.arena_hash(&account.unknown);
                if hash != account.hash {
                    self.fail(format_args!(
                        "arena after task {server}'s lease calls differs from its model ({} unknown ranges)",
                        account.unknown.len()
                    ));
                }
            }
        }
    }

    /// 0..=4 leases over arena and guard: overlapping, crossing holes,
    /// partly past the arena, with any rights; now and then one the kernel
    /// must refuse (unknown flag, longer than 1 MiB). True if refused.
    fn random_leases(&mut self) -> (Vec<LeaseSpec>, bool) {
        let window = (ARENA_LEN + GUARD_LEN) as u64;
        let count = self.rng.below(MAX_LEASES as u64 + 1) as usize;
        let mut specs: Vec<LeaseSpec> = (0..count)
            .map(|_| {
                let start = if self.rng.chance(30) {
                    self.rng.below(ARENA_PAGES as u64 + 2) * PAGE
                } else {
                    self.rng.below(window)
                };
                let room = window - start;
                let len = match self.rng.below(4) {
                    0 => self.rng.below(room.min(64) + 1),
                    1 => self.rng.below(room.min(2 * PAGE) + 1),
                    2 => room,
                    _ => self.rng.below(room + 1),
                };
                debug_assert!(within_window(start, len));
                LeaseSpec { start: start as u32, len: len as u32, flags: self.rng.below(4) as u8 }
            })
            .collect();
        let refused = !specs.is_empty() && self.rng.chance(3);
        if refused {
            let victim = self.rng.below(specs.len() as u64) as usize;
            if self.rng.chance(50) {
                specs[victim].flags |= 4;
            } else {
                specs[victim].len = MAX_LEASE_LEN as u32 + 1;
            }
        }
        (specs, refused)
    }

    /// Maps or unmaps one arena page (all or none of it is in use by Rust).
    fn toggle_page(&mut self) {
        let page = self.rng.below(ARENA_PAGES as u64);
        let addr = ARENA + page * PAGE;
        let bit = 1u8 << page;
        let result = if self.mapped & bit != 0 {
            // SAFETY: the arena holds nothing Rust uses.
            unsafe { sys::unmap(addr, PAGE) }
        } else {
            sys::map(addr, PAGE, map_flags::WRITE)
        };
        match result {
            Ok(()) => self.mapped ^= bit,
            Err(err) => self.fail(format_args!("map/unmap of arena page {page}: {err}")),
        }
    }

    fn fill_arena(&mut self, seed: u64) {
        for page in (0..ARENA_PAGES).filter(|&p| self.mapped & (1 << p) != 0) {
            for index in page * 512..(page + 1) * 512 {
                // SAFETY: the page is mapped writable and holds nothing Rust uses.
                unsafe { core::ptr::write_volatile((ARENA + index as u64 * 8) as *mut u64, pattern_word(seed, index)) };
            }
        }
    }

    fn arena_hash(&self, unknown: &[core::ops::Range<usize>]) -> u64 {
        // SAFETY: masked_hash reads only words of mapped pages.
        masked_hash(self.mapped, unknown, |index| unsafe {
            core::ptr::read_volatile((ARENA + index as u64 * 8) as *const u64)
        })
    }
}

/// Whom a call goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A child of a role this one may call: it answers, or it was killed.
    Live,
    /// A child killed earlier: `PeerDied`.
    Killed,
    /// The caller itself: `BadArgument`.
    Me,
}
