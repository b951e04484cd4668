//! netd, the socket server: one thread looping on the kernel's `recv`.
//!
//! Each request goes to the pure core ([`netd::Netd::handle`]) with the
//! first lease the kernel described along with it (so checking that lease
//! needs no `lease_info`); each task-exit notification to
//! [`netd::Netd::task_exit_notified`], each ring of its timer to
//! [`netd::Netd::timer_fired`] and each console signal to
//! [`netd::Netd::console_signalled`]. The core returns the answers of the
//! event in order, and [`Outgoing`] sends them: all but the last at once, the
//! last together with the next receive (`reply_recv`). The core reaches the
//! kernel otherwise only through [`Syscalls`], the [`netd::Effects`]
//! implementation below. A call that must block is simply not answered yet,
//! so this loop never waits on anything but `recv`.
//!
//! The request buffer lives on the stack, and the core allocates nothing per
//! request but, while its pool grows, a small-message buffer (fallibly: out
//! of memory fails that `send`, never netd). Init (the supervisor) may ask
//! netd to crash; netd then faults for real, and init restarts it.
#![no_std]
#![no_main]

extern crate alloc;

use core::fmt::Write;

use abi::{KernelError, LeaseCopyError, Received, TaskId, notify};
use libsock::proto::CONSOLE_SIGNAL;
use netd::{Action, Answers, Effects, Message, Netd};
use urt::fmtbuf::FixedBuf;
use urt::ipc::{self, Incoming, LeaseAt};
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
    let mut fx = Syscalls;
    let mut outgoing = Outgoing::new();
    let mut timer = Timer { armed: None };
    let mut request = [0u8; abi::MAX_MESSAGE];
    loop {
        timer.keep_at(netd.next_deadline());
        match outgoing.send_held_and_receive(&mut request) {
            Ok(Incoming { received: Received::Message(header), first_lease }) => {
                let len = header.len.min(request.len());
                let message = Message { header, bytes: &request[..len], first_lease };
                let handled = netd.handle(&mut fx, &message);
                outgoing.send(handled.replies);
                if handled.action == Action::Crash {
                    outgoing.flush();
                    crash();
                }
            }
            Ok(Incoming { received: Received::Notification(bits), .. }) => {
                if bits & notify::TASK_EXIT != 0 {
                    outgoing.send(netd.task_exit_notified(&mut fx).replies);
                }
                if bits & notify::TIMER != 0 {
                    timer.rang();
                    outgoing.send(netd.timer_fired(&mut fx, sys::now_ns()).replies);
                }
                if bits & CONSOLE_SIGNAL != 0 {
                    outgoing.send(netd.console_signalled(&mut fx).replies);
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

/// Sends an event's answers in the order the core gave them: all but the
/// last at once with `reply`, the last with the next receive (`reply_recv`),
/// which saves a kernel entry per request and lets the kernel run that
/// caller next.
struct Outgoing {
    held: Option<HeldReply>,
    held_bytes: [u8; abi::MAX_MESSAGE],
}

impl Outgoing {
    fn new() -> Self {
        Outgoing { held: None, held_bytes: [0; abi::MAX_MESSAGE] }
    }

    fn send(&mut self, answers: Answers<'_>) {
        let Some((last, earlier)) = answers.as_slice().split_last() else {
            return;
        };
        // A reply held from an earlier event of the same wake-up goes first.
        self.flush();
        let mut bytes = [0u8; abi::MAX_MESSAGE];
        for reply in earlier {
            let (code, bytes) = answers.encode(reply, &mut bytes);
            // A caller that died meanwhile cannot be answered; nothing to do.
            let _ = ipc::reply(reply.to, code, bytes);
        }
        let (code, bytes) = answers.encode(last, &mut self.held_bytes);
        let len = bytes.len();
        self.held = Some(HeldReply { to: last.to, code, len });
    }

    fn flush(&mut self) {
        if let Some(held) = self.held.take() {
            let _ = ipc::reply(held.to, held.code, &self.held_bytes[..held.len]);
        }
    }

    /// Sends the held reply, if any, and waits for the next request or
    /// notification.
    fn send_held_and_receive(&mut self, request: &mut [u8]) -> Result<Incoming, KernelError> {
        if let Some(held) = self.held.take() {
            let bytes = &self.held_bytes[..held.len];
            // On error nothing was sent (the caller died): just receive.
            if let Ok(incoming) = ipc::reply_recv(held.to, held.code, bytes, request, RECV_MASK) {
                return Ok(incoming);
            }
        }
        ipc::recv_incoming(request, RECV_MASK)
    }
}

/// The notifications netd waits for besides requests: task exits, its
/// timer (the earliest timed wait), and the console's input signal.
const RECV_MASK: u32 = notify::TASK_EXIT | notify::TIMER | CONSOLE_SIGNAL;

/// The kernel's one timer for netd, kept at the earliest deadline of the
/// core's timed waits; set only when that changes.
struct Timer {
    armed: Option<u64>,
}

impl Timer {
    fn keep_at(&mut self, deadline: Option<u64>) {
        if deadline != self.armed {
            // 0 cancels; a deadline already passed rings at the next tick.
            let _ = sys::set_timer(deadline.unwrap_or(0));
            self.armed = deadline;
        }
    }

    /// The kernel clears a timer when it rings.
    fn rang(&mut self) {
        self.armed = None;
    }
}

/// The core's view of the kernel: one syscall per method.
struct Syscalls;

impl Effects for Syscalls {
    fn lease_read(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<usize, KernelError> {
        ipc::lease_read(caller, index, offset, buf)
    }

    fn lease_write(&mut self, caller: TaskId, index: usize, offset: usize, bytes: &[u8]) -> Result<usize, KernelError> {
        ipc::lease_write(caller, index, offset, bytes)
    }

    fn lease_copy(&mut self, from: LeaseAt, to: LeaseAt, len: usize) -> Result<usize, LeaseCopyError> {
        ipc::lease_copy(from, to, len)
    }

    fn task_alive(&mut self, task: TaskId) -> bool {
        sys::task_alive(task)
    }

    fn now_ns(&mut self) -> u64 {
        sys::now_ns()
    }
}
