//! `nc`: a netcat for localhost sockets.
//!
//! - `nc -l PORT`: listens, then prints every message received, one per line.
//! - `nc HOST PORT MESSAGE...`: connects, sends each MESSAGE as one message,
//!   then prints every message received, one per line.
//! - `nc HOST PORT`: connects, then sends each console line (without its
//!   line end) until Ctrl-D or the end of input, then disconnects.
//!
//! Only the last form reads the console. A task has one thread and the
//! socket calls block, so that form cannot wait for the console and the
//! socket at once: after each line it sends (and before disconnecting) it
//! asks netd's socket table whether a message waits for it, and prints the
//! waiting messages then. A message that arrives while nc waits for a line
//! is therefore printed after the next line is typed.
//!
//! When the peer disconnects, nc prints `nc: connection closed by peer` and
//! exits 0. Any other failure prints `nc: CALL: E_NAME (code)` and exits 1.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::proto::RowState;
use libsock::{KernelTransport, ResetReason, SockError, Sockets};
use netprogs::cli::{self, NC_USAGE, Nc};
use netprogs::net::{find_row, recv_message};
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
    let mut nc = Netcat {
        sockets: libsock::system(),
        scratch: vec![0u8; MAX_MESSAGE_LEN as usize],
        message: Vec::new(),
    };
    let outcome = match command {
        Nc::Listen { port } => nc.listen(port),
        Nc::Connect {
            host,
            port,
            messages,
        } => nc.connect(host, port, &messages),
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
        if err == PEER_CLOSED {
            Failure::PeerClosed
        } else {
            Failure::Call(call, err)
        }
    }
}

fn port_arg(arg: &str, call: &'static str) -> Result<u16, Failure> {
    cli::port(arg).map_err(|out_of_range| {
        if out_of_range {
            Failure::Call(call, SockError::InvalidArg)
        } else {
            Failure::Usage
        }
    })
}

struct Netcat {
    sockets: Sockets<KernelTransport>,
    scratch: Vec<u8>,
    message: Vec<u8>,
}

impl Netcat {
    fn listen(&mut self, port: &str) -> Result<(), Failure> {
        let port = port_arg(port, "listen")?;
        self.sockets.listen(port).map_err(failed("listen"))?;
        self.print_all(port)
    }

    fn connect(&mut self, host: &str, port: &str, messages: &[&str]) -> Result<(), Failure> {
        let port = port_arg(port, "connect")?;
        let local = self
            .sockets
            .connect(port, host)
            .map_err(failed("connect"))?;
        let result = if messages.is_empty() {
            self.send_lines(local)
        } else {
            self.send_messages(local, messages)
        };
        // A socket whose reset was reported is netd's to free; any other
        // failure leaves it open, so close it rather than wait for exit.
        let reset = matches!(
            result,
            Err(Failure::PeerClosed | Failure::Call(_, SockError::ConnectionReset(_)))
        );
        if result.is_err() && !reset {
            let _ = self.sockets.disconnect(local);
        }
        result
    }

    fn send_messages(&mut self, local: u16, messages: &[&str]) -> Result<(), Failure> {
        for message in messages {
            self.sockets
                .send(local, message.as_bytes())
                .map_err(failed("send"))?;
        }
        self.print_all(local)
    }

    fn send_lines(&mut self, local: u16) -> Result<(), Failure> {
        loop {
            match urt::read_line() {
                Input::Line(line) => {
                    self.sockets
                        .send(local, line.as_bytes())
                        .map_err(failed("send"))?;
                    self.print_waiting(local)?;
                }
                Input::EndOfInput | Input::Interrupted => {
                    self.print_waiting(local)?;
                    return self.sockets.disconnect(local).map_err(failed("disconnect"));
                }
            }
        }
    }

    /// Prints messages until the connection ends.
    fn print_all(&mut self, port: u16) -> Result<(), Failure> {
        loop {
            self.print_one(port)?;
        }
    }

    fn print_one(&mut self, port: u16) -> Result<(), Failure> {
        recv_message(
            &mut self.sockets,
            port,
            &mut self.scratch,
            &mut self.message,
        )
        .map_err(failed("recv"))?;
        println!("{}", shown(&self.message));
        Ok(())
    }

    /// Prints the messages that wait for `port` now, without blocking: netd's
    /// table says whether one waits, or whether the peer is gone (then `recv`
    /// reports the reset at once).
    fn print_waiting(&mut self, port: u16) -> Result<(), Failure> {
        loop {
            let row = find_row(&mut self.sockets, port).map_err(failed("list"))?;
            match row {
                Some(row) if row.queued > 0 || row.state == RowState::Reset => {
                    self.print_one(port)?
                }
                _ => return Ok(()),
            }
        }
    }
}
