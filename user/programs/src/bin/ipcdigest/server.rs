//! A server: takes the clients' calls and the parent's, works on the leases
//! of the callers it holds and answers them now, with its next receive, or
//! later and out of order, folding every result into its digest.

use alloc::vec::Vec;

use abi::{MAX_MESSAGE, Received, TaskId};
use programs::fuzzgen::Rng;
use programs::ipcdigest::{Answer, CLIENTS, Digest, LEASE_BUF, LeaseCall, op, plan_answer, plan_lease_call};
use urt::ipc::{self, LeaseAt};
use urt::{println, supervisor};

/// A caller held for a later answer.
#[derive(Clone, Copy)]
struct Held {
    caller: TaskId,
    leases: usize,
}

/// A reply that goes out with the next receive.
struct Pending {
    to: TaskId,
    code: u32,
    data: Vec<u8>,
}

impl Pending {
    fn reply_to(&self) -> ipc::ReplyTo<'_> {
        ipc::ReplyTo { caller: self.to, code: self.code, data: &self.data }
    }
}

struct Server {
    index: usize,
    me: TaskId,
    rng: Rng,
    digest: Digest,
    held: Vec<Held>,
    /// At most two replies that go out with the next receive, oldest first.
    pending: Vec<Pending>,
    /// `START` callers, answered in client order at `GO`.
    starting: Vec<(u8, TaskId)>,
    client_digests: [u64; CLIENTS],
    clients_done: usize,
}

/// `INDEX SEED`
pub fn run(args: &[&str]) -> i32 {
    let numbers: Vec<Option<u64>> = args.iter().map(|arg| arg.parse().ok()).collect();
    let (Some(&Some(index)), Some(&Some(seed)), Ok(me)) = (numbers.first(), numbers.get(1), supervisor::task_id())
    else {
        println!("ipcdigest server: bad arguments {args:?}");
        return 2;
    };
    let mut server = Server {
        index: index as usize,
        me,
        rng: Rng::new(seed.wrapping_mul(1000) + index),
        digest: Digest::default(),
        held: Vec::new(),
        pending: Vec::new(),
        starting: Vec::new(),
        client_digests: [0; CLIENTS],
        clients_done: 0,
    };
    server.serve()
}

impl Server {
    fn serve(&mut self) -> i32 {
        let mut buf = [0u8; MAX_MESSAGE];
        loop {
            let pending = core::mem::take(&mut self.pending);
            let sent = match &pending[..] {
                [earlier, later] => Some(ipc::reply2_recv(earlier.reply_to(), later.reply_to(), &mut buf, 0)),
                [only] => Some(ipc::reply_recv(only.to, only.code, &only.data, &mut buf, 0)),
                _ => None,
            };
            let incoming = match sent {
                Some(Ok(incoming)) => Ok(incoming),
                Some(Err(error)) => {
                    // Nothing went out: send them one by one.
                    self.digest.result::<u64, i64>(Err(error.code()));
                    for reply in &pending {
                        self.digest
                            .result(ipc::reply(reply.to, reply.code, &reply.data).map(|()| 0u64).map_err(|e| e.code()));
                    }
                    ipc::recv_incoming(&mut buf, 0)
                }
                None => ipc::recv_incoming(&mut buf, 0),
            };
            let Ok(incoming) = incoming else { return 1 };
            let Received::Message(message) = incoming.received else { continue };
            let request = &buf[..message.len.min(MAX_MESSAGE)];
            match message.operation {
                op::START => self.starting.push((request.first().copied().unwrap_or(0), message.sender)),
                op::GO => {
                    self.starting.sort_unstable_by_key(|&(client, _)| client);
                    for (_, caller) in self.starting.drain(..) {
                        let _ = ipc::reply(caller, 0, &[]);
                    }
                    self.answer_later(message.sender, 0, Vec::new());
                }
                op::WORK => {
                    let first = incoming.first_lease.map(|lease| (lease.len as u64, lease.flags));
                    self.work(message.sender, message.leases, first, request);
                }
                op::TICK => {
                    self.answer_held();
                    let done = self.index == 0 && self.clients_done == CLIENTS;
                    self.answer_later(message.sender, 0, alloc::vec![done as u8]);
                }
                op::DONE => {
                    if let (Some(&client), Some(digest)) = (request.first(), request.get(1..9))
                        && let (Some(slot), Ok(bytes)) =
                            (self.client_digests.get_mut(client as usize), digest.try_into())
                    {
                        *slot = u64::from_le_bytes(bytes);
                        self.clients_done += 1;
                    }
                    self.answer_later(message.sender, 0, Vec::new());
                }
                op::QUIT => {
                    self.answer_held();
                    let mut answer = self.digest.value().to_le_bytes().to_vec();
                    for digest in self.client_digests {
                        answer.extend_from_slice(&digest.to_le_bytes());
                    }
                    let _ = ipc::reply(message.sender, 0, &answer);
                    return 0;
                }
                _ => self.answer_later(message.sender, 1, Vec::new()),
            }
        }
    }

    /// Holds a reply for the next receive; a third one sends the oldest now.
    fn answer_later(&mut self, to: TaskId, code: u32, data: Vec<u8>) {
        if self.pending.len() == 2 {
            let oldest = self.pending.remove(0);
            self.digest.result(ipc::reply(oldest.to, oldest.code, &oldest.data).map(|()| 0u64).map_err(|e| e.code()));
        }
        self.pending.push(Pending { to, code, data });
    }

    /// A random answer: code and bytes.
    fn random_answer(&mut self) -> (u32, Vec<u8>) {
        let mut data = alloc::vec![0u8; self.rng.below(MAX_MESSAGE as u64 + 1) as usize];
        self.rng.fill(&mut data);
        (self.rng.next_u64() as u32, data)
    }

    fn reply_now(&mut self, to: TaskId) {
        let (code, data) = self.random_answer();
        self.digest.result(ipc::reply(to, code, &data).map(|()| 0u64).map_err(|e| e.code()));
    }

    fn answer_held(&mut self) {
        while !self.held.is_empty() {
            let held = self.held.remove(0);
            self.reply_now(held.caller);
        }
    }

    /// A `WORK` call: what it brought, lease calls on it and on the held
    /// callers, replies the kernel must refuse, and its answer.
    fn work(&mut self, caller: TaskId, leases: usize, first_lease: Option<(u64, u64)>, request: &[u8]) {
        self.digest.word(leases as u64);
        self.digest.word(request.len() as u64);
        self.digest.bytes(request);
        if let Some((len, flags)) = first_lease {
            self.digest.word(len);
            self.digest.word(flags);
        }
        self.held.push(Held { caller, leases });
        for _ in 0..self.rng.below(4) {
            self.lease_call(caller, leases);
        }
        self.held.pop();
        if self.rng.chance(5) {
            // Too long, and to a task that waits for nobody: both refused.
            let refused = [ipc::reply(caller, 0, &[0; MAX_MESSAGE + 1]), ipc::reply(self.me, 0, &[])];
            for result in refused {
                self.digest.result(result.map(|()| 0u64).map_err(|e| e.code()));
            }
        }
        if !self.held.is_empty() && self.rng.chance(25) {
            let at = self.rng.below(self.held.len() as u64) as usize;
            let held = self.held.remove(at);
            if self.rng.chance(50) {
                self.reply_now(held.caller);
            } else {
                let (code, data) = self.random_answer();
                self.answer_later(held.caller, code, data);
            }
        }
        match plan_answer(&mut self.rng, self.held.len()) {
            Answer::WithNextReceive => {
                let (code, data) = self.random_answer();
                self.answer_later(caller, code, data);
            }
            Answer::Now => self.reply_now(caller),
            Answer::Hold => self.held.push(Held { caller, leases }),
        }
    }

    /// One lease call on `caller` (a copy may involve another held caller).
    fn lease_call(&mut self, caller: TaskId, leases: usize) {
        let mut buf = [0u8; LEASE_BUF + 1];
        match plan_lease_call(&mut self.rng, leases) {
            LeaseCall::Info { index } => {
                let info = ipc::lease_info(caller, index);
                self.digest.result(info.map(|(len, flags)| len as u64 ^ flags << 40).map_err(|e| e.code()));
            }
            LeaseCall::Read { index, offset, len } => {
                let read = ipc::lease_read(caller, index, offset, &mut buf[..len]);
                self.digest.result(read.map(|n| n as u64).map_err(|e| e.code()));
                self.digest.bytes(&buf[..len]);
            }
            LeaseCall::Write { index, offset, len } => {
                self.rng.fill(&mut buf[..len]);
                let written = ipc::lease_write(caller, index, offset, &buf[..len]);
                self.digest.result(written.map(|n| n as u64).map_err(|e| e.code()));
            }
            LeaseCall::Copy { src, dst, offset, len } => {
                let other = self.held[self.rng.below(self.held.len() as u64) as usize];
                let from = LeaseAt { caller, index: src, offset };
                let to = LeaseAt { caller: other.caller, index: dst.min(other.leases), offset: 0 };
                let copied = ipc::lease_copy(from, to, len);
                let outcome = copied.map(|n| n as u64).map_err(|e| e.error.code() - 100 * e.side.register() as i64);
                self.digest.result(outcome);
            }
        }
    }
}
