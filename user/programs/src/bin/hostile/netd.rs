//! Attacks on netd through the socket calls.

use abi::{CallArgs, CallResult, Lease, MAX_MESSAGE, PAGE_SIZE, Sysnum, lease_flags, map_flags};
use libsock::proto::{self, Request, Response};
use libsock::{NETD_NAME, SockError, system};
use urt::{println, supervisor, sys};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[
    Attack {
        name: "half-mapped-send",
        about: "sends 8 KiB from a buffer whose second page is unmapped",
        run: half_mapped_send,
    },
    Attack {
        name: "half-mapped-peer",
        about: "half-mapped-send's receiver: listens on PORT, prints one message",
        run: half_mapped_peer,
    },
];

const PAGE: u64 = PAGE_SIZE as u64;
/// The port the receiver listens on.
const PORT: u16 = 4100;
/// Two pages, of which only the first is mapped.
const BUFFER: u64 = 0x0000_5000_0000_0000;
const MESSAGE_LEN: usize = 2 * PAGE_SIZE;
/// What is sent after the bad message, from ordinary memory.
const GOOD_MESSAGE: &str = "after the bad send";
/// How long the receiver gets to block in `recv` before the bad send.
const SETTLE_MS: u64 = 50;
/// How long to retry `connect` while the receiver is not listening yet.
const CONNECT_TRIES: u32 = 100;

/// Connects to a receiver of its own, then sends a message of two pages of
/// which the second is not mapped: netd must fail this `send` alone, leave
/// the receiver's `recv` waiting and the connection usable. A good message
/// follows; the receiver prints what it got.
fn half_mapped_send(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let port = alloc::format!("{PORT}");
    let receiver = match supervisor::spawn(&["hostile", "half-mapped-peer", &port], false) {
        Ok(receiver) => receiver,
        Err(error) => {
            println!("hostile: spawn the receiver: {error}");
            return 1;
        }
    };
    let mut sockets = system();
    let mut connected = sockets.connect(PORT, "localhost");
    for _ in 0..CONNECT_TRIES {
        if connected != Err(SockError::NotFound) {
            break;
        }
        let _ = urt::sleep(10);
        connected = sockets.connect(PORT, "localhost");
    }
    let local = match connected {
        Ok(local) => local,
        Err(error) => {
            println!("hostile: connect: {error}");
            return 1;
        }
    };
    if let Err(error) = sys::map(BUFFER, PAGE, map_flags::WRITE) {
        println!("hostile: map: {error}");
        return 1;
    }
    // SAFETY: the page at BUFFER was just mapped writable and holds nothing else.
    unsafe { core::ptr::write_bytes(BUFFER as *mut u8, b'x', PAGE_SIZE) };
    let _ = urt::sleep(SETTLE_MS);
    match send_lent_range(local, BUFFER, MESSAGE_LEN) {
        Ok(()) => println!("hostile: send of {MESSAGE_LEN} bytes, second page unmapped: ok"),
        Err(error) => println!("hostile: send of {MESSAGE_LEN} bytes, second page unmapped: {error}"),
    }
    let sent = sockets.send(local, GOOD_MESSAGE.as_bytes());
    let ended = supervisor::wait(receiver);
    let _ = sockets.disconnect(local);
    match sent {
        Ok(()) => println!("hostile: then a good send: ok; receiver {ended:?}"),
        Err(error) => println!("hostile: then a good send: {error}; receiver {ended:?}"),
    }
    0
}

/// Sends `len` bytes at `addr` as one message on `port`, lending netd the
/// range as it is: libsock only lends Rust slices, which are mapped by
/// definition, so the attack builds its own lease.
fn send_lent_range(port: u16, addr: u64, len: usize) -> Result<(), SockError> {
    let netd = sys::lookup(NETD_NAME).map_err(|_| SockError::Fail)?;
    let mut request = [0u8; MAX_MESSAGE];
    let send = Request::Send { port: port.into(), len: len as u32 };
    let request = proto::encode_request(&send, &mut request).map_err(|_| SockError::Fail)?;
    let lease = Lease { addr, len: len as u64, flags: lease_flags::READ };
    let mut reply = [0u8; MAX_MESSAGE];
    let args = CallArgs {
        dest: netd,
        operation: send.operation(),
        request: request.as_ptr() as u64,
        request_len: request.len() as u32,
        lease_count: 1,
        reply: reply.as_mut_ptr() as u64,
        reply_cap: reply.len() as u64,
        lease_table: &lease as *const Lease as u64,
    };
    // SAFETY: the request, the reply buffer and the one-lease table are ours
    // for their lengths; the lent range holds no Rust data (netd may only
    // read it, and only its first page is mapped).
    let regs = unsafe { urt::arch::syscall(Sysnum::Call, args.to_regs()) };
    if regs.rax < 0 {
        return Err(SockError::Fail);
    }
    let answer = CallResult::from_regs(&regs.results());
    match proto::decode_response(answer.code, &reply[..answer.len.min(reply.len())]) {
        Ok(Response::Ok(_)) => Ok(()),
        Ok(Response::Error(error)) => Err(error),
        _ => Err(SockError::Fail),
    }
}

/// Listens on PORT, receives one message into a buffer large enough for the
/// bad one and prints what arrived.
fn half_mapped_peer(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let Some(port) = args.next().and_then(|arg| arg.parse::<u16>().ok()) else {
        println!("usage: hostile half-mapped-peer PORT");
        return 2;
    };
    let mut sockets = system();
    if let Err(error) = sockets.listen(port) {
        println!("receiver: listen: {error}");
        return 1;
    }
    let mut buf = alloc::vec![0u8; MESSAGE_LEN];
    let status = match sockets.recv(port, &mut buf) {
        Ok((len, more)) => {
            let text = core::str::from_utf8(&buf[..len]).unwrap_or("(not text)");
            println!("receiver: got {len} bytes (more: {more}): {text}");
            0
        }
        Err(error) => {
            println!("receiver: recv: {error}");
            1
        }
    };
    let _ = sockets.disconnect(port);
    status
}
