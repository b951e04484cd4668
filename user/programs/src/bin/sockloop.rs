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
//! exits 2. Without `--reconnect` it never retries after a reset, so a netd
//! restart ends it.
//!
//! With `--reconnect` a reset by a netd restart (-1030) is survived: the
//! server listens again, the client connects again (retrying for up to
//! 10 s) and starts a new exchange from message 1. The client stops after
//! COUNT messages in all, or after MS ms, and ends with a clean disconnect
//! (connecting once more if a restart took the last connection), which
//! ends the server too; each prints `sockloop: ok N messages, R resets`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::{KernelTransport, ResetReason, SockError, Sockets, Transport};
use programs::sockloop::{Expected, Role, USAGE, parse};
use urt::println;

urt::entry!(main);

/// How long a client waits for its server to listen.
const CONNECT_PATIENCE_MS: u64 = 2000;
/// How long a reconnecting side keeps trying to reach netd or its peer.
const RECONNECT_PATIENCE_MS: u64 = 10_000;
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
    let (done, resets, result) = match role {
        Role::Server { port, reconnect: false } => with_no_resets(exchange.serve(port)),
        Role::Client { port, count, reconnect: None } => with_no_resets(exchange.run_client(port, count)),
        Role::Server { port, reconnect: true } => exchange.serve_reconnecting(port),
        Role::Client { port, count, reconnect: Some(ms) } => exchange.run_client_reconnecting(port, count, ms),
    };
    let reconnecting = matches!(role, Role::Server { reconnect: true, .. } | Role::Client { reconnect: Some(_), .. });
    match result.err() {
        None if reconnecting => {
            println!("sockloop: ok {done} messages, {resets} resets");
            0
        }
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
        if let Err(err) = self.sockets.listen(port) {
            return (0, Err(Failure::Call("listen", err)));
        }
        self.echo(port)
    }

    /// Echoes on a connection until the client disconnects.
    fn echo(&mut self, port: u16) -> (u64, Result<(), Failure>) {
        let mut expected = Expected::new(port);
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
        let (done, result) = self.exchange(port, local, count, u64::MAX);
        if result.is_err() {
            return (done, result);
        }
        match self.sockets.disconnect(local) {
            Ok(()) => (done, Ok(())),
            Err(err) => (done, Err(Failure::Call("disconnect", err))),
        }
    }

    /// Sends up to `count` numbered messages on a connection, until
    /// `deadline_ms`, and checks their echoes.
    fn exchange(&mut self, port: u16, local: u16, count: u64, deadline_ms: u64) -> (u64, Result<(), Failure>) {
        let mut expected = Expected::new(port);
        while expected.done < count && self.sockets.transport().now_ms() < deadline_ms {
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
        (expected.done, Ok(()))
    }

    fn connect(&mut self, port: u16) -> Result<u16, SockError> {
        self.connect_within(port, CONNECT_PATIENCE_MS, |err| err == SockError::NotFound)
    }

    /// Connects, retrying the errors `retry` accepts for up to `patience_ms`.
    fn connect_within(&mut self, port: u16, patience_ms: u64, retry: fn(SockError) -> bool) -> Result<u16, SockError> {
        let start = self.sockets.transport().now_ms();
        loop {
            match self.sockets.connect(port, "localhost") {
                Err(err) if retry(err) && self.sockets.transport().now_ms().saturating_sub(start) < patience_ms => {
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

fn with_no_resets((done, result): (u64, Result<(), Failure>)) -> (u64, u64, Result<(), Failure>) {
    (done, 0, result)
}

/// The reset a netd restart gives.
const RESTARTED: SockError = SockError::ConnectionReset(ResetReason::NetdRestarted);

/// Errors of `listen` and `connect` while netd restarts or the peer has not
/// listened again yet.
fn transient(err: SockError) -> bool {
    matches!(err, SockError::NotFound | SockError::Fail) || err == RESTARTED
}

impl Exchange {
    /// Listens and echoes again after every netd restart, until a client
    /// disconnects; returns the messages echoed and the resets seen.
    fn serve_reconnecting(&mut self, port: u16) -> (u64, u64, Result<(), Failure>) {
        let (mut done, mut resets) = (0, 0);
        let mut since = self.sockets.transport().now_ms();
        loop {
            match self.sockets.listen(port) {
                Ok(()) => {}
                Err(err) if transient(err) && self.sockets.transport().now_ms() - since < RECONNECT_PATIENCE_MS => {
                    self.sockets.transport().sleep_ms(CONNECT_RETRY_MS);
                    continue;
                }
                Err(err) => return (done, resets, Err(Failure::Call("listen", err))),
            }
            let (echoed, result) = self.echo(port);
            done += echoed;
            match result {
                Err(Failure::Call(_, RESTARTED)) => resets += 1,
                result => return (done, resets, result),
            }
            since = self.sockets.transport().now_ms();
        }
    }

    /// Exchanges `count` messages in all (or until `ms` have passed),
    /// connecting again after every netd restart, then disconnects.
    fn run_client_reconnecting(&mut self, port: u16, count: u64, ms: u64) -> (u64, u64, Result<(), Failure>) {
        let deadline = self.sockets.transport().now_ms().saturating_add(ms);
        let (mut done, mut resets, mut finished) = (0, 0, false);
        loop {
            let local = match self.connect_within(port, RECONNECT_PATIENCE_MS, transient) {
                Ok(local) => local,
                Err(err) => return (done, resets, Err(Failure::Call("connect", err))),
            };
            if (done, resets) == (0, 0) {
                println!("sockloop: connected to port {port} from port {local}");
            }
            if !finished {
                let (exchanged, result) = self.exchange(port, local, count - done, deadline);
                done += exchanged;
                match result {
                    Ok(()) => finished = true,
                    Err(Failure::Call(_, RESTARTED)) => {
                        resets += 1;
                        continue;
                    }
                    Err(failure) => return (done, resets, Err(failure)),
                }
            }
            // The server ends when it sees this disconnect: a restart that
            // took the connection means one more connection to end it on.
            match self.sockets.disconnect(local) {
                Ok(()) => return (done, resets, Ok(())),
                Err(RESTARTED) => resets += 1,
                Err(err) => return (done, resets, Err(Failure::Call("disconnect", err))),
            }
        }
    }
}
