//! `sockloop`: exchanges numbered messages over a localhost socket until
//! done, checking every byte (see `programs::sockloop` for the messages).
//!
//! - `sockloop server PORT`: listens on PORT, then sends every message back
//!   until the client disconnects; prints `sockloop: ok N` (N messages).
//! - `sockloop client PORT N`: connects to PORT (retrying for up to 2 s
//!   while nothing listens), prints `sockloop: connected to port PORT from
//!   port LOCAL`, sends N messages one at a time, checks each echo,
//!   disconnects and prints `sockloop: ok N`.
//!
//! A failed call prints `sockloop: CALL: E_NAME (code) after N messages`
//! and exits 1; a wrong message prints `sockloop: wrong data: ...` and
//! exits 2. It never retries after a reset, so a netd restart ends it.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::{KernelTransport, ResetReason, SockError, Sockets, Transport};
use programs::sockloop::{parse, Expected, Role, USAGE};
use urt::println;

urt::entry!(main);

/// How long a client waits for its server to listen.
const CONNECT_PATIENCE_MS: u64 = 2000;
const CONNECT_RETRY_MS: u64 = 10;

/// Why the exchange stopped early.
enum Failure {
    Call(&'static str, SockError),
    WrongData(alloc::string::String),
}

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    let Some(role) = parse(&args) else {
        println!("{USAGE}");
        return 2;
    };
    let mut exchange = Exchange { sockets: libsock::system(), scratch: vec![0u8; MAX_MESSAGE_LEN as usize] };
    let (done, result) = match role {
        Role::Server { port } => exchange.serve(port),
        Role::Client { port, count } => exchange.run_client(port, count),
    };
    match result.err() {
        None => {
            println!("sockloop: ok {done}");
            0
        }
        Some(Failure::Call(call, err)) => {
            println!("sockloop: {call}: {err} after {done} messages");
            1
        }
        Some(Failure::WrongData(why)) => {
            println!("sockloop: {why}");
            2
        }
    }
}

struct Exchange {
    sockets: Sockets<KernelTransport>,
    scratch: Vec<u8>,
}

impl Exchange {
    /// Echoes until the client disconnects; returns the messages echoed.
    fn serve(&mut self, port: u16) -> (u64, Result<(), Failure>) {
        let mut expected = Expected::new(port);
        if let Err(err) = self.sockets.listen(port) {
            return (0, Err(Failure::Call("listen", err)));
        }
        loop {
            let message = match self.recv_message(port) {
                Ok(message) => message,
                Err(SockError::ConnectionReset(ResetReason::PeerDisconnected)) => return (expected.done, Ok(())),
                Err(err) => return (expected.done, Err(Failure::Call("recv", err))),
            };
            if let Err(why) = expected.check(&message) {
                return (expected.done, Err(Failure::WrongData(why)));
            }
            if let Err(err) = self.sockets.send(port, &message) {
                return (expected.done, Err(Failure::Call("send", err)));
            }
        }
    }

    /// Sends `count` messages and checks their echoes.
    fn run_client(&mut self, port: u16, count: u64) -> (u64, Result<(), Failure>) {
        let local = match self.connect(port) {
            Ok(local) => local,
            Err(err) => return (0, Err(Failure::Call("connect", err))),
        };
        println!("sockloop: connected to port {port} from port {local}");
        let mut expected = Expected::new(port);
        while expected.done < count {
            let message = expected.next();
            if let Err(err) = self.sockets.send(local, &message) {
                return (expected.done, Err(Failure::Call("send", err)));
            }
            let echo = match self.recv_message(local) {
                Ok(echo) => echo,
                Err(err) => return (expected.done, Err(Failure::Call("recv", err))),
            };
            if let Err(why) = expected.check(&echo) {
                return (expected.done, Err(Failure::WrongData(why)));
            }
        }
        match self.sockets.disconnect(local) {
            Ok(()) => (expected.done, Ok(())),
            Err(err) => (expected.done, Err(Failure::Call("disconnect", err))),
        }
    }

    fn connect(&mut self, port: u16) -> Result<u16, SockError> {
        let start = self.sockets.transport().now_ms();
        loop {
            match self.sockets.connect(port, "localhost") {
                Err(SockError::NotFound)
                    if self.sockets.transport().now_ms().saturating_sub(start) < CONNECT_PATIENCE_MS =>
                {
                    self.sockets.transport().sleep_ms(CONNECT_RETRY_MS);
                }
                other => return other,
            }
        }
    }

    /// One whole message, piece by piece.
    fn recv_message(&mut self, port: u16) -> Result<Vec<u8>, SockError> {
        let mut message = Vec::new();
        loop {
            let (len, more) = self.sockets.recv(port, &mut self.scratch)?;
            message.extend_from_slice(&self.scratch[..len]);
            if !more {
                return Ok(message);
            }
        }
    }
}
