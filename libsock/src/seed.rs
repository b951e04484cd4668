//! The seed's integer face: the same five calls returning `i32`.
//!
//! Results are `0` (or the local port for `connect`) and errors are the codes
//! -1025..-1030, exactly as programs written for the seed expect. Arguments are
//! the seed's: `int` ports and lengths, checked here before any IPC.

use crate::client::{Sockets, Transport};
use crate::error::SockError;

/// Borrowed from [`Sockets::seed`].
pub struct SeedApi<'s, T>(&'s mut Sockets<T>);

impl<T: Transport> Sockets<T> {
    /// The seed-compatible integer calls on these sockets.
    pub fn seed(&mut self) -> SeedApi<'_, T> {
        SeedApi(self)
    }
}

fn port(port: i32) -> Result<u16, SockError> {
    u16::try_from(port).map_err(|_| SockError::InvalidArg)
}

/// `len` bytes at the start of `buf`, or `E_INVALID_ARG` when `buf` is shorter.
fn length(len: i32, buf_len: usize) -> Result<usize, SockError> {
    match usize::try_from(len) {
        Ok(len) if len <= buf_len => Ok(len),
        _ => Err(SockError::InvalidArg),
    }
}

fn code<V>(result: Result<V, SockError>, value: impl FnOnce(V) -> i32) -> i32 {
    result.map_or_else(SockError::code, value)
}

impl<T: Transport> SeedApi<'_, T> {
    /// `listen(port)`: 0 once a client connected.
    pub fn listen(&mut self, local_port: i32) -> i32 {
        code(port(local_port).and_then(|p| self.0.listen(p)), |()| 0)
    }

    /// `connect(port, host)`: the new socket's local port.
    pub fn connect(&mut self, remote_port: i32, host: &str) -> i32 {
        code(port(remote_port).and_then(|p| self.0.connect(p, host)), i32::from)
    }

    /// `send(port, buf, len)`: sends the first `len` bytes of `buf`.
    pub fn send(&mut self, local_port: i32, buf: &[u8], len: i32) -> i32 {
        let result = port(local_port)
            .and_then(|p| Ok((p, length(len, buf.len())?)))
            .and_then(|(p, len)| self.0.send(p, &buf[..len]));
        code(result, |()| 0)
    }

    /// `recv(port, buf, len)`: 0 once a piece of at most `len` bytes is in
    /// `buf`, followed by a zero byte when shorter than `len`.
    pub fn recv(&mut self, local_port: i32, buf: &mut [u8], len: i32) -> i32 {
        let result = port(local_port)
            .and_then(|p| Ok((p, length(len, buf.len())?)))
            .and_then(|(p, len)| self.0.recv(p, &mut buf[..len]));
        code(result, |_| 0)
    }

    /// `disconnect(port)`.
    pub fn disconnect(&mut self, local_port: i32) -> i32 {
        code(port(local_port).and_then(|p| self.0.disconnect(p)), |()| 0)
    }
}
