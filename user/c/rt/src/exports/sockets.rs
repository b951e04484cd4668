//! The five socket calls of the xv6 socket assignment, through libsock's
//! integer API: the same calls, checks and codes (-1025..-1030) as a Rust
//! program's. Sockets belong to the task that made them: a forked child
//! gets a copy of this table but owns none of its parent's sockets (netd
//! answers `E_ACCESS_DENIED` when it uses one).

use core::ffi::CStr;

use libsock::{E_INVALID_ARG, KernelTransport, Sockets};
use spin::Mutex;

/// A C program's buffers are unchecked pointers: only the kernel touches
/// them, so a bad one fails its call with `E_INVALID_ARG` (never a fault).
static SOCKETS: Mutex<Sockets<KernelTransport>> = Mutex::new(Sockets::lease_only(KernelTransport));

/// `len` bytes at `buf` as a slice, or `None` for a negative length or a
/// null buffer with a length.
///
/// # Safety
/// `buf` is valid for `len` bytes (for writing when `out` is asked for).
unsafe fn bytes<'a>(buf: *mut u8, len: i32) -> Option<&'a mut [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&mut []);
    }
    // SAFETY: the caller lends `len` bytes at a non-null `buf`.
    (!buf.is_null()).then(|| unsafe { core::slice::from_raw_parts_mut(buf, len) })
}

/// `int listen(int port)`: 0 once a client has connected.
#[unsafe(export_name = "listen")]
pub extern "C" fn listen(port: i32) -> i32 {
    SOCKETS.lock().seed().listen(port)
}

/// `int connect(int port, const char *host)`: the new socket's local port.
///
/// # Safety
/// `host` is null or a zero-terminated string.
#[unsafe(export_name = "connect")]
pub unsafe extern "C" fn connect(port: i32, host: *const u8) -> i32 {
    if host.is_null() {
        return E_INVALID_ARG;
    }
    // SAFETY: per the contract, a zero-terminated string.
    let host = unsafe { CStr::from_ptr(host.cast()) };
    match host.to_str() {
        Ok(host) => SOCKETS.lock().seed().connect(port, host),
        Err(_) => E_INVALID_ARG,
    }
}

/// `int send(int port, const char *buf, int len)`: 0 once sent.
///
/// # Safety
/// `buf` is readable for `len` bytes.
#[unsafe(export_name = "send")]
pub unsafe extern "C" fn send(port: i32, buf: *const u8, len: i32) -> i32 {
    // SAFETY: the caller lends `len` readable bytes; they are only read.
    match unsafe { bytes(buf.cast_mut(), len) } {
        Some(data) => SOCKETS.lock().seed().send(port, data, len),
        None => E_INVALID_ARG,
    }
}

/// `int recv(int port, char *buf, int len)`: 0 once a message (at most
/// `len` bytes, then a zero byte if shorter) is in `buf`.
///
/// # Safety
/// `buf` is writable for `len` bytes.
#[unsafe(export_name = "recv")]
pub unsafe extern "C" fn recv(port: i32, buf: *mut u8, len: i32) -> i32 {
    // SAFETY: the caller lends `len` writable bytes.
    match unsafe { bytes(buf, len) } {
        Some(out) => SOCKETS.lock().seed().recv(port, out, len),
        None => E_INVALID_ARG,
    }
}

/// `int disconnect(int port)`.
#[unsafe(export_name = "disconnect")]
pub extern "C" fn disconnect(port: i32) -> i32 {
    SOCKETS.lock().seed().disconnect(port)
}
