//! netd, the socket server: one thread looping on the kernel's `recv`.
//!
//! Each request goes to the pure core ([`netd::Netd::handle`]); each task-exit
//! notification to [`netd::Netd::task_exit_notified`]. The core reaches the
//! kernel only through [`Syscalls`], the [`netd::Effects`] implementation
//! below. A call that must block is simply not answered yet, so this loop
//! never waits on anything but `recv`.
//!
//! The request buffer lives on the stack, and the core allocates nothing per
//! request but, while its pool grows, a small-message buffer (fallibly: out of
//! memory fails that `send`, never netd). Two syscalls are saved per request where possible: the
//! last reply a request produces is sent together with the next receive
//! (`reply_recv`), and the kernel describes a message's first lease along with
//! it, so checking that lease needs no `lease_info`. Init (the supervisor) may ask netd to crash; netd then
//! faults for real, and init restarts it.
#![no_std]
#![no_main]

extern crate alloc;

use core::fmt::Write;

use abi::{CopySide, KernelError, LeaseCopyError, Received, TaskId, notify};
use netd::{Action, Effects, LeaseInfo, Netd};
use urt::fmtbuf::FixedBuf;
use urt::ipc::{self, LeaseAt};
use urt::sys;

urt::entry!(main);

fn main() -> i32 {
    urt::rt::set_program_name("netd");
    // Init passes this while `crash netd always` is in force, to test its
    // restart budget with a server that faults as soon as it starts.
    if urt::args().skip(1).any(|arg| arg == urt::proto::init::CRASH_AT_START) {
        crash();
    }
    // Init passes this after `crash netd hang`: a netd that answers nothing
    // and never blocks, to show that init and the shell do not wait on it.
    if urt::args().skip(1).any(|arg| arg == urt::proto::init::HANG_AT_START) {
        loop {
            core::hint::spin_loop();
        }
    }
    if let Err(err) = sys::subscribe_exits() {
        // Without exit notices the sockets of dead tasks would never close.
        say(format_args!("netd: cannot follow task exits: {err}"));
        return 1;
    }
    // Every table is allocated here, once; should memory be short even for
    // that, exit and let init restart netd later rather than panic.
    let Ok(mut netd) = Netd::try_new() else {
        say(format_args!("netd: not enough memory for the socket tables"));
        return 1;
    };
    match sys::lookup(urt::proto::init::NAME) {
        Ok(init) => netd.set_supervisor(init),
        Err(err) => say(format_args!("netd: no supervisor ({err}); crash requests are refused")),
    }
    serve(&mut netd)
}

/// Prints one line without allocating (`println!` formats on the heap).
fn say(line: core::fmt::Arguments<'_>) {
    let mut text = FixedBuf::<160>::new();
    let _ = text.write_fmt(line);
    text.end_line();
    urt::io::write_bytes(text.as_bytes());
}

fn serve(netd: &mut Netd) -> ! {
    let mut fx = Syscalls::new();
    let mut request = [0u8; abi::MAX_MESSAGE];
    loop {
        let incoming = fx.send_last_reply_and_receive(&mut request);
        match incoming.map(|incoming| (incoming.received, incoming.first_lease)) {
            Ok((Received::Message(header), first_lease)) => {
                fx.current = Some((header.sender, first_lease));
                let len = header.len.min(request.len());
                let action = netd.handle(
                    &mut fx,
                    header.sender,
                    header.job,
                    header.operation,
                    &request[..len],
                    header.leases,
                );
                fx.current = None;
                if action == Action::Crash {
                    fx.flush_reply();
                    crash();
                }
            }
            Ok((Received::Notification(bits), _)) => {
                if bits & notify::TASK_EXIT != 0 {
                    netd.task_exit_notified(&mut fx);
                }
            }
            // recv fails only on a bad buffer, which ours is not; yield
            // rather than spin if the kernel ever says otherwise.
            Err(_) => sys::yield_now(),
        }
    }
}

/// A real CPU fault, so that the supervisor's crash test exercises the same
/// path as a genuine bug: the kernel kills netd with a page fault, every
/// blocked caller gets `PeerDied`, and init restarts it.
fn crash() -> ! {
    // SAFETY: deliberately invalid. Page zero is never mapped in user space
    // (abi::USER_START is 4 MiB), so this write faults and the task ends
    // before anything is written; no Rust object lives at address 0.
    unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u64>(), 0xdead) };
    // Not reached: the fault ends the task.
    sys::exit(1)
}

/// A reply held back until the next receive, to go out with it.
struct HeldReply {
    to: TaskId,
    code: u32,
    len: usize,
}

/// The core's view of the kernel: one syscall per method, except that the
/// latest reply waits for the next receive (every earlier one is sent as
/// soon as a newer one replaces it, so replies keep their order) and the
/// first lease of the message in hand is already known.
struct Syscalls {
    held: Option<HeldReply>,
    held_bytes: [u8; abi::MAX_MESSAGE],
    /// The sender of the message being handled and its first lease.
    current: Option<(TaskId, Option<ipc::FirstLease>)>,
}

impl Syscalls {
    fn new() -> Self {
        Syscalls { held: None, held_bytes: [0; abi::MAX_MESSAGE], current: None }
    }

    fn flush_reply(&mut self) {
        if let Some(held) = self.held.take() {
            // A caller that died meanwhile cannot be answered; nothing to do.
            let _ = ipc::reply(held.to, held.code, &self.held_bytes[..held.len]);
        }
    }

    /// Sends the held reply, if any, and waits for the next request or
    /// exit notification.
    fn send_last_reply_and_receive(&mut self, request: &mut [u8]) -> Result<ipc::Incoming, KernelError> {
        if let Some(held) = self.held.take() {
            let bytes = &self.held_bytes[..held.len];
            // On error nothing was sent (the caller died): just receive.
            if let Ok(incoming) = ipc::reply_recv(held.to, held.code, bytes, request, notify::TASK_EXIT) {
                return Ok(incoming);
            }
        }
        ipc::recv_incoming(request, notify::TASK_EXIT)
    }
}

impl Effects for Syscalls {
    fn reply(&mut self, to: TaskId, code: u32, bytes: &[u8]) {
        self.flush_reply();
        let len = bytes.len().min(self.held_bytes.len());
        self.held_bytes[..len].copy_from_slice(&bytes[..len]);
        self.held = Some(HeldReply { to, code, len });
    }

    fn lease_info(&mut self, caller: TaskId, index: usize) -> Option<LeaseInfo> {
        if let Some((sender, first_lease)) = self.current
            && sender == caller
            && index == 0
        {
            return first_lease.map(|lease| LeaseInfo { len: lease.len as u64, flags: lease.flags });
        }
        ipc::lease_info(caller, index)
            .ok()
            .map(|(len, flags)| LeaseInfo {
                len: len as u64,
                flags,
            })
    }

    fn lease_read(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, KernelError> {
        ipc::lease_read(caller, index, lease_offset(offset)?, buf)
    }

    fn lease_write(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: u64,
        bytes: &[u8],
    ) -> Result<usize, KernelError> {
        ipc::lease_write(caller, index, lease_offset(offset)?, bytes)
    }

    fn lease_copy(
        &mut self,
        src: TaskId,
        src_index: usize,
        src_offset: u64,
        dst: TaskId,
        dst_index: usize,
        dst_offset: u64,
        len: u64,
    ) -> Result<usize, LeaseCopyError> {
        let side = |side| move |error| LeaseCopyError { side, error };
        let from = LeaseAt {
            caller: src,
            index: src_index,
            offset: lease_offset(src_offset).map_err(side(CopySide::Source))?,
        };
        let to = LeaseAt {
            caller: dst,
            index: dst_index,
            offset: lease_offset(dst_offset).map_err(side(CopySide::Destination))?,
        };
        let len = usize::try_from(len)
            .map_err(|_| KernelError::LeaseBounds)
            .map_err(side(CopySide::Source))?;
        ipc::lease_copy(from, to, len)
    }

    fn task_alive(&mut self, task: TaskId) -> bool {
        sys::task_alive(task)
    }
}

/// Lease offsets are bounded by abi::MAX_LEASE_LEN; one that does not fit a
/// `usize` is past any lease.
fn lease_offset(offset: u64) -> Result<usize, KernelError> {
    usize::try_from(offset).map_err(|_| KernelError::LeaseBounds)
}
