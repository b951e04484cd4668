//! Servers and relays: receive calls, hold up to [`MAX_HELD`] callers at
//! once, try random lease calls on them (`programs::ipcmesh::leaseops`),
//! send replies the kernel must refuse or deliver nowhere, and answer each
//! held caller with the account of its arena: at once, with `reply_recv`,
//! or when the timer fires a few milliseconds later. A relay also calls a
//! server itself while it holds callers.

use alloc::vec;
use alloc::vec::Vec;

use abi::{KernelError, MAX_MESSAGE, Received, Sysnum, TaskId, notify};
use programs::ipcmesh::UNMAPPED_BUFFER;
use programs::ipcmesh::arena::fill_pattern;
use programs::ipcmesh::leaseops::{self, BUFFER_LEN, Held, LeaseOp, apply, check_read, info_flags};
use programs::ipcmesh::wire::{MeshReply, MeshRequest, OP_MESH, reply_code};
use urt::ipc::{Incoming, recv_incoming, reply, reply_recv};
use urt::sys;

use crate::child::Child;

const MAX_HELD: usize = 4;
const NS_PER_MS: u64 = 1_000_000;
/// Callers answered lately: targets of lease calls and replies that must
/// find them no longer waiting.
const ANSWERED_KEPT: usize = 8;

struct Server {
    child: Child,
    held: Vec<Held>,
    answered: Vec<TaskId>,
    buffer: Vec<u8>,
    timer_armed: bool,
}

pub fn serve(child: Child) -> ! {
    let mut server = Server {
        child,
        held: Vec::with_capacity(MAX_HELD + 1),
        answered: Vec::with_capacity(ANSWERED_KEPT + 1),
        buffer: vec![0u8; BUFFER_LEN],
        timer_armed: false,
    };
    let mut request = [0u8; MAX_MESSAGE];
    let mut next: Option<Held> = None;
    loop {
        server.child.report_if_due();
        if !server.timer_armed {
            let wait_ms = if server.held.is_empty() { 20 } else { 1 + server.child.rng.below(8) };
            let _ = sys::set_timer(sys::now_ns() + wait_ms * NS_PER_MS);
            server.timer_armed = true;
        }
        let incoming = match next.take() {
            Some(held) => server.answer_and_receive(held, &mut request),
            None => recv_incoming(&mut request, notify::TIMER),
        };
        match incoming {
            Ok(Incoming { received: Received::Notification(_), .. }) => {
                server.timer_armed = false;
                while let Some(held) = server.held.pop() {
                    server.answer(held);
                }
                server.stray_reply();
            }
            Ok(Incoming { received: Received::Message(header), first_lease }) => {
                let len = header.len.min(MAX_MESSAGE);
                server.take(
                    header.sender,
                    header.operation,
                    &request[..len],
                    header.leases,
                    first_lease.map(|l| (l.len, l.flags)),
                );
                server.work();
                next = server.choose_answers();
            }
            Err(err) => server.child.fail(format_args!("recv: {err}")),
        }
    }
}

impl Server {
    /// Checks a new call and holds it.
    fn take(&mut self, caller: TaskId, op: u32, bytes: &[u8], lease_count: usize, first: Option<(usize, u64)>) {
        let request = match MeshRequest::decode(bytes) {
            Ok(request) if op == OP_MESH => request,
            Ok(_) => return self.refuse(caller, format_args!("operation {op} from task {caller}")),
            Err(why) => return self.refuse(caller, format_args!("request of task {caller}: {why}")),
        };
        let declared = request.leases.first().map(|l| (l.len as usize, l.flags as u64));
        if lease_count != request.leases.len() || first != declared {
            let n = request.leases.len();
            return self.refuse(
                caller,
                format_args!(
                    "task {caller} lent {lease_count} leases, first {first:?}; it described {n}, first {declared:?}"
                ),
            );
        }
        self.held.push(Held::new(caller, request));
    }

    /// Answers a call that cannot be checked, so that its caller goes on.
    fn refuse(&mut self, caller: TaskId, what: core::fmt::Arguments<'_>) {
        self.child.fail(what);
        let _ = reply(caller, 0, &[]);
    }

    /// A few random lease calls and refused or stray replies.
    fn work(&mut self) {
        for _ in 0..self.child.rng.below(9) {
            match self.child.rng.below(20) {
                0 => self.stray_reply(),
                1 => self.refused_reply(),
                2 => self.stale_lease_call(),
                _ if !self.held.is_empty() => self.lease_call(),
                _ => {}
            }
        }
        if self.child.role.may_call(programs::ipcmesh::Role::Server) && self.child.rng.chance(40) {
            self.child.call_someone();
        }
    }

    fn lease_call(&mut self) {
        let planned = leaseops::plan(&mut self.child.rng, &self.held);
        let op = planned.op;
        let mut sent_len = 0;
        if let LeaseOp::Write { len, data_seed, bad_buffer: false, .. } = op {
            sent_len = len as usize;
            fill_pattern(data_seed, 0, &mut self.buffer[..sent_len]);
        }
        let args = op.args(&self.held, self.buffer.as_mut_ptr() as u64);
        // Lease calls write only into our buffer (at most BUFFER_LEN bytes:
        // longer accesses are planned with UNMAPPED_BUFFER) and into the
        // callers' arenas.
        // SAFETY: the buffer is ours and as long as any planned access.
        let regs = unsafe { urt::arch::syscall(op.number(), args) };
        if matches!(op, LeaseOp::Copy { .. }) {
            self.child.counts.lease_copies += 1;
        } else {
            self.child.counts.lease_ops += 1;
        }
        let result = abi::check(regs.rax);
        if !planned.expect.admits(regs.rax) {
            return self.child.fail(format_args!("{op:?} gave {result:?}, allowed {:?}", planned.expect));
        }
        match (op, result) {
            (_, Err(KernelError::PeerDied)) => {
                let [a, b] = op.callers();
                let dead =
                    [a, b].iter().find(|&&h| !sys::task_alive(self.held[h].caller)).map(|&h| self.held[h].caller);
                match dead {
                    Some(caller) => self.child.peer_died(caller, "lease call"),
                    None => self.child.fail(format_args!("{op:?}: PeerDied though its callers are alive")),
                }
            }
            (_, Err(_)) => self.child.counts.errors_ok += 1,
            (LeaseOp::Read { at, len, .. }, Ok(_)) => {
                if let Err(offset) = check_read(&self.held, at, &self.buffer[..len as usize]) {
                    self.child.fail(format_args!("{op:?}: byte {offset} differs from the caller's arena"));
                }
            }
            (LeaseOp::Info { held, lease }, Ok(_)) if Some(regs.rdi) != info_flags(&self.held, held, lease) => {
                self.child.fail(format_args!("{op:?}: flags {:#x}, not those lent", regs.rdi));
            }
            _ => {}
        }
        apply(&op, result, &mut self.held, &self.buffer[..sent_len]);
    }

    /// Answers `held` with the account of its arena.
    fn answer(&mut self, held: Held) {
        let bytes = self.account(&held);
        match reply(held.caller, reply_code(held.request.seed), &bytes) {
            Ok(()) => self.answered(held.caller),
            Err(KernelError::PeerDied) => self.child.peer_died(held.caller, "reply"),
            Err(err) => self.child.fail(format_args!("reply to waiting task {}: {err}", held.caller)),
        }
    }

    fn account(&self, held: &Held) -> Vec<u8> {
        let account = MeshReply { hash: held.model.hash(), unknown: held.model.unknown().to_vec() };
        account.encode(held.request.seed, (held.request.reply_len as usize).min(MAX_MESSAGE))
    }

    fn answered(&mut self, caller: TaskId) {
        self.child.counts.replies += 1;
        self.answered.retain(|&id| id != caller);
        if self.answered.len() == ANSWERED_KEPT {
            self.answered.remove(0);
        }
        self.answered.push(caller);
    }

    /// `reply_recv` to `held`; on an error nothing happened, so a plain
    /// receive follows.
    fn answer_and_receive(&mut self, held: Held, request: &mut [u8]) -> Result<Incoming, KernelError> {
        let bytes = self.account(&held);
        match reply_recv(held.caller, reply_code(held.request.seed), &bytes, request, notify::TIMER) {
            Ok(incoming) => {
                self.answered(held.caller);
                return Ok(incoming);
            }
            Err(KernelError::PeerDied) => self.child.peer_died(held.caller, "reply_recv"),
            Err(err) => self.child.fail(format_args!("reply_recv to waiting task {}: {err}", held.caller)),
        }
        recv_incoming(request, notify::TIMER)
    }

    /// Answers some held callers now; perhaps leaves one for `reply_recv`.
    fn choose_answers(&mut self) -> Option<Held> {
        for index in (0..self.held.len()).rev() {
            if self.child.rng.chance(25) || self.held.len() > MAX_HELD {
                let held = self.held.remove(index);
                self.answer(held);
            }
        }
        if !self.held.is_empty() && self.child.rng.chance(30) {
            let index = self.child.rng.below(self.held.len() as u64) as usize;
            return Some(self.held.remove(index));
        }
        None
    }

    /// A task that is not waiting for us: a member, a killed child, one we
    /// answered, the parent's roster's own id (us).
    fn not_waiting(&mut self) -> TaskId {
        let rng = &mut self.child.rng;
        let roster = &self.child.roster;
        let candidate = match rng.below(4) {
            0 if !roster.killed.is_empty() => rng.pick(&roster.killed),
            1 if !self.answered.is_empty() => rng.pick(&self.answered),
            2 => roster.you,
            _ if !roster.members.is_empty() => rng.pick(&roster.members).0,
            _ => roster.you,
        };
        if self.held.iter().any(|h| h.caller == candidate) { roster.you } else { candidate }
    }

    /// A reply to a task that does not wait for us: `NotWaiting`, or
    /// `PeerDied` if it has ended.
    fn stray_reply(&mut self) {
        let target = self.not_waiting();
        match reply(target, 0, b"stray") {
            Err(KernelError::NotWaiting) => self.child.counts.errors_ok += 1,
            Err(KernelError::PeerDied) => self.child.peer_died(target, "stray reply"),
            other => self.child.fail(format_args!("reply to task {target}, which does not wait for us: {other:?}")),
        }
    }

    /// A lease call on a task that does not wait for us.
    fn stale_lease_call(&mut self) {
        let target = self.not_waiting();
        match urt::ipc::lease_info(target, 0) {
            Err(KernelError::NotWaiting) => self.child.counts.errors_ok += 1,
            Err(KernelError::PeerDied) => self.child.peer_died(target, "stale lease_info"),
            other => {
                self.child.fail(format_args!("lease_info on task {target}, which does not wait for us: {other:?}"))
            }
        }
        self.child.counts.lease_ops += 1;
    }

    /// A reply to a held caller that the kernel must refuse (too long,
    /// unreadable data, or a `reply_recv` whose receive half is wrong): the
    /// caller keeps waiting for the real one. The kernel reads only the
    /// reply bytes the caller takes, so unreadable data is tried only on
    /// callers that take some.
    fn refused_reply(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let held = &self.held[self.child.rng.below(self.held.len() as u64) as usize];
        let (caller, takes_bytes) = (held.caller, held.request.capacity > 0);
        let rng = &mut self.child.rng;
        let (number, args, expected) = match rng.below(4) {
            0 if takes_bytes => {
                let len = 1 + rng.below(MAX_MESSAGE as u64);
                (Sysnum::Reply, [caller.raw() as u64, 7, UNMAPPED_BUFFER, len, 0, 0], KernelError::BadAddress)
            }
            1 | 2 => {
                // The reply half is valid: only the receive half is wrong.
                let (buffer, flags, expected) = if rng.chance(50) {
                    (UNMAPPED_BUFFER, 0, KernelError::BadAddress)
                } else {
                    (self.buffer.as_ptr() as u64, 1 << (1 + rng.below(8)), KernelError::BadArgument)
                };
                let reply = b"refused".as_ptr() as u64;
                let lengths = 7 | (MAX_MESSAGE as u64) << 32;
                (
                    Sysnum::ReplyRecv,
                    [caller.raw() as u64 | 7 << 32, reply, lengths, buffer, notify::TIMER as u64, flags],
                    expected,
                )
            }
            _ => {
                let len = MAX_MESSAGE as u64 + 1 + rng.below(4096);
                (Sysnum::Reply, [caller.raw() as u64, 7, UNMAPPED_BUFFER, len, 0, 0], KernelError::BadArgument)
            }
        };
        // The only buffer the kernel may write is our own, as long as a
        // message; the others are read, or unmapped.
        // SAFETY: the reply data and the buffer are ours or unmapped.
        let regs = unsafe { urt::arch::syscall(number, args) };
        match abi::check(regs.rax) {
            Err(err) if err == expected => self.child.counts.errors_ok += 1,
            Err(KernelError::PeerDied) => self.child.peer_died(caller, "refused reply"),
            other => self
                .child
                .fail(format_args!("{number:?}{args:x?} to waiting task {caller}, expected {expected:?}: {other:?}")),
        }
    }
}
