//! The five socket calls, written once over a [`Transport`].
//!
//! [`Sockets`] is the idiomatic face (`Result<_, SockError>`); `seed.rs` wraps
//! it in the seed's integer face. The transport is the only thing that touches
//! the kernel, so host tests run these calls against the real netd core.
//!
//! netd restarts are handled here: a kernel `PeerDied` while calling netd is a
//! reset with reason `NetdRestarted`, the cached netd id is dropped, and every
//! socket made by an older netd fails the same way on its next call without
//! reaching the new one (see `origins.rs`).

use abi::{KernelError, Lease, TaskId, lease_flags};

use crate::error::{ResetReason, SockError};
use crate::limits::{INLINE_MAX, MAX_MESSAGE_LEN, MAX_PORT, NETD_POLL_MS, NETD_WAIT_MS, is_local_host};
use crate::origins::{Origins, Waits};
use crate::proto::{ListPage, Request, Response, Wait};

mod exchange;

pub(crate) const NETD_RESTARTED: SockError = SockError::ConnectionReset(ResetReason::NetdRestarted);

/// A buffer lent to netd for one call. Borrowing it for the call keeps it
/// alive and unaliased while netd may read or write it.
#[derive(Debug)]
pub enum LeaseBuf<'a> {
    /// netd may read these bytes (`send`).
    Read(&'a [u8]),
    /// netd may write these bytes (`recv`).
    Write(&'a mut [u8]),
    /// netd may read and write these bytes (`poll`'s entries).
    ReadWrite(&'a mut [u8]),
}

impl LeaseBuf<'_> {
    /// The kernel's description of this buffer, for the `call` syscall.
    pub fn to_abi(&self) -> Lease {
        match self {
            LeaseBuf::Read(bytes) => {
                Lease { addr: bytes.as_ptr() as u64, len: bytes.len() as u64, flags: lease_flags::READ }
            }
            LeaseBuf::Write(bytes) => {
                Lease { addr: bytes.as_ptr() as u64, len: bytes.len() as u64, flags: lease_flags::WRITE }
            }
            LeaseBuf::ReadWrite(bytes) => Lease {
                addr: bytes.as_ptr() as u64,
                len: bytes.len() as u64,
                flags: lease_flags::READ | lease_flags::WRITE,
            },
        }
    }
}

/// What the socket calls need from the kernel.
pub trait Transport {
    /// netd's current id from the name registry, without waiting.
    fn lookup_netd(&mut self) -> Option<TaskId>;

    /// One IPC call: sends `request` with operation `operation` and the leases
    /// to `dest`, blocks until it replies, and returns the reply code and the
    /// number of bytes written to `reply`.
    fn call(
        &mut self,
        dest: TaskId,
        operation: u32,
        request: &[u8],
        reply: &mut [u8],
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<(u32, usize), KernelError>;

    /// Milliseconds on a clock that never goes back.
    fn now_ms(&mut self) -> u64;

    /// Sleeps about `ms` milliseconds.
    fn sleep_ms(&mut self, ms: u64);

    /// Asks the console to post netd's console bit to `netd` once input
    /// waits for this task; `Ok(true)` when input waits already. Only
    /// `poll_console` uses it; a transport without a console says so.
    fn watch_console(&mut self, netd: TaskId) -> Result<bool, KernelError> {
        let _ = netd;
        Err(KernelError::NotFound)
    }
}

/// The socket calls of one task.
pub struct Sockets<T> {
    transport: T,
    /// netd's id as last looked up; `None` after it died.
    netd: Option<TaskId>,
    pub(crate) origins: Origins,
    /// The console signals netd had seen at our last `poll`, and which netd.
    pub(crate) console_seen: Option<(TaskId, u32)>,
    /// Where requests are encoded and replies land, kept from call to call
    /// so that no call pays for clearing two message buffers.
    request: [u8; abi::MAX_MESSAGE],
    reply: [u8; abi::MAX_MESSAGE],
    /// Whether small data may travel inside the messages, which means this
    /// code reads and writes the caller's buffers itself (see `lease_only`).
    data_in_messages: bool,
}

impl<T: Transport> Sockets<T> {
    pub const fn new(transport: T) -> Self {
        Sockets {
            transport,
            netd: None,
            origins: Origins::new(),
            console_seen: None,
            request: [0; abi::MAX_MESSAGE],
            reply: [0; abi::MAX_MESSAGE],
            data_in_messages: true,
        }
    }

    /// Sockets whose data only ever goes by lease: `send` and `recv` never
    /// touch the caller's buffer, only the kernel does, on netd's behalf. For
    /// callers whose buffers are unchecked pointers (the C runtime): a bad
    /// one then fails that call with `E_INVALID_ARG`, as the contract says,
    /// instead of faulting here.
    pub const fn lease_only(transport: T) -> Self {
        let mut sockets = Self::new(transport);
        sockets.data_in_messages = false;
        sockets
    }

    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Listens on `port` and blocks until one client connects.
    pub fn listen(&mut self, port: u16) -> Result<(), SockError> {
        self.make_listener(port, &Request::Listen { port: port.into() })
    }

    /// Sends `request`, which makes a listening socket on `port` (`Listen`,
    /// `ListenWait`, `ListenQueue`), to netd once one runs, and remembers
    /// which netd holds the socket.
    pub(crate) fn make_listener(&mut self, port: u16, request: &Request<'_>) -> Result<(), SockError> {
        let netd = self.wait_for_netd()?;
        match self.exchange(netd, request, &mut []) {
            Ok(Response::Ok(_)) => {
                self.origins.remember(port, netd);
                Ok(())
            }
            other => Err(error_of(other)),
        }
    }

    /// Connects to the socket listening on `port` of `host` and returns the
    /// local port of the new socket. Never blocks on the peer.
    pub fn connect(&mut self, port: u16, host: &str) -> Result<u16, SockError> {
        if !is_local_host(host) {
            return Err(SockError::InvalidArg);
        }
        let request = Request::Connect { port: port.into(), host };
        let start = self.transport.now_ms();
        loop {
            let netd = self.wait_for_netd_since(start)?;
            match self.exchange(netd, &request, &mut []) {
                Ok(Response::Ok(local)) if local <= MAX_PORT => {
                    self.origins.remember(local as u16, netd);
                    return Ok(local as u16);
                }
                // connect never waits inside netd, so a netd that died during
                // it took any half-made socket with it: try the next one, as
                // long as the wait for netd lasts (the registry may still name
                // the dead one for a moment).
                Err(NETD_RESTARTED) => {
                    if self.transport.now_ms().saturating_sub(start) >= NETD_WAIT_MS {
                        return Err(SockError::Fail);
                    }
                    self.transport.sleep_ms(NETD_POLL_MS);
                }
                other => return Err(error_of(other)),
            }
        }
    }

    /// Sends `data` as one message; blocks while the previous one is unread
    /// (unless the socket's write wait says otherwise, see `set_write_wait`).
    pub fn send(&mut self, port: u16, data: &[u8]) -> Result<(), SockError> {
        self.send_with(port, data, |waits| waits.write)
    }

    /// [`Sockets::send`], waiting as `wait` says: `E_WOULD_BLOCK` instead of
    /// waiting for room, or `E_TIMEOUT` after the timeout.
    pub fn send_wait(&mut self, port: u16, data: &[u8], wait: Wait) -> Result<(), SockError> {
        self.send_with(port, data, |_| wait)
    }

    /// A `send` that waits as `wait_of` says, given the socket's waits.
    #[inline]
    fn send_with(&mut self, port: u16, data: &[u8], wait_of: impl FnOnce(Waits) -> Wait) -> Result<(), SockError> {
        if data.len() > MAX_MESSAGE_LEN as usize {
            return Err(SockError::InvalidArg);
        }
        let (netd, waits) = self.socket(port)?;
        let wait = wait_of(waits);
        let (wire_port, len) = (port.into(), data.len() as u32);
        // Small data travels in the request; it is lent as well, for netd
        // to take it later should the send have to wait.
        let (request, inline) = match wait {
            _ if self.data_in_messages && !data.is_empty() && len <= INLINE_MAX => {
                (Request::SendInline { port: wire_port, len, wait }, data)
            }
            Wait::Forever => (Request::Send { port: wire_port, len }, &[][..]),
            wait => (Request::SendWait { port: wire_port, len, wait }, &[][..]),
        };
        let result = if data.is_empty() {
            self.exchange(netd, &request, &mut [])
        } else {
            self.exchange_with_data(netd, &request, inline, &mut [LeaseBuf::Read(data)]).map(|(response, _)| response)
        };
        match result {
            Ok(Response::Ok(_)) => Ok(()),
            other => Err(self.failed(port, error_of(other))),
        }
    }

    /// Receives the next piece of the next message into `buf`, blocking while
    /// none waits (unless the socket's read wait says otherwise, see
    /// `set_read_wait`). Returns the piece's length and whether more of the
    /// same message remains. A piece shorter than `buf` is followed by a zero
    /// byte.
    pub fn recv(&mut self, port: u16, buf: &mut [u8]) -> Result<(usize, bool), SockError> {
        self.recv_piece(port, buf, |waits| waits.read, true)
    }

    /// [`Sockets::recv`], waiting as `wait` says.
    pub fn recv_wait(&mut self, port: u16, buf: &mut [u8], wait: Wait) -> Result<(usize, bool), SockError> {
        self.recv_piece(port, buf, |_| wait, true)
    }

    /// A `recv` that waits as `wait_of` says, given the socket's waits;
    /// `terminate` writes the seed's zero byte after a short piece.
    #[inline]
    pub(crate) fn recv_piece(
        &mut self,
        port: u16,
        buf: &mut [u8],
        wait_of: impl FnOnce(Waits) -> Wait,
        terminate: bool,
    ) -> Result<(usize, bool), SockError> {
        if buf.is_empty() {
            return Err(SockError::InvalidArg);
        }
        let (netd, waits) = self.socket(port)?;
        let wait = wait_of(waits);
        // No message is longer than MAX_MESSAGE_LEN: lend no more than that.
        let lent = buf.len().min(MAX_MESSAGE_LEN as usize);
        let (wire_port, len) = (port.into(), lent as u32);
        // netd answers with the piece itself when it is short enough.
        let request = match wait {
            _ if self.data_in_messages => Request::RecvInline { port: wire_port, len, wait },
            Wait::Forever => Request::Recv { port: wire_port, len },
            wait => Request::RecvWait { port: wire_port, len, wait },
        };
        let result = self.exchange_with_data(netd, &request, &[], &mut [LeaseBuf::Write(&mut buf[..lent])]);
        match result {
            Ok((Response::Received { len, more } | Response::ReceivedInline { len, more }, data))
                if len as usize <= lent =>
            {
                let len = len as usize;
                // An inline piece comes after the answer; `data` is empty
                // for one netd wrote into the lease.
                buf[..data.len()].copy_from_slice(&self.reply[data]);
                if terminate && len < buf.len() {
                    buf[len] = 0;
                }
                Ok((len, more))
            }
            Ok((Response::Received { .. } | Response::ReceivedInline { .. }, _)) => Err(SockError::Fail),
            other => {
                let error = error_of(other.map(|(response, _)| response));
                // netd frees a reset socket once its owner's recv reports it.
                if let SockError::ConnectionReset(_) = error {
                    self.origins.forget(port);
                }
                Err(self.failed(port, error))
            }
        }
    }

    /// Closes the socket on `port`.
    pub fn disconnect(&mut self, port: u16) -> Result<(), SockError> {
        let netd = self.netd_for(port);
        // Whatever netd answers, this task has no socket on the port afterwards.
        self.origins.forget(port);
        match self.exchange(netd?, &Request::Disconnect { port: port.into() }, &mut []) {
            Ok(Response::Ok(_)) => Ok(()),
            other => Err(error_of(other)),
        }
    }

    /// One page of netd's socket table, from row cursor `start_index`.
    pub fn list(&mut self, start_index: u32) -> Result<ListPage, SockError> {
        let netd = self.any_netd()?;
        match self.exchange(netd, &Request::List { start_index }, &mut []) {
            Ok(Response::ListPage(page)) => Ok(page),
            other => Err(error_of(other)),
        }
    }

    /// Looks netd up afresh, waiting up to [`NETD_WAIT_MS`] for it to appear.
    pub fn wait_for_netd(&mut self) -> Result<TaskId, SockError> {
        let start = self.transport.now_ms();
        self.wait_for_netd_since(start)
    }

    pub(crate) fn wait_for_netd_since(&mut self, start: u64) -> Result<TaskId, SockError> {
        loop {
            if let Some(netd) = self.transport.lookup_netd() {
                self.netd = Some(netd);
                return Ok(netd);
            }
            if self.transport.now_ms().saturating_sub(start) >= NETD_WAIT_MS {
                return Err(SockError::Fail);
            }
            self.transport.sleep_ms(NETD_POLL_MS);
        }
    }

    /// The cached netd, else a fresh look-up; no waiting.
    pub(crate) fn any_netd(&mut self) -> Result<TaskId, SockError> {
        if self.netd.is_none() {
            self.netd = self.transport.lookup_netd();
        }
        self.netd.ok_or(SockError::Fail)
    }

    /// The netd to ask about `port`. A socket made by another netd than the
    /// current one died with it: that is a reset, and the socket is forgotten.
    pub(crate) fn netd_for(&mut self, port: u16) -> Result<TaskId, SockError> {
        self.socket(port).map(|(netd, _)| netd)
    }

    /// [`Sockets::netd_for`], with how calls on the socket wait (blocking
    /// for a port this task knows no socket on). Always inlined: it runs
    /// on every call, and its answer is best kept in registers.
    #[inline(always)]
    pub(crate) fn socket(&mut self, port: u16) -> Result<(TaskId, Waits), SockError> {
        let current = self.any_netd();
        match self.origins.lookup(port) {
            Some(origin) if current == Ok(origin.netd) => Ok((origin.netd, origin.waits)),
            Some(_) => {
                self.origins.forget(port);
                Err(NETD_RESTARTED)
            }
            None => current.map(|netd| (netd, Waits::BLOCKING)),
        }
    }

    /// Forgets a socket netd no longer has, and passes the error on.
    pub(crate) fn failed(&mut self, port: u16, error: SockError) -> SockError {
        if matches!(error, SockError::NotFound | NETD_RESTARTED) {
            self.origins.forget(port);
        }
        error
    }
}

/// The error carried by a failed exchange, or `E_FAIL` for a reply of the
/// wrong kind (a netd speaking nonsense).
pub(crate) fn error_of(result: Result<Response, SockError>) -> SockError {
    match result {
        Ok(Response::Error(error)) | Err(error) => error,
        Ok(_) => SockError::Fail,
    }
}
