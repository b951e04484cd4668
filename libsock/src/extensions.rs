//! The calls beyond the seed's five, on [`Sockets`]: many clients per port
//! (`listen_queue`, `accept`), how a socket's calls wait (timeouts and
//! non-blocking mode), and `poll` over many ports, with or without the
//! console. A program that uses none of them sends netd only the seed's
//! requests and sees only the seed's six codes.

use abi::TaskId;

use crate::client::LeaseBuf;
use crate::client::{NETD_RESTARTED, Sockets, Transport, error_of};
use crate::error::SockError;
use crate::limits::{MAX_POLL_PORTS, MAX_PORT};
use crate::origins::Waits;
use crate::poll::{self, ENTRY_LEN, PollEntry};
use crate::proto::{Request, Response, Wait};

impl<T: Transport> Sockets<T> {
    /// Listens on `port` for any number of clients, at most `backlog`
    /// (1..=64) of them waiting to be accepted; returns at once.
    pub fn listen_queue(&mut self, port: u16, backlog: u32) -> Result<(), SockError> {
        self.make_listener(port, &Request::ListenQueue { port: port.into(), backlog })
    }

    /// The next connection to the `listen_queue` socket on `port`, waiting
    /// as the socket's read wait says: its local port (for `send`, `recv`,
    /// `disconnect`) and its client's port.
    pub fn accept(&mut self, port: u16) -> Result<(u16, u16), SockError> {
        let wait = self.origins.waits(port).read;
        self.accept_wait(port, wait)
    }

    pub fn accept_wait(&mut self, port: u16, wait: Wait) -> Result<(u16, u16), SockError> {
        let netd = self.netd_for(port)?;
        let request = Request::Accept { port: port.into(), wait };
        match self.exchange(netd, &request, &mut []) {
            Ok(Response::Accepted { port: local, remote }) if local <= MAX_PORT && remote <= MAX_PORT => {
                self.origins.remember(local as u16, netd);
                Ok((local as u16, remote as u16))
            }
            other => Err(self.failed(port, error_of(other))),
        }
    }

    /// The seed's `listen`, giving up with `E_TIMEOUT` after `wait`
    /// (`Wait::NonBlocking` is `E_INVALID_ARG`: a listen must wait).
    pub fn listen_wait(&mut self, port: u16, wait: Wait) -> Result<(), SockError> {
        self.make_listener(port, &Request::ListenWait { port: port.into(), wait })
    }

    /// How `recv` and `accept` on `port` wait from now on.
    pub fn set_read_wait(&mut self, port: u16, read: Wait) -> Result<(), SockError> {
        let waits = self.origins.waits(port);
        self.set_waits(port, Waits { read, ..waits })
    }

    /// How `send` on `port` waits from now on.
    pub fn set_write_wait(&mut self, port: u16, write: Wait) -> Result<(), SockError> {
        let waits = self.origins.waits(port);
        self.set_waits(port, Waits { write, ..waits })
    }

    /// Non-blocking mode: every call on `port` that would wait returns
    /// `E_WOULD_BLOCK` instead (or, off, blocks as the seed's calls do).
    pub fn set_nonblocking(&mut self, port: u16, on: bool) -> Result<(), SockError> {
        let wait = if on { Wait::NonBlocking } else { Wait::Forever };
        self.set_waits(port, Waits { read: wait, write: wait })
    }

    fn set_waits(&mut self, port: u16, waits: Waits) -> Result<(), SockError> {
        if self.origins.set_waits(port, waits) { Ok(()) } else { Err(SockError::NotFound) }
    }

    /// Fills in which `entries` are ready, waiting up to `wait` for one to
    /// be; returns how many are (0 when the wait ended first). One request
    /// to netd, however many entries.
    pub fn poll(&mut self, entries: &mut [PollEntry], wait: Wait) -> Result<usize, SockError> {
        self.poll_once(entries, wait, None).map(|(ready, _)| ready)
    }

    /// [`Sockets::poll`], also waking when a console line (or end of input)
    /// waits for this task: returns the ready entries and whether the
    /// console is ready (`read_line` would not wait).
    ///
    /// The console is asked to post netd's console bit when input arrives
    /// (`Transport::watch_console`), then netd's `poll` waits for the ports
    /// and that signal together. A signal meant for another task wakes this
    /// poll too; it then asks the console again and goes on waiting for the
    /// rest of `wait`.
    pub fn poll_console(&mut self, entries: &mut [PollEntry], wait: Wait) -> Result<(usize, bool), SockError> {
        let start = self.transport().now_ms();
        loop {
            let netd = self.any_netd()?;
            let seen = match self.console_seen {
                Some((known, seen)) if known == netd => seen,
                // The first poll of this netd learns its count of signals.
                _ => {
                    let (ready, _) = self.poll_once(entries, Wait::NonBlocking, None)?;
                    if ready > 0 {
                        let console = self.console_ready(netd)?;
                        return Ok((ready, console));
                    }
                    continue;
                }
            };
            let console = self.console_ready(netd)?;
            let left = if console { Wait::NonBlocking } else { remaining(wait, start, self.transport().now_ms()) };
            let (ready, signalled) = self.poll_once(entries, left, Some(seen))?;
            if ready > 0 || console || !signalled {
                return Ok((ready, console));
            }
        }
    }

    fn console_ready(&mut self, netd: TaskId) -> Result<bool, SockError> {
        self.transport().watch_console(netd).map_err(|_| SockError::Fail)
    }

    /// One `Poll` request; returns the ready count and whether a console
    /// signal the request had not seen came.
    fn poll_once(
        &mut self,
        entries: &mut [PollEntry],
        wait: Wait,
        console: Option<u32>,
    ) -> Result<(usize, bool), SockError> {
        if entries.len() > MAX_POLL_PORTS {
            return Err(SockError::InvalidArg);
        }
        let netd = self.any_netd()?;
        // A socket of an older netd died with it: a reset, as for any call.
        let mut stale = false;
        for entry in entries.iter() {
            if self.origins.get(entry.port).is_some_and(|origin| origin != netd) {
                self.origins.forget(entry.port);
                stale = true;
            }
        }
        if stale {
            return Err(NETD_RESTARTED);
        }
        let mut bytes = [0u8; MAX_POLL_PORTS * ENTRY_LEN];
        let bytes = &mut bytes[..entries.len() * ENTRY_LEN];
        poll::encode(entries, bytes);
        let request = Request::Poll { count: entries.len() as u32, wait, console };
        let result = if entries.is_empty() {
            self.exchange(netd, &request, &mut [])
        } else {
            self.exchange(netd, &request, &mut [LeaseBuf::ReadWrite(bytes)])
        };
        match result {
            Ok(Response::Polled { ready, console_signals, console }) => {
                self.console_seen = Some((netd, console_signals));
                poll::decode_ready(bytes, entries);
                Ok((ready as usize, console))
            }
            Err(NETD_RESTARTED) => {
                // Every socket polled died with that netd.
                for entry in entries.iter() {
                    self.origins.forget(entry.port);
                }
                Err(NETD_RESTARTED)
            }
            other => Err(error_of(other)),
        }
    }
}

/// What is left of `wait` after `start`, at `now` (milliseconds).
fn remaining(wait: Wait, start: u64, now: u64) -> Wait {
    match wait {
        Wait::Ms(ms) => Wait::Ms(u64::from(ms).saturating_sub(now.saturating_sub(start)) as u32),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_left_of_a_wait() {
        assert_eq!(remaining(Wait::Ms(100), 10, 40), Wait::Ms(70));
        assert_eq!(remaining(Wait::Ms(100), 10, 500), Wait::Ms(0));
        assert_eq!(remaining(Wait::Forever, 10, 500), Wait::Forever);
    }
}
