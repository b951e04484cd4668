//! Attacks on netd, the socket service.
//!
//! - `socket-flood`: one program starts children (all in its job), pairs of
//!   which connect to each other until netd refuses, so that the job would
//!   hold the whole socket table but for the per-job quota. It prints
//!   `socket-flood: the job holds N sockets in T tasks; refused: ERROR` and
//!   then stays, holding them, until killed.
//! - `socket-memory`: takes every frame its job may have, then opens and
//!   closes connections and sends small and large messages. netd's memory
//!   is not the job's, so each call must end in a socket result or `E_FAIL`,
//!   never a reset from a netd that died. It prints
//!   `socket-memory: mapped M KiB until refused (ERROR); C calls: A ok, F E_FAIL, O other`
//!   and exits with 0 when O is 0.
//!
//! The other names are the children these start.

use core::fmt::Write;

use abi::{KernelError, Received, TaskId};
use libsock::limits::{MAX_MESSAGE_LEN, MAX_SOCKETS, MAX_SOCKETS_PER_TASK, SMALL_MESSAGE_MAX};
use libsock::{KernelTransport, SockError, Sockets};
use urt::fmtbuf::FixedBuf;
use urt::{ipc, supervisor};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[
    Attack {
        name: "socket-flood",
        about: "children of one job open sockets until refused, then hold them",
        run: flood,
    },
    Attack { name: "socket-memory", about: "use sockets after taking all the memory the job may have", run: memory },
    Attack {
        name: "flood-listener",
        about: "(socket-flood's child) listen on P, P+1, ... N times",
        run: flood_listener,
    },
    Attack {
        name: "flood-connector",
        about: "(socket-flood's child) connect to P, P+1, ... N times",
        run: flood_connector,
    },
    Attack {
        name: "memory-peer",
        about: "(socket-memory's child) listen on P and drain each client",
        run: memory_peer,
    },
];

/// The flood's first listening port; each pair of children takes the next
/// `MAX_SOCKETS_PER_TASK`.
const FLOOD_PORT: u16 = 20_000;
/// How long a connector waits for its listener to reach the next port.
const PATIENCE_MS: u64 = 2_000;
/// Enough pairs of children to fill the whole table, were nothing to stop them.
const MAX_PAIRS: usize = MAX_SOCKETS / (2 * MAX_SOCKETS_PER_TASK) + 1;
const MEMORY_PORT: u16 = 21_000;
/// Connections `socket-memory` opens and closes once its memory is gone.
const MEMORY_ROUNDS: u32 = 100;
/// Where `socket-memory` maps the memory it takes: far from heap and stack.
const HOARD_BASE: u64 = 0x0000_3000_0000_0000;
const PAGE: u64 = abi::PAGE_SIZE as u64;

/// Prints one line without allocating: the attacker may have no memory left.
fn say(line: core::fmt::Arguments<'_>) {
    let mut text = FixedBuf::<200>::new();
    let _ = text.write_fmt(line);
    text.end_line();
    urt::io::write_bytes(text.as_bytes());
}

/// A number as an argument for a child, without allocating.
struct Decimal(FixedBuf<20>);

impl Decimal {
    fn of(value: u64) -> Self {
        let mut text = FixedBuf::new();
        let _ = write!(text, "{value}");
        Decimal(text)
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(self.0.as_bytes()).unwrap_or("")
    }
}

fn number<T: core::str::FromStr>(args: &mut dyn Iterator<Item = &'static str>) -> Option<T> {
    args.next().and_then(|arg| arg.parse().ok())
}

/// A child's result, as it answers its parent's call: sockets made, and the
/// code of the call that stopped it (0: none did).
fn encode_result(made: u32, code: i32) -> [u8; 8] {
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&made.to_le_bytes());
    bytes[4..].copy_from_slice(&code.to_le_bytes());
    bytes
}

/// Answers every call with `result`, for ever: the child stays alive, and
/// its sockets with it, until it is killed.
fn serve_result(made: u32, code: i32) -> ! {
    let result = encode_result(made, code);
    let mut request = [0u8; 8];
    loop {
        if let Ok(Received::Message(header)) = ipc::recv(&mut request, 0) {
            let _ = ipc::reply(header.sender, 0, &result);
        }
    }
}

/// Asks child `task` for its result; blocks until it has one.
fn result_of(task: TaskId) -> Option<(u32, i32)> {
    let mut answer = [0u8; 8];
    let reply = ipc::call(task, 0, &[], &mut answer, &[]).ok()?;
    if reply.len != 8 {
        return None;
    }
    let made = u32::from_le_bytes(answer[..4].try_into().ok()?);
    let code = i32::from_le_bytes(answer[4..].try_into().ok()?);
    Some((made, code))
}

fn spawn(argv: &[&str]) -> Option<TaskId> {
    match supervisor::spawn(argv, false) {
        Ok(task) => Some(task),
        Err(err) => {
            say(format_args!("socket-flood: spawn {}: {err}", argv[1]));
            None
        }
    }
}

fn flood(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let mut sockets = libsock::system();
    let mut children: [Option<TaskId>; 2 * MAX_PAIRS] = [None; 2 * MAX_PAIRS];
    let mut refusal = 0;
    for pair in 0..MAX_PAIRS {
        let first = FLOOD_PORT + (pair * MAX_SOCKETS_PER_TASK) as u16;
        let (port, count) = (Decimal::of(first.into()), Decimal::of(MAX_SOCKETS_PER_TASK as u64));
        let (port, count) = (port.as_str(), count.as_str());
        let Some(listener) = spawn(&["hostile", "flood-listener", port, count]) else {
            break;
        };
        children[2 * pair] = Some(listener);
        let Some(connector) = spawn(&["hostile", "flood-connector", port, count]) else {
            break;
        };
        children[2 * pair + 1] = Some(connector);
        // The connector ends first: at its 64th socket, at a refusal, or
        // when its listener stopped (refused) and never reached the port.
        let Some((_, code)) = result_of(connector) else {
            break;
        };
        if code == SockError::NotFound.code() {
            // The listener was refused: it answers now, blocked no more.
            refusal = result_of(listener).map_or(code, |(_, code)| code);
            break;
        }
        if code != 0 {
            refusal = code;
            break;
        }
    }
    let held = held_by(&mut sockets, &children);
    let tasks = children.iter().flatten().count();
    match SockError::from_code(refusal) {
        Some(error) => {
            say(format_args!("socket-flood: the job holds {held} sockets in {tasks} tasks; refused: {error}"))
        }
        None => say(format_args!("socket-flood: the job holds {held} sockets in {tasks} tasks; never refused")),
    }
    loop {
        let _ = urt::sleep(1_000);
    }
}

/// Sockets netd lists as owned by one of `tasks`.
fn held_by(sockets: &mut Sockets<KernelTransport>, tasks: &[Option<TaskId>]) -> usize {
    let mut held = 0;
    let mut cursor = Some(0);
    while let Some(start) = cursor {
        let Ok(page) = sockets.list(start) else {
            break;
        };
        held += page.iter().filter(|row| tasks.contains(&Some(TaskId::from_raw(row.owner)))).count();
        cursor = page.next_index.filter(|&next| next > start);
    }
    held
}

fn flood_listener(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let (Some(first), Some(count)) = (number::<u16>(args), number::<u16>(args)) else {
        return 2;
    };
    let mut sockets = libsock::system();
    let mut made = 0;
    for port in first..first.saturating_add(count) {
        match sockets.listen(port) {
            Ok(()) => made += 1,
            Err(err) => serve_result(made, err.code()),
        }
    }
    serve_result(made, 0)
}

fn flood_connector(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let (Some(first), Some(count)) = (number::<u16>(args), number::<u16>(args)) else {
        return 2;
    };
    let mut sockets = libsock::system();
    let mut made = 0;
    for port in first..first.saturating_add(count) {
        match connect_patiently(&mut sockets, port) {
            Ok(_) => made += 1,
            Err(err) => serve_result(made, err.code()),
        }
    }
    serve_result(made, 0)
}

/// Connects to `port`, waiting while nothing listens there yet (nothing on
/// the port, or the listener's previous connection not yet freed).
fn connect_patiently(sockets: &mut Sockets<KernelTransport>, port: u16) -> Result<u16, SockError> {
    let start = urt::now_ns() / 1_000_000;
    loop {
        match sockets.connect(port, "localhost") {
            Err(SockError::NotFound | SockError::WrongState) if urt::now_ns() / 1_000_000 - start < PATIENCE_MS => {
                let _ = urt::sleep(1);
            }
            other => return other,
        }
    }
}

/// Tally of the calls `socket-memory` made.
#[derive(Default)]
struct Tally {
    ok: u32,
    failed: u32,
    other: u32,
    first_other: Option<SockError>,
}

impl Tally {
    fn count<T>(&mut self, result: Result<T, SockError>) -> Option<T> {
        match result {
            Ok(value) => {
                self.ok += 1;
                return Some(value);
            }
            Err(SockError::Fail) => self.failed += 1,
            Err(err) => {
                self.other += 1;
                self.first_other.get_or_insert(err);
            }
        }
        None
    }
}

/// Maps pages at [`HOARD_BASE`] until the kernel refuses; returns the bytes
/// mapped and the refusal.
fn take_all_memory() -> (u64, KernelError) {
    let mut mapped = 0;
    let mut step = abi::MAX_LEASE_LEN;
    loop {
        match urt::sys::map(HOARD_BASE + mapped, step, abi::map_flags::WRITE) {
            Ok(()) => mapped += step,
            Err(_) if step > PAGE => step = PAGE,
            Err(err) => return (mapped, err),
        }
    }
}

fn memory(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    // Everything this task needs is allocated before its memory is gone.
    let large = alloc::vec![0x5au8; MAX_MESSAGE_LEN as usize];
    let mut sockets = libsock::system();
    let port = Decimal::of(MEMORY_PORT.into());
    let Ok(peer) = supervisor::spawn(&["hostile", "memory-peer", port.as_str()], false) else {
        say(format_args!("socket-memory: cannot start its peer"));
        return 1;
    };
    // The first connection shows the peer has its buffer and listens.
    let first = connect_patiently(&mut sockets, MEMORY_PORT);
    let (mapped, refusal) = take_all_memory();
    let mut tally = Tally::default();
    let mut connection = tally.count(first);
    for _ in 0..MEMORY_ROUNDS {
        let local = match connection.take() {
            Some(local) => local,
            None => match tally.count(connect_patiently(&mut sockets, MEMORY_PORT)) {
                Some(local) => local,
                None => continue,
            },
        };
        tally.count(sockets.send(local, &large[..SMALL_MESSAGE_MAX as usize]));
        tally.count(sockets.send(local, &large));
        tally.count(sockets.disconnect(local));
    }
    let _ = supervisor::kill(peer);
    let calls = tally.ok + tally.failed + tally.other;
    say(format_args!(
        "socket-memory: mapped {} KiB until refused ({refusal}); {calls} calls: {} ok, {} E_FAIL, {} other",
        mapped / 1024,
        tally.ok,
        tally.failed,
        tally.other
    ));
    if let Some(err) = tally.first_other {
        say(format_args!("socket-memory: first other result: {err}"));
        return 1;
    }
    0
}

fn memory_peer(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let Some(port) = number::<u16>(args) else {
        return 2;
    };
    let mut scratch = alloc::vec![0u8; MAX_MESSAGE_LEN as usize];
    let mut sockets = libsock::system();
    loop {
        if let Err(err) = sockets.listen(port) {
            return err.code();
        }
        // Drain the client until it disconnects, then take the next one.
        while sockets.recv(port, &mut scratch).is_ok() {}
        let _ = sockets.disconnect(port);
    }
}
