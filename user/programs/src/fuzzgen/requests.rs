//! Plans for `ipcfuzz`: malformed requests to netd, the console and init,
//! each with the answer it must get.
//!
//! Every planned request is answered at once, whatever the server: netd gets
//! random bytes, mutated and truncated encodings, wrong versions and
//! operation codes, random leases, but never a valid `listen` or `connect`
//! (the only requests that could leave the fuzzer waiting or give it a
//! socket, whose `recv` could wait). The console never gets a `READ_LINE`
//! with a lease (a foreground reader waits for input), a `WAIT_FOREGROUND`
//! for a task that could be alive, or a `WRITE` whose text it could show.
//! Init never gets `RESTART`, `POWEROFF`, `CRASH` or `FORK` (which would
//! copy the fuzzer), and `SPAWN` only names programs that cannot exist
//! (names start with `~`). The fuzzer has no children while it sends these,
//! so `WAIT_ANY` is answered at once.

use alloc::vec;
use alloc::vec::Vec;

use abi::{Lease, MAX_LEASE_LEN, MAX_LEASES, MAX_MESSAGE, MAX_TASKS, TaskId, USER_END, USER_START};
use libsock::limits::{MAX_PORT, is_local_host};
use libsock::proto::{self, Request, Wait};
use urt::proto::{console, init};

use super::{
    KERNEL_ADDRESSES, PAGE, Rng, SCRATCH_GUARD, SCRATCH_RO_PAGE, STAGING, UNMAPPED_ZONE, UNMAPPED_ZONE_LEN, address,
    length, value,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    Netd,
    Console,
    Init,
}

/// What netd must answer (its reply is always a decodable `Response`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetdAnswer {
    InvalidArg,
    ListPage,
    /// Some `Response::Error`: the fuzzer owns no socket.
    AnyError,
}

/// How a planned request must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The kernel refuses the call before delivering it.
    Kernel,
    Netd(NetdAnswer),
    /// One of these reply codes (console and init).
    Codes(&'static [u32]),
}

/// One planned request.
#[derive(Clone, Debug)]
pub struct Planned {
    pub server: Server,
    pub op: u32,
    /// The request; longer than `MAX_MESSAGE` on purpose sometimes.
    pub bytes: Vec<u8>,
    /// The lease table, written at [`STAGING`].
    pub leases: Vec<Lease>,
    /// The lease count told to the kernel.
    pub lease_count: u32,
    /// Where the kernel finds the lease table: [`STAGING`] or an unreadable address.
    pub table: u64,
    /// An unreadable address to pass instead of the request bytes.
    pub request_at: Option<u64>,
    /// An unwritable address to pass instead of the reply buffer.
    pub reply_at: Option<u64>,
    pub answer: Answer,
}

const BAD_ARGUMENT: u32 = 3;
const DENIED: u32 = 5;
const NOT_FOUND: u32 = 9;

/// Plans the next request to one of the three servers.
pub fn plan(rng: &mut Rng) -> Planned {
    let mut planned = match rng.below(10) {
        0..=5 => netd(rng),
        6 | 7 => console_request(rng),
        _ => init_request(rng),
    };
    if rng.chance(12) {
        break_for_kernel(rng, &mut planned);
    }
    if kernel_refuses(&planned) {
        planned.answer = Answer::Kernel;
    }
    planned
}

fn blank(server: Server, op: u32, bytes: Vec<u8>, leases: Vec<Lease>, answer: Answer) -> Planned {
    let lease_count = leases.len() as u32;
    Planned { server, op, bytes, leases, lease_count, table: STAGING, request_at: None, reply_at: None, answer }
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = if rng.chance(95) { rng.below(72) } else { rng.below(MAX_MESSAGE as u64 + 48) };
    let mut bytes = vec![0; len as usize];
    rng.fill(&mut bytes);
    bytes
}

/// Random leases: any address and length, mostly valid flags.
fn random_leases(rng: &mut Rng) -> Vec<Lease> {
    let count = rng.pick(&[0, 0, 0, 1, 1, 2, 3, 4]);
    (0..count)
        .map(|_| {
            let flags = if rng.chance(90) { rng.below(4) } else { value(rng) };
            Lease { addr: address(rng), len: length(rng), flags }
        })
        .collect()
}

/// Whether the kernel must refuse the call (`docs/abi.md`, `call`).
pub fn kernel_refuses(p: &Planned) -> bool {
    let bad_lease = |l: &Lease| {
        l.flags & !3 != 0 || l.len > MAX_LEASE_LEN || l.addr.checked_add(l.len).is_none_or(|end| end > USER_END)
    };
    p.bytes.len() > MAX_MESSAGE
        || p.lease_count as usize > MAX_LEASES
        || p.reply_at.is_some()
        || (p.table != STAGING && p.lease_count > 0)
        || (p.request_at.is_some() && !p.bytes.is_empty())
        || p.leases.iter().take(p.lease_count as usize).any(bad_lease)
}

/// Makes one argument of the call certainly wrong for the kernel.
fn break_for_kernel(rng: &mut Rng, p: &mut Planned) {
    let kernel = rng.pick(&KERNEL_ADDRESSES);
    match rng.below(5) {
        0 => p.bytes.resize(MAX_MESSAGE + 1 + rng.below(64) as usize, 0x5a),
        1 => p.lease_count = MAX_LEASES as u32 + 1 + rng.below(8) as u32,
        2 => p.reply_at = Some(rng.pick(&[kernel, SCRATCH_RO_PAGE, UNMAPPED_ZONE])),
        3 => {
            p.table = rng.pick(&[kernel, UNMAPPED_ZONE, 16]);
            p.lease_count = p.lease_count.max(1);
        }
        _ => {
            p.request_at = Some(rng.pick(&[kernel, UNMAPPED_ZONE, 0]));
            if p.bytes.is_empty() {
                p.bytes.push(0);
            }
        }
    }
}

// ---- netd ----

const HOSTS: [&str; 7] = ["localhost", "127.0.0.1", "", "LOCALHOST", "localhost\0", "127.0.0.2", "local"];

fn random_socket_request(rng: &mut Rng) -> Request<'static> {
    let port = if rng.chance(70) { rng.below(MAX_PORT as u64 + 10) as u32 } else { value(rng) as u32 };
    let len = length(rng) as u32;
    let wait = rng.pick(&[Wait::Forever, Wait::NonBlocking, Wait::Ms(1)]);
    match rng.below(8) {
        0 => Request::Listen { port },
        1 => Request::Connect { port, host: rng.pick(&HOSTS) },
        2 => Request::Send { port, len },
        3 => Request::Recv { port, len },
        4 => Request::Disconnect { port },
        5 => Request::List { start_index: value(rng) as u32 },
        6 => Request::SendInline { port, len: len % 300, wait },
        _ => Request::RecvInline { port, len, wait },
    }
}

/// Whether netd could leave the caller waiting, or give it a socket: a
/// valid `listen`, or a valid `connect` (if someone listens on that port).
pub fn netd_may_defer(op: u32, bytes: &[u8], lease_count: u32) -> bool {
    match proto::decode_request_with_data(bytes) {
        Ok((request, _)) if request.operation() == op && lease_count == 0 => match request {
            Request::Listen { port } => port <= MAX_PORT,
            Request::Connect { port, host } => port <= MAX_PORT && is_local_host(host),
            _ => false,
        },
        _ => false,
    }
}

/// What netd answers a request it receives (from a task owning no socket).
pub fn netd_answer(op: u32, bytes: &[u8], lease_count: u32) -> NetdAnswer {
    match proto::decode_request_with_data(bytes) {
        Ok((request, _)) if request.operation() == op => match request {
            Request::List { .. } if lease_count == 0 => NetdAnswer::ListPage,
            Request::List { .. } => NetdAnswer::InvalidArg,
            _ => NetdAnswer::AnyError,
        },
        _ => NetdAnswer::InvalidArg,
    }
}

fn netd(rng: &mut Rng) -> Planned {
    let request = random_socket_request(rng);
    let mut buf = [0u8; MAX_MESSAGE];
    // An inline send's data follows it; one too long for a message is none.
    let data = vec![0x5a; request.data_len() as usize];
    let valid = proto::encode_request_with_data(&request, &data, &mut buf).map(<[u8]>::to_vec).unwrap_or_default();
    let mut bytes = valid.clone();
    let mut op = request.operation();
    match rng.below(7) {
        0 => bytes = random_bytes(rng),
        1 => {}
        2 => op = if rng.chance(50) { rng.below(10) as u32 } else { value(rng) as u32 },
        3 => bytes.truncate(rng.below(valid.len() as u64) as usize),
        4 => {
            for _ in 0..1 + rng.below(3) {
                if let Some(byte) = bytes.get_mut(rng.below(valid.len() as u64) as usize) {
                    *byte = if rng.chance(50) { rng.next_u64() as u8 } else { *byte ^ (1 << rng.below(8)) };
                }
            }
        }
        5 => bytes.extend((0..1 + rng.below(4)).map(|_| rng.next_u64() as u8)),
        _ => {
            if let Some(version) = bytes.first_mut() {
                *version = rng.pick(&[0, 2, 0x7f, 0xff]);
            }
        }
    }
    let leases = random_leases(rng);
    if netd_may_defer(op, &bytes, leases.len() as u32) {
        // Operation codes are small: this one matches no request.
        op ^= 0x8000_0000;
    }
    let answer = Answer::Netd(netd_answer(op, &bytes, leases.len() as u32));
    blank(Server::Netd, op, bytes, leases, answer)
}

// ---- console ----

/// A lease for `WRITE` whose text the console cannot show: no `READ` right,
/// memory that is never mapped, no bytes, or one the kernel refuses.
fn unshowable_lease(rng: &mut Rng) -> Lease {
    let len = 1 + rng.below(MAX_LEASE_LEN);
    match rng.below(5) {
        0 => Lease { addr: address(rng), len, flags: rng.pick(&[0, 2]) },
        1 => Lease { addr: UNMAPPED_ZONE + rng.below(UNMAPPED_ZONE_LEN - MAX_LEASE_LEN), len, flags: 1 },
        2 => {
            let (low, guard) = (rng.below(USER_START - MAX_LEASE_LEN), SCRATCH_GUARD + rng.below(PAGE));
            Lease { addr: rng.pick(&[low, guard]), len, flags: 3 }
        }
        3 => Lease { addr: address(rng), len: 0, flags: 1 },
        _ => Lease { addr: rng.pick(&KERNEL_ADDRESSES), len, flags: 1 },
    }
}

/// An id that can never name a live task (its slot index is past the table).
fn never_alive(rng: &mut Rng) -> u32 {
    if rng.chance(20) {
        return TaskId::KERNEL.raw();
    }
    TaskId::new(MAX_TASKS as u16 + rng.below(0x1_0000 - MAX_TASKS as u64) as u16, rng.below(0x1_0000) as u16).raw()
}

fn console_request(rng: &mut Rng) -> Planned {
    let codes = |codes: &'static [u32]| Answer::Codes(codes);
    match rng.below(6) {
        0 | 1 => {
            let mut leases = random_leases(rng);
            let bytes = if leases.is_empty() { Vec::new() } else { random_bytes(rng) };
            if let Some(first) = leases.first_mut() {
                *first = unshowable_lease(rng);
            }
            blank(Server::Console, console::WRITE, bytes, leases, codes(&[0]))
        }
        2 => blank(Server::Console, console::READ_LINE, random_bytes(rng), Vec::new(), codes(&[BAD_ARGUMENT])),
        // Init's calls, refused to anyone else.
        3 => {
            let op = if rng.chance(50) { console::SET_FOREGROUND } else { console::JOB_ENDED };
            blank(Server::Console, op, random_bytes(rng), random_leases(rng), codes(&[DENIED]))
        }
        // The shell's (the system job's) alone: the fuzzer is refused.
        4 => {
            let mut bytes = random_bytes(rng);
            if bytes.len() >= 4 {
                bytes[..4].copy_from_slice(&never_alive(rng).to_le_bytes());
            }
            blank(Server::Console, console::WAIT_FOREGROUND, bytes, Vec::new(), codes(&[DENIED]))
        }
        _ => {
            let op = loop {
                let op = if rng.chance(50) { rng.below(12) as u32 } else { value(rng) as u32 };
                if !(console::WRITE..=console::WATCH_INPUT).contains(&op) {
                    break op;
                }
            };
            blank(Server::Console, op, random_bytes(rng), random_leases(rng), codes(&[BAD_ARGUMENT]))
        }
    }
}

// ---- init ----

/// Init's operations that would restart, crash or power off something, or
/// make a copy of the fuzzer.
pub const INIT_FORBIDDEN: [u32; 4] = [init::RESTART, init::POWEROFF, init::CRASH, init::FORK];

/// Whether init knows `op` (the rest are answered `BadArgument`).
fn init_knows(op: u32) -> bool {
    (init::SPAWN..=init::TASK_ID).contains(&op) || op == init::KILL_JOB
}

/// A `SPAWN` request: a flags byte, then arguments that each start with `~`
/// (or are empty), so the program named is never in the boot image.
fn spawn_request(rng: &mut Rng) -> Vec<u8> {
    let mut bytes = random_bytes(rng);
    for i in 1..bytes.len() {
        if (i == 1 || bytes[i - 1] == 0) && bytes[i] != 0 {
            bytes[i] = b'~';
        }
    }
    bytes
}

fn with_id(rng: &mut Rng, id: u32) -> Vec<u8> {
    let mut bytes = random_bytes(rng);
    if bytes.len() >= 4 || rng.chance(80) {
        bytes.resize(bytes.len().max(4), 0);
        bytes[..4].copy_from_slice(&id.to_le_bytes());
    }
    bytes
}

fn init_request(rng: &mut Rng) -> Planned {
    let leases = random_leases(rng);
    let id = if rng.chance(50) {
        never_alive(rng)
    } else {
        rng.below(MAX_TASKS as u64) as u32 | (rng.below(4) as u32) << 16
    };
    let (op, bytes) = match rng.below(10) {
        0 => (init::SPAWN, spawn_request(rng)),
        1 => (init::WAIT, with_id(rng, id)),
        2 => (init::POLL, random_bytes(rng)),
        3 => (init::KILL, with_id(rng, id)),
        4 => {
            let index = if rng.chance(50) { rng.below(20) as u32 } else { value(rng) as u32 };
            (init::PROGRAM, with_id(rng, index))
        }
        5 => (init::RESTARTS, with_id(rng, id)),
        6 => (init::WAIT_ANY, random_bytes(rng)),
        7 => (init::TASK_ID, random_bytes(rng)),
        8 => (init::KILL_JOB, with_id(rng, id)),
        _ => {
            let op = loop {
                let op = if rng.chance(50) { rng.below(16) as u32 } else { value(rng) as u32 };
                if !init_knows(op) {
                    break op;
                }
            };
            (op, random_bytes(rng))
        }
    };
    let short = bytes.len() < 4;
    let answer: &'static [u32] = match op {
        init::SPAWN => &[BAD_ARGUMENT, NOT_FOUND],
        init::POLL | init::WAIT_ANY => &[NOT_FOUND],
        init::TASK_ID => &[0],
        // The shell's alone: refused before the request is read.
        init::KILL_JOB => &[DENIED],
        _ if short => &[BAD_ARGUMENT],
        init::WAIT => &[NOT_FOUND],
        init::KILL => &[DENIED],
        init::PROGRAM => &[0, NOT_FOUND],
        init::RESTARTS => &[0],
        _ => &[BAD_ARGUMENT],
    };
    blank(Server::Init, op, bytes, leases, Answer::Codes(answer))
}
