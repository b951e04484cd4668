//! `echod PORT`: echoes every message back to its sender, for any number of
//! clients at once.
//!
//! One task, one `poll` over the listener and every connection: it accepts
//! each client as it comes (`listen_queue`, `accept`), reads a message from
//! any connection that has one and sends it straight back. Nothing blocks:
//! a client that has not taken its previous echo yet is not read from until
//! it has (its echo waits in echod and the connection is polled for room),
//! so one slow client never holds up the others. A message over 4 KiB is
//! echoed with a send that lasts until the client takes it (netd keeps it in
//! echod's memory). A client that disconnects or dies is dropped; echod runs
//! until killed. Failures print `echod: CALL: E_NAME (code)`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::{MAX_BACKLOG, MAX_MESSAGE_LEN, MAX_POLL_PORTS};
use libsock::poll::{PollEntry, flags};
use libsock::{KernelTransport, SockError, Sockets, Wait};
use netprogs::cli;
use netprogs::net::recv_message_wait;
use netprogs::text::failure;
use urt::println;

urt::entry!(main);

const USAGE: &str = "usage: echod PORT";

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    let [port] = args[..] else {
        println!("{USAGE}");
        return 2;
    };
    let port = match cli::port(port) {
        Ok(port) => port,
        Err(true) => {
            println!("{}", failure("echod", "listen", SockError::InvalidArg));
            return 1;
        }
        Err(false) => {
            println!("{USAGE}");
            return 2;
        }
    };
    let mut echod =
        Echod { sockets: libsock::system(), port, clients: Vec::new(), scratch: vec![0u8; MAX_MESSAGE_LEN as usize] };
    match echod.serve() {
        Ok(()) => 0,
        Err((call, err)) => {
            println!("{}", failure("echod", call, err));
            1
        }
    }
}

/// One connection, and its echo if the client has not made room for it yet.
struct Client {
    port: u16,
    unsent: Option<Vec<u8>>,
}

struct Echod {
    sockets: Sockets<KernelTransport>,
    port: u16,
    clients: Vec<Client>,
    scratch: Vec<u8>,
}

type Failed = (&'static str, SockError);

impl Echod {
    fn serve(&mut self) -> Result<(), Failed> {
        self.sockets.listen_queue(self.port, MAX_BACKLOG).map_err(|err| ("listen", err))?;
        let mut entries = Vec::with_capacity(MAX_POLL_PORTS);
        loop {
            entries.clear();
            // The listener first; a full poll waits for a client to leave.
            if self.clients.len() < MAX_POLL_PORTS - 1 {
                entries.push(PollEntry::new(self.port, flags::ACCEPTABLE));
            }
            for client in &self.clients {
                let interest = if client.unsent.is_some() { flags::WRITABLE } else { flags::READABLE };
                entries.push(PollEntry::new(client.port, interest));
            }
            self.sockets.poll(&mut entries, Wait::Forever).map_err(|err| ("poll", err))?;
            for entry in &entries {
                if entry.ready == 0 {
                    continue;
                }
                if entry.port == self.port {
                    self.accept_all()?;
                } else {
                    self.serve_client(entry.port, entry.ready);
                }
            }
            self.clients.retain(|client| client.port != 0);
        }
    }

    fn accept_all(&mut self) -> Result<(), Failed> {
        loop {
            match self.sockets.accept_wait(self.port, Wait::NonBlocking) {
                Ok((port, _)) => self.clients.push(Client { port, unsent: None }),
                Err(SockError::WouldBlock) => return Ok(()),
                // No room for the connection in this task's job: it waits.
                Err(SockError::Fail) => return Ok(()),
                Err(err) => return Err(("accept", err)),
            }
        }
    }

    /// Echoes what `port` has, or sends its echo now there is room; a
    /// connection that ended or failed is closed and marked (port 0).
    fn serve_client(&mut self, port: u16, ready: u8) {
        let Some(index) = self.clients.iter().position(|c| c.port == port) else {
            return;
        };
        let ok = if ready & (flags::RESET | flags::CLOSED) != 0 && ready & flags::READABLE == 0 {
            Err(SockError::ConnectionReset(libsock::ResetReason::PeerDisconnected))
        } else if let Some(echo) = self.clients[index].unsent.take() {
            self.send_echo(index, echo)
        } else {
            let mut message = Vec::new();
            recv_message_wait(&mut self.sockets, port, &mut self.scratch, &mut message, Wait::NonBlocking)
                .and_then(|()| self.send_echo(index, message))
        };
        match ok {
            Ok(()) | Err(SockError::WouldBlock) => {}
            Err(_) => {
                // Closes our end (a reset one included); the peer is gone.
                let _ = self.sockets.disconnect(port);
                self.clients[index].port = 0;
            }
        }
    }

    fn send_echo(&mut self, index: usize, echo: Vec<u8>) -> Result<(), SockError> {
        let port = self.clients[index].port;
        match self.sockets.send_wait(port, &echo, Wait::NonBlocking) {
            Err(SockError::WouldBlock) => {
                self.clients[index].unsent = Some(echo);
                Ok(())
            }
            other => other,
        }
    }
}
