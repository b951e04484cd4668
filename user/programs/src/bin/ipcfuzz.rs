//! `ipcfuzz [SEED] [COUNT]`: sends COUNT (default 5,000) malformed requests
//! to netd, the console and init (`programs::fuzzgen::requests`) and checks
//! each answer: the kernel's refusal for a call it must refuse, a decodable
//! `Response` of the expected kind from netd, an expected reply code from
//! the console and init.
//!
//! Only shapes every server answers at once are sent, so each call returns.
//! The servers must survive: every 1,000 requests and at the end their ids
//! are checked (`task_alive`, and the registry still names the same tasks),
//! and at the end netd must still serve a valid `List`.
//!
//! Then it starts a copy of itself as a lease server (`--lease-server`) and
//! makes COUNT / 5 calls to it with random leases; the server tries random
//! lease calls on each waiting call (`programs::fuzzgen::leases`) and reports
//! results the kernel should not have given. The last line is
//! `ipcfuzz: N requests, ok`, or ends in `FAILED` (exit status 1).
#![no_std]
#![no_main]

extern crate alloc;

use abi::{CallArgs, CallResult, KernelError, Lease, MAX_MESSAGE, PAGE_SIZE, Received, Sysnum, TaskId, map_flags};
use libsock::SockError;
use libsock::proto::{self, ListPage, Request, Response};
use programs::fuzzgen::leases::{self, OP_LEASES, OP_STOP, OPS_PER_CALL};
use programs::fuzzgen::requests::{self, Answer, NetdAnswer, Planned, Server};
use programs::fuzzgen::{Rng, SCRATCH, SCRATCH_RO_PAGE, SCRATCH_RW_PAGES, STAGING, Tally};
use urt::ipc::{call, recv, reply};
use urt::supervisor;
use urt::{println, sys};

urt::entry!(main);

const DEFAULT_SEED: u64 = 1;
const DEFAULT_COUNT: u64 = 5_000;
const CHECK_EVERY: u64 = 1_000;
const MAX_REPORTS: u64 = 20;
const PAGE: u64 = PAGE_SIZE as u64;
const NS_PER_MS: u64 = 1_000_000;

/// The three servers, as looked up at start.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Servers {
    netd: TaskId,
    console: TaskId,
    init: TaskId,
}

impl Servers {
    fn lookup() -> Result<Servers, (&'static str, KernelError)> {
        let find = |name: &'static str| sys::lookup(name).map_err(|err| (name, err));
        Ok(Servers { netd: find("netd")?, console: find("console")?, init: find("init")? })
    }

    fn of(&self, server: Server) -> TaskId {
        match server {
            Server::Netd => self.netd,
            Server::Console => self.console,
            Server::Init => self.init,
        }
    }

    /// The first server that has ended, if any.
    fn dead_one(&self) -> Option<&'static str> {
        [(self.netd, "netd"), (self.console, "console"), (self.init, "init")]
            .into_iter()
            .find(|(id, _)| !sys::task_alive(*id))
            .map(|(_, name)| name)
    }
}

fn main() -> i32 {
    if urt::args().skip(1).any(|arg| arg == leases::SERVE_ARG) {
        return serve_leases();
    }
    let mut args = urt::args().skip(1);
    let (Some(seed), Some(count)) = (number_arg(args.next(), DEFAULT_SEED), number_arg(args.next(), DEFAULT_COUNT))
    else {
        println!("usage: ipcfuzz [SEED] [COUNT]");
        return 2;
    };
    let servers = match Servers::lookup() {
        Ok(servers) => servers,
        Err((name, err)) => {
            println!("ipcfuzz: no {name}: {err}");
            return 1;
        }
    };
    if let Err(err) = map_scratch() {
        println!("ipcfuzz: cannot map scratch memory: {err}");
        return 1;
    }
    let mut rng = Rng::new(seed);
    let mut kernel_refusals = Tally::default();
    let (mut answered, mut unexpected) = ([0u64; 3], 0);
    let started = sys::now_ns();
    for done in 1..=count {
        let planned = requests::plan(&mut rng);
        match send(&servers, &planned) {
            Ok(Outcome::Refused(err)) => kernel_refusals.record_error(err),
            Ok(Outcome::Answered) => answered[planned.server as usize] += 1,
            Err(problem) => {
                unexpected += 1;
                if unexpected <= MAX_REPORTS {
                    println!("ipcfuzz: unexpected: {problem}; request {planned:?}");
                }
            }
        }
        if (done % CHECK_EVERY == 0 || done == count)
            && let Some(name) = servers.dead_one()
        {
            println!("ipcfuzz: {name} ended after {done} requests, FAILED");
            return 1;
        }
    }
    let elapsed_ms = (sys::now_ns() - started) / NS_PER_MS;
    println!(
        "ipcfuzz: seed {seed}: {count} requests in {elapsed_ms} ms: answered by netd {}, console {}, init {}; \
         refused by the kernel {}",
        answered[Server::Netd as usize],
        answered[Server::Console as usize],
        answered[Server::Init as usize],
        kernel_refusals.errors()
    );
    match fuzz_leases(&mut rng, count / 5) {
        Ok(ops) => println!("ipcfuzz: {ops} lease calls on a waiting caller, as expected"),
        Err(problem) => {
            println!("ipcfuzz: lease server: {problem}, FAILED");
            return 1;
        }
    }
    if let Err(problem) = servers_still_serve(&servers) {
        println!("ipcfuzz: {problem}, FAILED");
        return 1;
    }
    if unexpected > 0 {
        println!("ipcfuzz: {count} requests, {unexpected} unexpected answers, FAILED");
        return 1;
    }
    println!("ipcfuzz: {count} requests, ok");
    0
}

/// Scratch memory laid out as `programs::fuzzgen` expects; leases point into it.
fn map_scratch() -> Result<(), KernelError> {
    sys::map(SCRATCH, SCRATCH_RW_PAGES * PAGE, map_flags::WRITE)?;
    sys::map(SCRATCH_RO_PAGE, PAGE, 0)
}

fn number_arg(arg: Option<&str>, default: u64) -> Option<u64> {
    arg.map_or(Some(default), |text| text.parse().ok())
}

enum Outcome {
    Refused(KernelError),
    Answered,
}

/// Sends one planned request and checks the answer against the plan.
fn send(servers: &Servers, planned: &Planned) -> Result<Outcome, alloc::string::String> {
    let table: alloc::vec::Vec<u8> = planned.leases.iter().flat_map(Lease::to_bytes).collect();
    // SAFETY: STAGING lies in the scratch pages mapped writable at start; the
    // table holds at most four leases; no Rust reference points into scratch.
    unsafe { core::ptr::copy_nonoverlapping(table.as_ptr(), STAGING as *mut u8, table.len()) };
    let mut reply = [0u8; MAX_MESSAGE];
    let dest = servers.of(planned.server);
    let args = CallArgs {
        dest,
        operation: planned.op,
        request: planned.request_at.unwrap_or(planned.bytes.as_ptr() as u64),
        request_len: planned.bytes.len() as u32,
        lease_count: planned.lease_count,
        reply: planned.reply_at.unwrap_or(reply.as_mut_ptr() as u64),
        reply_cap: reply.len() as u64,
        lease_table: planned.table,
    };
    // Every address but the request and reply buffers is one the kernel
    // must refuse. Leases name scratch, read-only, sandbox or unmapped memory
    // (fuzzgen's pool), never Rust data, and the servers write no lease of
    // these requests. The call returns: each shape is answered at once.
    // SAFETY: the request and reply buffers are ours for their lengths.
    let regs = unsafe { urt::arch::syscall(Sysnum::Call, args.to_regs()) };
    let result = abi::check(regs.rax);
    let answer = CallResult::from_regs(&regs.results());
    let (code, len) = (answer.code, answer.len.min(reply.len()));
    let bytes = &reply[..len];
    match (planned.answer, result) {
        (Answer::Kernel, Err(err @ (KernelError::BadArgument | KernelError::BadAddress))) => Ok(Outcome::Refused(err)),
        (_, Err(err)) => Err(alloc::format!("kernel error {err:?} ({})", regs.rax)),
        (Answer::Kernel, Ok(_)) => Err(alloc::format!("delivered (code {code}) though the kernel must refuse it")),
        (Answer::Codes(codes), Ok(_)) if codes.contains(&code) => Ok(Outcome::Answered),
        (Answer::Codes(codes), Ok(_)) => Err(alloc::format!("reply code {code}, expected one of {codes:?}")),
        (Answer::Netd(expected), Ok(_)) => match proto::decode_response_with_data(code, bytes) {
            Ok((response, _)) if netd_answer_matches(expected, &response) => Ok(Outcome::Answered),
            Ok((response, _)) => Err(alloc::format!("netd answered {response:?}, expected {expected:?}")),
            Err(err) => Err(alloc::format!("netd reply code {code} with {len} undecodable bytes: {err:?}")),
        },
    }
}

fn netd_answer_matches(expected: NetdAnswer, response: &Response) -> bool {
    matches!(
        (expected, response),
        (NetdAnswer::InvalidArg, Response::Error(SockError::InvalidArg))
            | (NetdAnswer::ListPage, Response::ListPage(_))
            | (NetdAnswer::AnyError, Response::Error(_))
    )
}

/// The servers of the start are alive, still registered, and netd answers
/// a valid request.
fn servers_still_serve(before: &Servers) -> Result<(), alloc::string::String> {
    if let Some(name) = before.dead_one() {
        return Err(alloc::format!("{name} has ended"));
    }
    match Servers::lookup() {
        Ok(now) if now == *before => {}
        Ok(_) => return Err("the registry names other tasks than at the start".into()),
        Err((name, err)) => return Err(alloc::format!("{name} is no longer registered: {err}")),
    }
    let mut request = [0u8; MAX_MESSAGE];
    let list = Request::List { start_index: 0 };
    let request = proto::encode_request(&list, &mut request).map_err(|err| alloc::format!("encoding List: {err:?}"))?;
    let mut reply = [0u8; MAX_MESSAGE];
    let answer = call(before.netd, list.operation(), request, &mut reply, &[])
        .map_err(|err| alloc::format!("netd List: kernel error {err}"))?;
    match proto::decode_response(answer.code, &reply[..answer.len.min(reply.len())]) {
        Ok(Response::ListPage(ListPage { .. })) => Ok(()),
        other => Err(alloc::format!("netd answered List with {other:?}")),
    }
}

/// Starts a lease server (this program with `leases::SERVE_ARG`), makes
/// `rounds` calls to it with random leases, stops it; returns the lease
/// calls it made, or what went wrong.
fn fuzz_leases(rng: &mut Rng, rounds: u64) -> Result<u64, alloc::string::String> {
    let server =
        supervisor::spawn(&["ipcfuzz", leases::SERVE_ARG], false).map_err(|err| alloc::format!("spawn: {err}"))?;
    let mut unexpected = 0;
    for _ in 0..rounds {
        let lent = leases::random_leases(rng);
        let request = leases::encode_request(rng.next_u64(), &lent);
        let mut answer = [0u8; 4];
        let args = CallArgs {
            dest: server,
            operation: OP_LEASES,
            request: request.as_ptr() as u64,
            request_len: request.len() as u32,
            lease_count: lent.len() as u32,
            reply: answer.as_mut_ptr() as u64,
            reply_cap: answer.len() as u64,
            lease_table: lent.as_ptr() as u64,
        };
        // The leases name scratch, read-only, sandbox or unmapped memory
        // (fuzzgen's pool), never Rust data, so the server's writes through
        // them cannot touch anything this program uses.
        // SAFETY: request, answer and the lease table are ours for their lengths.
        let regs = unsafe { urt::arch::syscall(Sysnum::Call, args.to_regs()) };
        abi::check(regs.rax).map_err(|err| alloc::format!("call: {err}"))?;
        unexpected += u32::from_le_bytes(answer) as u64;
    }
    call(server, OP_STOP, &[], &mut [], &[]).map_err(|err| alloc::format!("stop: {err}"))?;
    let ended = supervisor::wait(server).map_err(|err| alloc::format!("wait: {err}"))?;
    if ended != urt::proto::init::Ended::Exited(0) {
        return Err(alloc::format!("it ended with {ended}"));
    }
    if unexpected > 0 {
        return Err(alloc::format!("{unexpected} unexpected results"));
    }
    Ok(rounds * OPS_PER_CALL as u64)
}

/// The lease server: for each call, tries `OPS_PER_CALL` planned lease calls
/// on the caller and answers with how many gave an unexpected result.
fn serve_leases() -> i32 {
    urt::rt::set_program_name("ipcfuzz");
    if let Err(err) = map_scratch() {
        println!("ipcfuzz: lease server: cannot map scratch memory: {err}");
        return 1;
    }
    let mut request = [0u8; MAX_MESSAGE];
    let mut reports = 0;
    loop {
        let Ok(Received::Message(header)) = recv(&mut request, 0) else { continue };
        let caller = header.sender;
        if header.operation == OP_STOP {
            let _ = reply(caller, 0, &[]);
            return 0;
        }
        let mut unexpected: u32 = 0;
        match leases::decode_request(&request[..header.len.min(MAX_MESSAGE)]) {
            Some((seed, lent)) if header.operation == OP_LEASES && lent.len() == header.leases => {
                let mut rng = Rng::new(seed);
                for _ in 0..OPS_PER_CALL {
                    let op = leases::plan_op(&mut rng, caller, &lent);
                    // SAFETY: the planned buffers lie in scratch, read-only,
                    // sandbox, unmapped or kernel memory, never Rust data.
                    let regs = unsafe { urt::arch::syscall(op.number, op.args) };
                    if !op.admits(regs.rax, regs.rdi) {
                        unexpected += 1;
                        reports += 1;
                        if reports <= MAX_REPORTS {
                            println!(
                                "ipcfuzz: lease server: unexpected: {op:?} = {} (rdi {}); leases {lent:?}",
                                regs.rax, regs.rdi
                            );
                        }
                    }
                }
            }
            _ => unexpected += 1,
        }
        let _ = reply(caller, 0, &unexpected.to_le_bytes());
    }
}
