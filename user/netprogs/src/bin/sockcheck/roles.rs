//! The helper tasks sockcheck starts: `sockcheck peer ROLE PORT [ARG]`.
//!
//! | role | what it does |
//! |------|--------------|
//! | `hold P` | listens on P, then receives and drops messages until the connection ends |
//! | `echo P` | listens on P, then sends every message back until the connection ends |
//! | `sendclose P` | listens on P, sends `last words`, disconnects and exits |
//! | `delaysend P MS` | listens, waits MS, sends `late`, then holds |
//! | `delayrecv P MS` | listens, waits MS, then holds (receives) |
//! | `delayclose P MS` | listens, waits MS, disconnects and exits |
//! | `delayexit P MS` | listens, waits MS, exits without disconnecting |
//! | `listenonly P` | listens on P and stays there (nobody connects) |
//! | `chain P N` | listens on P, P+1, ... P+N-1 in turn, then sleeps until killed |
//! | `connect P` | connects to P (retrying while nothing listens), then holds |
//! | `poke P` | `listen`, `send`, `recv`, `disconnect` on P, which another task owns |
//!
//! Exit status: 0 when the role went as planned; `poke` exits with the
//! first code that was not `E_ACCESS_DENIED` (1 for a success); others exit
//! with the code of the call that failed unexpectedly.

use alloc::vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::{E_ACCESS_DENIED, KernelTransport, SockError, Sockets};
use netprogs::net::{connect_retrying, recv_message};
use urt::sleep;

use crate::suite::PATIENCE_MS;

/// What `sendclose` leaves behind, and `delaysend` sends.
pub const LAST_WORDS: &[u8] = b"last words";
pub const LATE: &[u8] = b"late";

pub fn run<'a>(mut args: impl Iterator<Item = &'a str>) -> i32 {
    let role = args.next().unwrap_or("");
    let port = args.next().and_then(|p| p.parse::<u16>().ok());
    let number = args.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
    let Some(port) = port else {
        urt::println!("sockcheck peer: usage: ROLE PORT [ARG]");
        return 2;
    };
    let mut sockets = libsock::system();
    let result = match role {
        "hold" => listened(&mut sockets, port).and_then(|()| hold(&mut sockets, port)),
        "echo" => listened(&mut sockets, port).and_then(|()| echo(&mut sockets, port)),
        "sendclose" => listened(&mut sockets, port)
            .and_then(|()| sockets.send(port, LAST_WORDS))
            .and_then(|()| sockets.disconnect(port)),
        "delaysend" => listened(&mut sockets, port).and_then(|()| {
            pause(number);
            sockets.send(port, LATE)?;
            hold(&mut sockets, port)
        }),
        "delayrecv" => listened(&mut sockets, port).and_then(|()| {
            pause(number);
            hold(&mut sockets, port)
        }),
        "delayclose" => listened(&mut sockets, port).and_then(|()| {
            pause(number);
            sockets.disconnect(port)
        }),
        "delayexit" => listened(&mut sockets, port).map(|()| pause(number)),
        "listenonly" => sockets.listen(port),
        "chain" => chain(&mut sockets, port, number),
        "connect" => {
            connect_retrying(&mut sockets, port, "localhost", PATIENCE_MS).and_then(|local| hold(&mut sockets, local))
        }
        "poke" => return poke(&mut sockets, port),
        _ => {
            urt::println!("sockcheck peer: unknown role {role}");
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(err) => err.code(),
    }
}

fn listened(sockets: &mut Sockets<KernelTransport>, port: u16) -> Result<(), SockError> {
    sockets.listen(port)
}

fn pause(ms: u64) {
    let _ = sleep(ms);
}

/// Receives and drops messages; the connection's end is the normal way out.
fn hold(sockets: &mut Sockets<KernelTransport>, port: u16) -> Result<(), SockError> {
    let mut scratch = vec![0u8; MAX_MESSAGE_LEN as usize];
    loop {
        match sockets.recv(port, &mut scratch) {
            Ok(_) => {}
            Err(SockError::ConnectionReset(_)) => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}

fn echo(sockets: &mut Sockets<KernelTransport>, port: u16) -> Result<(), SockError> {
    let mut scratch = vec![0u8; MAX_MESSAGE_LEN as usize];
    let mut message = alloc::vec::Vec::new();
    loop {
        match recv_message(sockets, port, &mut scratch, &mut message) {
            Ok(()) => sockets.send(port, &message)?,
            Err(SockError::ConnectionReset(_)) => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}

fn chain(sockets: &mut Sockets<KernelTransport>, first: u16, count: u64) -> Result<(), SockError> {
    for offset in 0..count {
        let port = u16::try_from(u64::from(first) + offset).map_err(|_| SockError::InvalidArg)?;
        sockets.listen(port)?;
    }
    loop {
        pause(1000);
    }
}

fn poke(sockets: &mut Sockets<KernelTransport>, port: u16) -> i32 {
    let mut buf = [0u8; 8];
    let mut seed = sockets.seed();
    let codes = [
        seed.listen(port.into()),
        seed.send(port.into(), b"x", 1),
        seed.recv(port.into(), &mut buf, 8),
        seed.disconnect(port.into()),
    ];
    match codes.iter().find(|&&code| code != E_ACCESS_DENIED) {
        None => 0,
        Some(0) => 1,
        Some(&other) => other,
    }
}
