//! netd, the socket server: one thread looping on the kernel's `recv`.
//!
//! Each request goes to the pure core ([`netd::Netd::handle`]) with the
//! first lease the kernel described along with it (so checking that lease
//! needs no `lease_info`); each task-exit notification to
//! [`netd::Netd::task_exit_notified`], each ring of its timer to
//! [`netd::Netd::timer_fired`] and each console signal to
//! [`netd::Netd::console_signalled`]. The core returns the answers of the
//! event in order, and [`Outgoing`] sends them: all but the last two at once,
//! the last two together with the next receive (`reply2_recv`, or
//! `reply_recv` for one). The core reaches the kernel otherwise only through
//! [`Syscalls`], the [`netd::Effects`] implementation below. A call that
//! must block is simply not answered yet, so this loop never waits on
//! anything but `recv`.
//!
//! The request buffer lives on the stack, and the core allocates nothing per
//! request but, while its pool grows, a small-message buffer (fallibly: out
//! of memory fails that `send`, never netd). No request makes netd fault:
//! `crash netd` is init's doing (the kernel's injected fault), and init
//! restarts it.
#![no_std]
#![no_main]

extern crate alloc;

use core::fmt::Write;

use abi::{KernelError, LeaseCopyError, Received, TaskId, notify};
use libsock::proto::CONSOLE_SIGNAL;
use netd::{Answers, Effects, Message, Netd};
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
                outgoing.send(netd.handle(&mut fx, &message).replies);
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

/// A real CPU fault, so that `crash netd always` exercises the same path as
/// a genuine bug at start: the kernel kills netd with a page fault, and
/// init's restart budget counts it.
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
    bytes: [u8; abi::MAX_MESSAGE],
}

impl HeldReply {
    const EMPTY: HeldReply = HeldReply { to: TaskId::KERNEL, code: 0, len: 0, bytes: [0; abi::MAX_MESSAGE] };

    fn reply_to(&self) -> ipc::ReplyTo<'_> {
        ipc::ReplyTo { caller: self.to, code: self.code, data: &self.bytes[..self.len] }
    }

    /// Sends it now. A caller that died meanwhile cannot be answered;
    /// nothing to do.
    fn send(&self) {
        let _ = ipc::reply(self.to, self.code, &self.bytes[..self.len]);
    }
}

/// Sends the answers in the order the core gave them: the last two with the
/// next receive (`reply2_recv`, or `reply_recv` for one), every earlier one
/// at once with `reply` as a newer one comes. That saves a kernel entry per
/// reply held, and the kernel wakes the earlier caller as `reply` does and
/// runs the later one next as `reply_recv` does.
struct Outgoing {
    /// Two slots, used in turn so that no reply is copied once encoded.
    slots: [HeldReply; 2],
    /// How many replies are held (0 to 2), and the slot of the earlier.
    held: usize,
    earlier: usize,
}

impl Outgoing {
    fn new() -> Self {
        Outgoing { slots: [HeldReply::EMPTY, HeldReply::EMPTY], held: 0, earlier: 0 }
    }

    /// Holds `replies` after those already held; whatever no longer fits in
    /// the two slots goes out now, oldest first.
    fn send(&mut self, answers: Answers<'_>) {
        for reply in answers.as_slice() {
            if self.held == 2 {
                self.slots[self.earlier].send();
                self.earlier ^= 1;
                self.held = 1;
            }
            let slot = &mut self.slots[(self.earlier + self.held) % 2];
            let (code, bytes) = answers.encode(reply, &mut slot.bytes);
            (slot.to, slot.code, slot.len) = (reply.to, code, bytes.len());
            self.held += 1;
        }
    }

    /// Sends every held reply now, in order.
    fn flush(&mut self) {
        for i in 0..self.held {
            self.slots[(self.earlier + i) % 2].send();
        }
        self.held = 0;
    }

    /// Sends the held replies, if any, and waits for the next request or
    /// notification.
    fn send_held_and_receive(&mut self, request: &mut [u8]) -> Result<Incoming, KernelError> {
        let (earlier, later) = (&self.slots[self.earlier], &self.slots[self.earlier ^ 1]);
        let sent = match self.held {
            2 => Some(ipc::reply2_recv(earlier.reply_to(), later.reply_to(), request, RECV_MASK)),
            1 => Some(ipc::reply_recv(earlier.to, earlier.code, &earlier.bytes[..earlier.len], request, RECV_MASK)),
            _ => None,
        };
        if let Some(Ok(incoming)) = sent {
            self.held = 0;
            return Ok(incoming);
        }
        // On error nothing was sent (a caller died meanwhile): the replies
        // go one by one, in order, then a plain receive.
        self.flush();
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
