//! The console's event loop: UART interrupts, task exits, calls, and the
//! pieces of long writes in between. Reads and their answers are in
//! `reads.rs`.
//!
//! A long write is shown one piece at a time (`console::output_queue`
//! decides whose piece and where it ends). While output is pending the loop
//! arms its timer for the next tick before it waits: input, task exits and
//! calls still wake it at once, and with none of them it sleeps until the
//! tick, so the tasks below the console's priority run between pieces (the
//! shell, for one, can answer what was typed). A kernel `recv` that never
//! blocks would not do: the console is the most urgent task, so polling
//! between pieces would keep every other task off the CPU until the write
//! was all shown.

mod reads;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use abi::{JobId, KernelError, MAX_MESSAGE, MAX_TASKS, MessageHeader, Received, TaskId, notify};
use console::input_watch::{InputWatches, Watch};
use console::output_queue::{CHUNK, Next, OutputQueue};
use console::terminal::Terminal;
use urt::ipc::{FirstLease, lease_read, recv_incoming, recv_notifications, reply};
use urt::proto::console::*;
use urt::proto::error_code;
use urt::sys;

use crate::uart::Uart;
use reads::Reader;

const IRQ_MASK: u32 = 1 << COM1_IRQ_BIT;

struct Console {
    uart: Uart,
    terminal: Terminal,
    /// The job whose tasks' reads get input (init says which).
    foreground: JobId,
    /// Foreground tasks waiting in `READ_LINE`, oldest first; the first one
    /// is the terminal's live read.
    readers: VecDeque<Reader>,
    /// Callers of `WAIT_FOREGROUND` and the task each waits for.
    waiters: Vec<(TaskId, TaskId)>,
    /// Ctrl-C pressed while nobody waited for it.
    interrupt_pending: bool,
    init: Option<TaskId>,
    /// Long writes being shown, at most one per task.
    output: OutputQueue<MAX_TASKS>,
    /// The input queue was full: the UART is left unread and its interrupt
    /// unacknowledged (so the sender keeps the rest) until a read makes room.
    input_held: bool,
    /// Tasks to tell when input waits for them (`WATCH_INPUT`).
    watches: InputWatches,
}

pub fn run() -> i32 {
    // SAFETY: init grants COM1's ports to the console before starting it,
    // and no other task is granted them.
    let uart = unsafe { Uart::init(COM1_BASE) };
    let mut console = Console {
        uart,
        terminal: Terminal::new(),
        // Until init says otherwise, the system's own tasks (the shell) read.
        foreground: JobId::SYSTEM,
        // Each reader and waiter is a task blocked in its call, so room for
        // every task, taken now, is never outgrown: no allocation later.
        readers: VecDeque::with_capacity(MAX_TASKS),
        waiters: Vec::with_capacity(MAX_TASKS),
        interrupt_pending: false,
        init: sys::lookup(urt::proto::init::NAME).ok(),
        output: OutputQueue::new(),
        input_held: false,
        watches: InputWatches::with_room(MAX_TASKS),
    };
    if sys::subscribe_exits().is_err() {
        console.show(TaskId::KERNEL, b"console: cannot follow task exits\n");
    }
    // Input that arrived before the interrupt was wired up.
    console.receive();
    let mut buf = [0u8; MAX_MESSAGE];
    loop {
        if console.input_held && console.terminal.has_room() {
            console.receive();
        }
        if !console.output.is_empty() {
            // A deadline already passed fires at the next tick.
            let _ = sys::set_timer(sys::now_ns() + 1);
        }
        if console.output.holds_line() {
            // Inside a line of a long write: nothing else may be shown
            // before its next piece, so input and calls wait until the line
            // ends (at most LONGEST_WHOLE_LINE bytes).
            if recv_notifications(notify::TIMER).is_err() {
                sys::yield_now();
            }
        } else {
            console.take_one(&mut buf);
        }
        console.show_next_piece();
    }
}

impl Console {
    /// Waits for and handles one notification or call.
    fn take_one(&mut self, buf: &mut [u8; MAX_MESSAGE]) {
        let Ok(incoming) = recv_incoming(buf, IRQ_MASK | notify::TASK_EXIT | notify::TIMER) else {
            sys::yield_now();
            return;
        };
        match incoming.received {
            Received::Notification(bits) => {
                if bits & IRQ_MASK != 0 {
                    self.receive();
                }
                if bits & notify::TASK_EXIT != 0 {
                    self.forget_ended();
                }
            }
            Received::Message(header) => {
                let len = header.len.min(buf.len());
                self.handle(header, incoming.first_lease, &buf[..len]);
            }
        }
    }

    fn show(&mut self, writer: TaskId, text: &[u8]) {
        self.terminal.show(writer, text, false, &mut self.uart);
    }

    fn forget_ended(&mut self) {
        self.forget_readers(|reader| !sys::task_alive(reader.task), None);
        self.output.retain(sys::task_alive);
        self.watches.retain(sys::task_alive);
        self.waiters.retain(|&(caller, task)| {
            if !sys::task_alive(caller) {
                return false;
            }
            let ended = !sys::task_alive(task);
            if ended {
                let _ = reply(caller, ENDED, &[]);
            }
            !ended
        });
    }

    fn init(&mut self) -> Option<TaskId> {
        if self.init.is_none() {
            self.init = sys::lookup(urt::proto::init::NAME).ok();
        }
        self.init
    }

    fn handle(&mut self, header: MessageHeader, first_lease: Option<FirstLease>, request: &[u8]) {
        let caller = header.sender;
        match header.operation {
            WRITE => self.write(caller, first_lease, request),
            READ_LINE => self.read_line(caller, header.job, first_lease, request),
            WATCH_INPUT => self.watch_input(caller, header.job, request),
            // Ctrl-C is the shell's to hear: a program that waited for a
            // foreground task would take it.
            WAIT_FOREGROUND if !header.job.is_system() => {
                let _ = reply(caller, error_code(KernelError::Denied), &[]);
            }
            SET_FOREGROUND | JOB_ENDED if Some(caller) != self.init() => {
                let _ = reply(caller, error_code(KernelError::Denied), &[]);
            }
            SET_FOREGROUND => {
                let code = self.set_foreground(request).map_or_else(error_code, |()| 0);
                let _ = reply(caller, code, &[]);
                // Watchers of the other jobs would now read end of input.
                self.tell_watchers();
            }
            JOB_ENDED => {
                let code = decode_task(request).map_or(error_code(KernelError::BadArgument), |task| {
                    self.job_ended(task);
                    0
                });
                let _ = reply(caller, code, &[]);
            }
            WAIT_FOREGROUND => match decode_task(request) {
                Some(task) if !sys::task_alive(task) => {
                    let _ = reply(caller, ENDED, &[]);
                }
                Some(_) if self.interrupt_pending => {
                    self.interrupt_pending = false;
                    let _ = reply(caller, INTERRUPTED, &[]);
                }
                Some(_) if self.waiters.len() >= MAX_TASKS => {
                    let _ = reply(caller, error_code(KernelError::NoMemory), &[]);
                }
                Some(task) => self.waiters.push((caller, task)),
                None => {
                    let _ = reply(caller, error_code(KernelError::BadArgument), &[]);
                }
            },
            _ => {
                let _ = reply(caller, error_code(KernelError::BadArgument), &[]);
            }
        }
    }

    /// Shows the caller's text: the request bytes at once, or its lease 0
    /// piece by piece (the reply waits for the last piece).
    fn write(&mut self, caller: TaskId, first_lease: Option<FirstLease>, request: &[u8]) {
        let code = match first_lease {
            None => {
                self.show(caller, request);
                0
            }
            Some(FirstLease { len: 0, .. }) => 0,
            Some(lease) => match self.output.add(caller, lease.len) {
                Ok(()) => return,
                Err(_) => error_code(KernelError::NoMemory),
            },
        };
        let _ = reply(caller, code, &[]);
    }

    /// Shows the next piece of the long write whose turn it is, and answers
    /// its writer once the last piece is out.
    fn show_next_piece(&mut self) {
        let Some(write) = self.output.turn() else { return };
        let mut chunk = [0u8; CHUNK];
        let read = &mut chunk[..write.next_read()];
        match lease_read(write.writer, 0, write.offset, read) {
            Ok(copied) if copied == read.len() => {}
            // The writer ended, or lent what cannot be read: what was
            // shown stays, and the call ends as every write does.
            _ => {
                self.output.remove(write.writer);
                let _ = reply(write.writer, 0, &[]);
                // The line being typed comes back if the write left it off.
                self.terminal.restore_line(&mut self.uart);
                return;
            }
        }
        let Some(piece) = self.output.take_piece(read) else { return };
        // Inside a line, the line being typed comes back after the rest.
        let more_of_line = piece.next == Next::KeepsTurn;
        self.terminal.show(write.writer, &read[..piece.len], more_of_line, &mut self.uart);
        if let Next::Finished(writer) = piece.next {
            let _ = reply(writer, 0, &[]);
        }
    }

    /// Takes typed bytes while there is room for them, acting on each;
    /// acknowledges the interrupt once the UART is drained.
    fn receive(&mut self) {
        while self.terminal.has_room() {
            let Some(byte) = self.uart.receive() else {
                self.input_held = false;
                let _ = sys::irq_ack(COM1_IRQ);
                self.tell_watchers();
                return;
            };
            self.typed(byte);
        }
        self.input_held = true;
        self.tell_watchers();
    }

    /// Tells the caller at once whether a read would wait; if it would, the
    /// caller's notification is posted when it no longer would.
    fn watch_input(&mut self, caller: TaskId, job: JobId, request: &[u8]) {
        let code = match decode_watch(request) {
            None => error_code(KernelError::BadArgument),
            Some(_) if job != self.foreground || self.terminal.has_line_ready() => INPUT_READY,
            Some((notify, bits)) => {
                let watch = Watch { watcher: caller, job, notify, bits };
                if self.watches.watch(watch) { WATCHING } else { error_code(KernelError::NoMemory) }
            }
        };
        let _ = reply(caller, code, &[]);
    }

    /// Posts to each watcher whose read would no longer wait.
    fn tell_watchers(&mut self) {
        let ready = self.terminal.has_line_ready();
        self.watches.take_ready(self.foreground, ready, |watch| {
            // A watcher that named a dead task learns nothing; its own next
            // look at the console finds the input all the same.
            let _ = sys::post(watch.notify, watch.bits);
        });
    }
}
