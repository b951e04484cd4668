//! A client: waits at server 0 for the start, makes its scripted calls,
//! folds every result into its digest and reports it to server 0.

use alloc::vec::Vec;

use abi::{CallArgs, CallResult, Lease, Sysnum, TaskId, lease_flags};
use programs::fuzzgen::{Rng, UNMAPPED_ZONE};
use programs::ipcdigest::{Digest, LEASE_BUF, LeasePlan, SERVERS, Target, op, plan_call};
use urt::ipc::call;
use urt::{println, supervisor};

/// `INDEX SEED CALLS SERVER...`
pub fn run(args: &[&str]) -> i32 {
    let numbers: Vec<Option<u64>> = args.iter().map(|arg| arg.parse().ok()).collect();
    let (Some(&Some(index)), Some(&Some(seed)), Some(&Some(calls))) = (numbers.first(), numbers.get(1), numbers.get(2))
    else {
        println!("ipcdigest client: bad arguments {args:?}");
        return 2;
    };
    let servers: Vec<TaskId> = numbers[3..].iter().flatten().map(|&raw| TaskId::from_raw(raw as u32)).collect();
    let Ok(me) = supervisor::task_id() else {
        println!("ipcdigest client: no task id");
        return 1;
    };
    if servers.len() != SERVERS || call(servers[0], op::START, &[index as u8], &mut [], &[]).is_err() {
        println!("ipcdigest client: cannot start");
        return 1;
    }
    let mut client = Client { index: index as u8, rng: Rng::new(seed.wrapping_mul(1000) + 100 + index), me, servers };
    let mut digest = Digest::default();
    for _ in 0..calls {
        client.call_once(&mut digest);
    }
    let mut report = [0u8; 9];
    report[0] = index as u8;
    report[1..].copy_from_slice(&digest.value().to_le_bytes());
    match call(client.servers[0], op::DONE, &report, &mut [], &[]) {
        Ok(_) => 0,
        Err(_) => 1,
    }
}

struct Client {
    index: u8,
    rng: Rng,
    me: TaskId,
    servers: Vec<TaskId>,
}

impl Client {
    /// One scripted call: its result registers, reply bytes and what the
    /// server left in the write buffer go into `digest`.
    fn call_once(&mut self, digest: &mut Digest) {
        let plan = plan_call(&mut self.rng);
        let dest = match plan.target {
            Target::Server(s) => self.servers[s],
            Target::Stale(s) => self.servers[s].next_generation(),
            Target::Itself => self.me,
        };
        let mut request = [0u8; abi::MAX_MESSAGE];
        request[0] = self.index;
        self.rng.fill(&mut request[1..=plan.request_len]);
        let mut readable = [0u8; LEASE_BUF];
        self.rng.fill(&mut readable);
        let mut writable = [0u8; LEASE_BUF];
        let table: Vec<Lease> = plan
            .leases
            .iter()
            .map(|lease| match *lease {
                LeasePlan::Read { offset, len } => {
                    Lease { addr: readable[offset..].as_ptr() as u64, len: len as u64, flags: lease_flags::READ }
                }
                LeasePlan::Write { offset, len } => {
                    Lease { addr: writable[offset..].as_mut_ptr() as u64, len: len as u64, flags: lease_flags::WRITE }
                }
                LeasePlan::BadFlags => Lease { addr: readable.as_ptr() as u64, len: 1, flags: 1 << 5 },
                LeasePlan::Unmapped { len } => Lease { addr: UNMAPPED_ZONE, len: len as u64, flags: lease_flags::READ },
            })
            .collect();
        let mut reply = [0u8; 300];
        let args = CallArgs {
            dest,
            operation: op::WORK,
            request: request.as_ptr() as u64,
            request_len: 1 + plan.request_len as u32,
            lease_count: table.len() as u32,
            reply: if plan.bad_reply { UNMAPPED_ZONE } else { reply.as_mut_ptr() as u64 },
            reply_cap: plan.reply_cap as u64,
            lease_table: table.as_ptr() as u64,
        };
        // The request, the lease table and the buffers the leases and the
        // reply name live on this stack frame for the whole call, which
        // returns only once the server answered; the unmapped addresses are
        // never mapped by this program.
        // SAFETY: every buffer the kernel may write is ours to be written.
        let regs = unsafe { urt::arch::syscall(Sysnum::Call, args.to_regs()) };
        digest.word(regs.rax as u64);
        if regs.rax == 0 {
            let answer = CallResult::from_regs(&regs.results());
            digest.word(answer.code.into());
            digest.word(answer.len as u64);
            digest.bytes(&reply[..answer.len.min(reply.len())]);
        }
        digest.bytes(&writable);
    }
}
