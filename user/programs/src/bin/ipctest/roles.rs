//! The helper roles ipctest spawns: a test server and its clients.
//!
//! Server operations:
//! - `HOLD`: held until a second `HOLD` arrives; then the second is answered
//!   first (seq 1) and the first second (seq 2): deferred replies, out of
//!   order. The reply is the seq byte followed by the caller's request.
//! - `BOUNDS`: lease 0 READ and lease 1 WRITE, 16 bytes each: the server
//!   tries accesses that must be refused and answers how many were not.
//! - `COPY_SRC` / `COPY_DST`: held until both arrived; then the source's
//!   lease 0 is copied straight into the destination's lease 0.
//! - `COPY_WITHIN`: lease 0 READ and lease 1 WRITE name the same buffer; the
//!   request is three little-endian `u32`s (source offset, destination
//!   offset, length) for one `lease_copy` from lease 0 to lease 1.
//! - `HANG`: never answered.
//! - `QUIT`: answered, then the server exits.

use alloc::vec::Vec;

use abi::{KernelError, Received, TaskId};
use urt::ipc::{LeaseAt, Loan, call, lease_copy, lease_read, lease_write, recv, reply};

pub const HOLD: u32 = 1;
pub const BOUNDS: u32 = 2;
pub const COPY_SRC: u32 = 3;
pub const COPY_DST: u32 = 4;
pub const HANG: u32 = 5;
pub const QUIT: u32 = 6;
pub const COPY_WITHIN: u32 = 7;

/// What the copy source lends.
pub const COPY_TEXT: &[u8] = b"copied lease to lease";
/// Status of a client whose reply was not its own.
pub const WRONG_REPLY: i32 = 99;

pub fn run<'a>(role: &str, mut args: impl Iterator<Item = &'a str>) -> i32 {
    let server = args.next().and_then(|raw| raw.parse().ok()).map(TaskId::from_raw);
    match (role, server) {
        ("server", _) => serve(),
        ("exit", _) => 0,
        ("client", Some(server)) => hold_client(server, args.next().unwrap_or("")),
        ("copysrc", Some(server)) => {
            let sent = call(server, COPY_SRC, &[], &mut [], &[Loan::read(COPY_TEXT)]);
            if sent.is_ok() { 0 } else { 1 }
        }
        ("caller", Some(server)) => match call(server, HANG, &[], &mut [], &[]) {
            Err(KernelError::PeerDied) => 0,
            _ => 1,
        },
        _ => {
            urt::println!("ipctest: unknown role {role}");
            2
        }
    }
}

/// Exits with the reply's seq (1 or 2) if the reply carries our own token.
fn hold_client(server: TaskId, token: &str) -> i32 {
    let mut answer = [0u8; 64];
    match call(server, HOLD, token.as_bytes(), &mut answer, &[]) {
        Ok(r) if r.len >= 1 && &answer[1..r.len] == token.as_bytes() => answer[0] as i32,
        _ => WRONG_REPLY,
    }
}

fn serve() -> i32 {
    let mut held: Vec<(TaskId, Vec<u8>)> = Vec::new();
    let mut copy_src: Option<TaskId> = None;
    let mut copy_dst: Option<TaskId> = None;
    let mut buf = [0u8; 64];
    loop {
        let Ok(Received::Message(m)) = recv(&mut buf, 0) else { continue };
        let request = &buf[..m.len.min(buf.len())];
        match m.operation {
            HOLD => {
                held.push((m.sender, request.to_vec()));
                if held.len() == 2 {
                    for (seq, (caller, token)) in held.drain(..).rev().enumerate() {
                        let mut answer = alloc::vec![seq as u8 + 1];
                        answer.extend_from_slice(&token);
                        let _ = reply(caller, 0, &answer);
                    }
                }
            }
            BOUNDS => {
                let _ = reply(m.sender, 0, &[bounds_failures(m.sender)]);
            }
            COPY_SRC => copy_src = Some(m.sender),
            COPY_DST => copy_dst = Some(m.sender),
            COPY_WITHIN => {
                let _ = reply(m.sender, copy_within(m.sender, request), &[]);
            }
            HANG => {}
            QUIT => {
                let _ = reply(m.sender, 0, &[]);
                return 0;
            }
            _ => {
                let _ = reply(m.sender, 1, &[]);
            }
        }
        if let (Some(src), Some(dst)) = (copy_src, copy_dst) {
            let from = LeaseAt { caller: src, index: 0, offset: 0 };
            let to = LeaseAt { caller: dst, index: 0, offset: 0 };
            let code = match lease_copy(from, to, COPY_TEXT.len()) {
                Ok(n) if n == COPY_TEXT.len() => 0,
                _ => 1,
            };
            let _ = reply(src, code, &[]);
            let _ = reply(dst, code, &[]);
            (copy_src, copy_dst) = (None, None);
        }
    }
}

/// Encodes a `COPY_WITHIN` request.
pub fn copy_within_request(from: usize, to: usize, len: usize) -> [u8; 12] {
    let mut request = [0u8; 12];
    for (chunk, value) in request.chunks_mut(4).zip([from, to, len]) {
        chunk.copy_from_slice(&(value as u32).to_le_bytes());
    }
    request
}

/// Copies within the caller's buffer from lease 0 to lease 1 as the request
/// says; the reply code is 0 when all bytes were copied.
fn copy_within(caller: TaskId, request: &[u8]) -> u32 {
    let field = |i: usize| request.get(i * 4..i * 4 + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let (Some(from), Some(to), Some(len)) = (field(0), field(1), field(2)) else {
        return 1;
    };
    let source = LeaseAt { caller, index: 0, offset: from as usize };
    let destination = LeaseAt { caller, index: 1, offset: to as usize };
    match lease_copy(source, destination, len as usize) {
        Ok(n) if n == len as usize => 0,
        _ => 1,
    }
}

/// Tries accesses the kernel must refuse; returns how many it allowed.
fn bounds_failures(caller: TaskId) -> u8 {
    let mut big = [0u8; 17];
    let mut small = [0u8; 8];
    let refused = [
        lease_read(caller, 0, 0, &mut big),
        lease_read(caller, 0, 10, &mut small),
        lease_write(caller, 1, 16, &[1]),
        lease_write(caller, 1, 9, &small),
        // Lease 0 lends for reading only, lease 1 for writing only.
        lease_write(caller, 0, 0, &[1]),
        lease_read(caller, 1, 0, &mut small),
    ];
    let mut failures = refused.iter().filter(|r| **r != Err(KernelError::LeaseBounds)).count();
    if lease_read(caller, 2, 0, &mut small) != Err(KernelError::BadArgument) {
        failures += 1;
    }
    if lease_read(caller, 0, 8, &mut small) != Ok(8) {
        failures += 1;
    }
    failures as u8
}
