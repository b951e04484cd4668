//! `nc`: a netcat for localhost sockets, full duplex.
//!
//! - `nc HOST PORT`: connects, then at once sends each console line (without
//!   its line end) and prints each message the moment it arrives, until the
//!   end of console input (Ctrl-D), when it disconnects.
//! - `nc -l PORT`: listens for one client, then the same; at the end of
//!   console input it stops sending but keeps printing until the peer
//!   closes (a listener in the background reads no console at all).
//! - `nc -l -k PORT`: listens for any number of clients and serves them one
//!   after another.
//! - `nc HOST PORT MESSAGE...`: sends each MESSAGE as one message, then
//!   prints every message received until the peer closes.
//! - `-w SECONDS` (before the other arguments): gives up when nothing
//!   arrives for that long, printing `nc: recv: E_TIMEOUT (-1031)`.
//!
//! One task waits for the console and the socket together with libsock's
//! `poll_console` (netd's `poll` plus the console's input signal), so nothing
//! spins and a message is shown while the next line is still being typed.
//! When the peer disconnects, nc prints `nc: connection closed by peer` and
//! exits 0. Any other failure prints `nc: CALL: E_NAME (code)` and exits 1.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::poll::{PollEntry, flags};
use libsock::{KernelTransport, ResetReason, SockError, Sockets, Wait};
use netprogs::cli::{self, NC_USAGE, Nc};
use netprogs::net::recv_message_wait;
use netprogs::text::{NC_CLOSED, failure, shown};
use urt::io::Input;
use urt::println;

urt::entry!(main);

const PEER_CLOSED: SockError = SockError::ConnectionReset(ResetReason::PeerDisconnected);

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    let command = match cli::nc(&args) {
        Ok(command) => command,
        Err(line) => {
            println!("{line}");
            return 1;
        }
    };
    let wait_seconds = match &command {
        Nc::Listen { wait_seconds, .. } | Nc::Connect { wait_seconds, .. } => *wait_seconds,
    };
    let mut nc = Netcat {
        sockets: libsock::system(),
        scratch: vec![0u8; MAX_MESSAGE_LEN as usize],
        message: Vec::new(),
        wait: wait_seconds.map_or(Wait::Forever, |s| Wait::Ms(s.saturating_mul(1000))),
        console_open: true,
    };
    let outcome = match command {
        Nc::Listen { port, keep, .. } => nc.listen(port, keep),
        Nc::Connect { host, port, messages, .. } => nc.connect(host, port, &messages),
    };
    match outcome {
        Ok(()) => 0,
        Err(Failure::PeerClosed) => {
            println!("{NC_CLOSED}");
            0
        }
        Err(Failure::Call(call, err)) => {
            println!("{}", failure("nc", call, err));
            1
        }
        Err(Failure::Usage) => {
            println!("{NC_USAGE}");
            1
        }
    }
}

/// Why nc stops, short of success.
enum Failure {
    /// The orderly end: the peer disconnected.
    PeerClosed,
    /// A socket call failed otherwise.
    Call(&'static str, SockError),
    Usage,
}

/// Failure of `call`: an orderly peer close is not an error.
fn failed(call: &'static str) -> impl Fn(SockError) -> Failure {
    move |err| {
        if err == PEER_CLOSED { Failure::PeerClosed } else { Failure::Call(call, err) }
    }
}

fn port_arg(arg: &str, call: &'static str) -> Result<u16, Failure> {
    cli::port(arg).map_err(
        |out_of_range| {
            if out_of_range { Failure::Call(call, SockError::InvalidArg) } else { Failure::Usage }
        },
    )
}

/// Which end of the connection nc is: what the end of console input means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// Disconnects at the end of input.
    Client,
    /// Stops sending and keeps printing until the peer closes.
    Listener,
}

struct Netcat {
    sockets: Sockets<KernelTransport>,
    scratch: Vec<u8>,
    message: Vec<u8>,
    /// How long to wait for something to arrive (`-w`).
    wait: Wait,
    /// Console lines are still sent.
    console_open: bool,
}

impl Netcat {
    fn listen(&mut self, port: &str, keep: bool) -> Result<(), Failure> {
        let port = port_arg(port, "listen")?;
        if !keep {
            let listened = match self.wait {
                Wait::Forever => self.sockets.listen(port),
                wait => self.sockets.listen_wait(port, wait),
            };
            listened.map_err(failed("listen"))?;
            return self.session(port, End::Listener);
        }
        self.sockets.listen_queue(port, 1).map_err(failed("listen"))?;
        loop {
            let (conn, _) = self.sockets.accept_wait(port, self.wait).map_err(failed("accept"))?;
            match self.session(conn, End::Listener) {
                Err(Failure::PeerClosed) => println!("{NC_CLOSED}"),
                Ok(()) => {}
                Err(other) => return Err(other),
            }
        }
    }

    fn connect(&mut self, host: &str, port: &str, messages: &[&str]) -> Result<(), Failure> {
        let port = port_arg(port, "connect")?;
        let local = self.sockets.connect(port, host).map_err(failed("connect"))?;
        let result =
            if messages.is_empty() { self.session(local, End::Client) } else { self.send_messages(local, messages) };
        // A socket whose reset was reported is netd's to free; any other
        // failure leaves it open, so close it rather than wait for exit.
        let reset = matches!(result, Err(Failure::PeerClosed | Failure::Call(_, SockError::ConnectionReset(_))));
        if result.is_err() && !reset {
            let _ = self.sockets.disconnect(local);
        }
        result
    }

    fn send_messages(&mut self, local: u16, messages: &[&str]) -> Result<(), Failure> {
        for message in messages {
            self.sockets.send(local, message.as_bytes()).map_err(failed("send"))?;
        }
        loop {
            self.print_one(local, self.wait)?;
        }
    }

    /// Sends console lines and prints messages as they come, until the
    /// connection ends (or, for a client, the console input).
    fn session(&mut self, port: u16, end: End) -> Result<(), Failure> {
        loop {
            if !self.console_open {
                self.print_one(port, self.wait)?;
                continue;
            }
            let mut entry = [PollEntry::new(port, flags::READABLE)];
            let (ready, console) = self.sockets.poll_console(&mut entry, self.wait).map_err(failed("poll"))?;
            if ready == 0 && !console {
                return Err(Failure::Call("recv", SockError::Timeout));
            }
            if ready > 0 {
                // Readable or reset: this recv does not wait.
                self.print_one(port, Wait::Forever)?;
            }
            if !console {
                continue;
            }
            match urt::read_line() {
                Input::Line(line) => self.sockets.send(port, line.as_bytes()).map_err(failed("send"))?,
                Input::EndOfInput | Input::Interrupted => {
                    self.console_open = false;
                    if end == End::Client {
                        self.print_waiting(port)?;
                        return self.sockets.disconnect(port).map_err(failed("disconnect"));
                    }
                }
            }
        }
    }

    /// Prints the next message, waiting for it as `wait` says.
    fn print_one(&mut self, port: u16, wait: Wait) -> Result<(), Failure> {
        recv_message_wait(&mut self.sockets, port, &mut self.scratch, &mut self.message, wait)
            .map_err(failed("recv"))?;
        println!("{}", shown(&self.message));
        Ok(())
    }

    /// Prints the messages that wait for `port` now, without blocking.
    fn print_waiting(&mut self, port: u16) -> Result<(), Failure> {
        loop {
            let mut entry = [PollEntry::new(port, flags::READABLE)];
            let ready = self.sockets.poll(&mut entry, Wait::NonBlocking).map_err(failed("poll"))?;
            if ready == 0 {
                return Ok(());
            }
            self.print_one(port, Wait::Forever)?;
        }
    }
}
