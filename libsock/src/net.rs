//! The socket calls shaped like `std::net`: a [`Listener`] that accepts any
//! number of clients (`bind`, `accept`, `incoming`) and a [`Stream`] (`read`,
//! `write_all`, timeouts, non-blocking mode, `shutdown`). Each closes its
//! socket when dropped. Errors are [`SockError`].
//!
//! A stream is a sequence of messages: `write` sends one message (at most
//! 64 KiB), `read` returns the next piece of the next message. An orderly
//! close by the peer reads as the end of the stream (`Ok(0)`), as in
//! `std`; a peer that died, or a netd restart, is an error.
//!
//! Both implement `embedded-io`'s traits (`Read`, `Write`, `ReadReady`,
//! `WriteReady`), so generic no_std code can use a stream.

use core::time::Duration;

use embedded_io::{ErrorKind, ErrorType};

use crate::client::{Sockets, Transport};
use crate::error::{ResetReason, SockError};
use crate::limits::{MAX_BACKLOG, MAX_MESSAGE_LEN};
use crate::poll::{PollEntry, flags};
use crate::proto::Wait;
use crate::system::KernelTransport;

/// A `listen_queue` socket: many clients, each accepted as its own stream.
pub struct Listener<T: Transport + Clone> {
    sockets: Sockets<T>,
    port: u16,
}

impl Listener<KernelTransport> {
    /// Listens on `port` of this task's system, with the largest backlog.
    pub fn bind(port: u16) -> Result<Self, SockError> {
        Self::bind_with(KernelTransport, port, MAX_BACKLOG)
    }
}

impl<T: Transport + Clone> Listener<T> {
    pub fn bind_with(transport: T, port: u16, backlog: u32) -> Result<Self, SockError> {
        let mut sockets = Sockets::new(transport);
        sockets.listen_queue(port, backlog)?;
        Ok(Listener { sockets, port })
    }

    pub fn local_port(&self) -> u16 {
        self.port
    }

    /// The next connection and its client's port; waits as the listener's
    /// mode says (see [`Listener::set_nonblocking`]).
    pub fn accept(&mut self) -> Result<(Stream<T>, u16), SockError> {
        let (local, remote) = self.sockets.accept(self.port)?;
        // The stream keeps the socket's origin; the listener forgets it.
        let netd = self.sockets.origins.get(local).ok_or(SockError::Fail)?;
        self.sockets.origins.forget(local);
        let mut sockets = Sockets::new(self.sockets.transport().clone());
        sockets.origins.remember(local, netd);
        Ok((Stream::new(sockets, local, remote), remote))
    }

    /// Every connection as it comes, for ever (each item is one `accept`).
    pub fn incoming(&mut self) -> Incoming<'_, T> {
        Incoming { listener: self }
    }

    /// Non-blocking: `accept` with nobody waiting is `E_WOULD_BLOCK`.
    pub fn set_nonblocking(&mut self, on: bool) -> Result<(), SockError> {
        self.sockets.set_nonblocking(self.port, on)
    }

    /// `accept` gives up with `E_TIMEOUT` after `timeout` (`None`: never).
    pub fn set_accept_timeout(&mut self, timeout: Option<Duration>) -> Result<(), SockError> {
        let wait = wait_of(timeout)?;
        self.sockets.set_read_wait(self.port, wait)
    }
}

impl<T: Transport + Clone> Drop for Listener<T> {
    fn drop(&mut self) {
        let _ = self.sockets.disconnect(self.port);
    }
}

/// [`Listener::incoming`].
pub struct Incoming<'a, T: Transport + Clone> {
    listener: &'a mut Listener<T>,
}

impl<T: Transport + Clone> Iterator for Incoming<'_, T> {
    type Item = Result<Stream<T>, SockError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listener.accept().map(|(stream, _)| stream))
    }
}

/// One connection.
pub struct Stream<T: Transport> {
    sockets: Sockets<T>,
    port: u16,
    peer: u16,
    /// The peer closed in order: every read is the end of the stream.
    ended: bool,
    /// Closed by `shutdown`: nothing left to close when dropped.
    closed: bool,
}

impl Stream<KernelTransport> {
    /// Connects to `port` of `host` (`localhost` or `127.0.0.1`).
    pub fn connect(host: &str, port: u16) -> Result<Self, SockError> {
        Self::connect_with(KernelTransport, host, port)
    }
}

impl<T: Transport> Stream<T> {
    pub fn connect_with(transport: T, host: &str, port: u16) -> Result<Self, SockError> {
        let mut sockets = Sockets::new(transport);
        let local = sockets.connect(port, host)?;
        Ok(Stream::new(sockets, local, port))
    }

    fn new(sockets: Sockets<T>, port: u16, peer: u16) -> Self {
        Stream { sockets, port, peer, ended: false, closed: false }
    }

    pub fn local_port(&self) -> u16 {
        self.port
    }

    /// The port the stream was connected to (a client's), or its client's
    /// port (an accepted stream's).
    pub fn peer_port(&self) -> u16 {
        self.peer
    }

    /// The next piece of the next message, at most `buf.len()` bytes; 0 only
    /// at the end of the stream (the peer closed). Empty messages carry no
    /// bytes, so a stream skips them.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        let wait = self.sockets.origins.waits(self.port).read;
        loop {
            match self.sockets.recv_piece(self.port, buf, |_| wait, false) {
                Ok((0, _)) => continue,
                Ok((len, _)) => return Ok(len),
                Err(SockError::ConnectionReset(reason)) => {
                    // netd frees a reset socket once it said so: nothing
                    // is left to close.
                    self.closed = true;
                    if reason == ResetReason::PeerDisconnected {
                        self.ended = true;
                        return Ok(0);
                    }
                    return Err(SockError::ConnectionReset(reason));
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Sends up to 64 KiB of `buf` as one message; returns how much.
    pub fn write(&mut self, buf: &[u8]) -> Result<usize, SockError> {
        let len = buf.len().min(MAX_MESSAGE_LEN as usize);
        self.sockets.send(self.port, &buf[..len])?;
        Ok(len)
    }

    /// Sends all of `buf`, in messages of at most 64 KiB.
    pub fn write_all(&mut self, mut buf: &[u8]) -> Result<(), SockError> {
        while !buf.is_empty() {
            let sent = self.write(buf)?;
            buf = &buf[sent..];
        }
        Ok(())
    }

    /// `read` gives up with `E_TIMEOUT` after `timeout` (`None`: never). A
    /// zero duration is `E_INVALID_ARG`, as in `std`.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), SockError> {
        let wait = wait_of(timeout)?;
        self.sockets.set_read_wait(self.port, wait)
    }

    /// `write` gives up with `E_TIMEOUT` after `timeout` (`None`: never).
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) -> Result<(), SockError> {
        let wait = wait_of(timeout)?;
        self.sockets.set_write_wait(self.port, wait)
    }

    /// Non-blocking: a `read` or `write` that would wait is `E_WOULD_BLOCK`.
    pub fn set_nonblocking(&mut self, on: bool) -> Result<(), SockError> {
        self.sockets.set_nonblocking(self.port, on)
    }

    /// Closes the connection now; the peer's calls end with -1030.
    pub fn shutdown(&mut self) -> Result<(), SockError> {
        if core::mem::replace(&mut self.closed, true) {
            return Ok(());
        }
        self.sockets.disconnect(self.port)
    }

    /// The stream's poll flags now (`poll::flags`), without waiting.
    fn ready_now(&mut self) -> Result<u8, SockError> {
        let mut entry = [PollEntry::new(self.port, flags::READABLE | flags::WRITABLE)];
        self.sockets.poll(&mut entry, Wait::NonBlocking)?;
        Ok(entry[0].ready)
    }
}

impl<T: Transport> Drop for Stream<T> {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// A timeout as a wait: `None` is for ever; zero is refused.
fn wait_of(timeout: Option<Duration>) -> Result<Wait, SockError> {
    match timeout {
        None => Ok(Wait::Forever),
        Some(duration) if duration.is_zero() => Err(SockError::InvalidArg),
        // At least a millisecond, at most what the wire carries (49 days).
        Some(duration) => Ok(Wait::Ms(duration.as_millis().clamp(1, u32::MAX.into()) as u32)),
    }
}

impl embedded_io::Error for SockError {
    fn kind(&self) -> ErrorKind {
        match self {
            SockError::NotFound => ErrorKind::NotConnected,
            SockError::AccessDenied => ErrorKind::PermissionDenied,
            SockError::WrongState => ErrorKind::Other,
            SockError::Fail => ErrorKind::OutOfMemory,
            SockError::InvalidArg => ErrorKind::InvalidInput,
            SockError::ConnectionReset(_) => ErrorKind::ConnectionReset,
            SockError::Timeout => ErrorKind::TimedOut,
            SockError::WouldBlock => ErrorKind::Interrupted,
        }
    }
}

impl<T: Transport> ErrorType for Stream<T> {
    type Error = SockError;
}

impl<T: Transport> embedded_io::Read for Stream<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SockError> {
        Stream::read(self, buf)
    }
}

impl<T: Transport> embedded_io::Write for Stream<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, SockError> {
        Stream::write(self, buf)
    }

    /// Messages leave at `write`: nothing is held back.
    fn flush(&mut self) -> Result<(), SockError> {
        Ok(())
    }
}

impl<T: Transport> embedded_io::ReadReady for Stream<T> {
    fn read_ready(&mut self) -> Result<bool, SockError> {
        Ok(self.ended || self.ready_now()? & (flags::READABLE | flags::RESET | flags::CLOSED) != 0)
    }
}

impl<T: Transport> embedded_io::WriteReady for Stream<T> {
    fn write_ready(&mut self) -> Result<bool, SockError> {
        Ok(self.ready_now()? & (flags::WRITABLE | flags::RESET | flags::CLOSED) != 0)
    }
}
