//! netd, the socket server: one thread looping on the kernel's `recv`.
//!
//! Each request goes to the pure core ([`netd::Netd::handle`]) with the
//! first lease the kernel described along with it (so checking that lease
//! needs no `lease_info`); each task-exit notification to
//! [`netd::Netd::task_exit_notified`], each ring of its timer to
//! [`netd::Netd::timer_fired`] and each console signal to
//! [`netd::Netd::console_signalled`]. The core keeps the answers of the
//! event, in order and encoded, until the next event, and
//! [`send_and_receive`] sends them from there: all but the last two at once,
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

use abi::{KernelError, LeaseCopyError, MessageHeader, Received, TaskId, notify};
use libsock::proto::CONSOLE_SIGNAL;
use netd::{Answers, Effects, Message, Netd, Reply};
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
    let mut timer = Timer { armed: None };
    let mut request = [0u8; abi::MAX_MESSAGE];
    loop {
        timer.keep_at(netd.next_deadline());
        let received = send_and_receive(netd.answers(), &mut request);
        netd.answers_sent();
        match received {
            Ok(Incoming { received: Received::Message(header), first_lease }) => {
                let len = header.len.min(request.len());
                let message = Message { header: MessageHeader { len, ..header }, buffer: &request, first_lease };
                netd.handle(&mut fx, &message);
            }
            // Each event's answers go before the next event starts; the
            // last one's with the next receive.
            Ok(Incoming { received: Received::Notification(bits), .. }) => {
                if bits & notify::TASK_EXIT != 0 {
                    netd.task_exit_notified(&mut fx);
                }
                if bits & notify::TIMER != 0 {
                    send_now(netd);
                    timer.rang();
                    netd.timer_fired(&mut fx, sys::now_ns());
                }
                if bits & CONSOLE_SIGNAL != 0 {
                    send_now(netd);
                    netd.console_signalled(&mut fx);
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

/// Sends `reply` now. A caller that died meanwhile cannot be answered;
/// nothing to do.
fn send_one(answers: &Answers<'_>, reply: &Reply) {
    let _ = ipc::reply(reply.to, Answers::CODE, answers.message(reply));
}

/// Sends the answers of the last event now, in order, and forgets them.
fn send_now(netd: &mut Netd) {
    let answers = netd.answers();
    for reply in answers.as_slice() {
        send_one(&answers, reply);
    }
    netd.answers_sent();
}

/// Sends `answers` in order and waits for the next request or notification:
/// the last two answers with the receive (`reply2_recv`, or `reply_recv`
/// for one), every earlier one at once with `reply`. That saves a kernel
/// entry per answer; the kernel runs equally urgent callers in the order
/// they are answered.
fn send_and_receive(answers: Answers<'_>, request: &mut [u8]) -> Result<Incoming, KernelError> {
    let reply_to = |reply: &Reply| ipc::ReplyTo { caller: reply.to, code: Answers::CODE, data: answers.message(reply) };
    let list = answers.as_slice();
    let sent = match list {
        [] => return ipc::recv_incoming(request, RECV_MASK),
        [only] => ipc::reply_recv(only.to, Answers::CODE, answers.message(only), request, RECV_MASK),
        [now @ .., earlier, later] => {
            for reply in now {
                send_one(&answers, reply);
            }
            ipc::reply2_recv(reply_to(earlier), reply_to(later), request, RECV_MASK)
        }
    };
    if let Ok(incoming) = sent {
        return Ok(incoming);
    }
    // On error nothing was sent (a caller died meanwhile): the answers go
    // one by one, in order, then a plain receive.
    for reply in list.iter().skip(list.len().saturating_sub(2)) {
        send_one(&answers, reply);
    }
    ipc::recv_incoming(request, RECV_MASK)
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
