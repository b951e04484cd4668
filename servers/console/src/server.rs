//! The console's event loop: UART interrupts, task exits, calls, and the
//! pieces of long writes in between.
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

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use abi::{notify, JobId, KernelError, MessageHeader, Received, TaskId, MAX_MESSAGE, MAX_TASKS};
use console::discipline::{Discipline, Event, Signal};
use console::input_watch::{InputWatches, Watch};
use console::output_queue::{Next, OutputQueue, CHUNK};
use console::screen::Screen;
use urt::ipc::{lease_info, lease_read, lease_write, recv_incoming, recv_notifications, reply, FirstLease};
use urt::proto::console::*;
use urt::proto::error_code;
use urt::sys;

use crate::uart::Uart;

const IRQ_MASK: u32 = 1 << COM1_IRQ_BIT;

struct Console {
    uart: Uart,
    screen: Screen,
    discipline: Discipline,
    /// The job whose tasks' reads get input (init says which).
    foreground: JobId,
    /// Foreground tasks waiting in `READ_LINE`, oldest first, with their job.
    readers: VecDeque<(TaskId, JobId)>,
    /// Callers of `WAIT_FOREGROUND` and the task each waits for.
    waiters: Vec<(TaskId, TaskId)>,
    /// Ctrl-C pressed while nobody waited for it.
    interrupt_pending: bool,
    init: Option<TaskId>,
    /// Long writes being shown, at most one per task.
    output: OutputQueue<MAX_TASKS>,
    /// Typed text was taken off the screen by other output: echo it again
    /// once that output is at a line end.
    retype: bool,
    /// Tasks to tell when input waits for them (`WATCH_INPUT`).
    watches: InputWatches,
}

pub fn run() -> i32 {
    // SAFETY: init grants COM1's ports to the console before starting it,
    // and no other task is granted them.
    let uart = unsafe { Uart::init(COM1_BASE) };
    let mut console = Console {
        uart,
        screen: Screen::new(),
        discipline: Discipline::new(),
        // Until init says otherwise, the system's own tasks (the shell) read.
        foreground: JobId::SYSTEM,
        // Each reader and waiter is a task blocked in its call, so room for
        // every task, taken now, is never outgrown: no allocation later.
        readers: VecDeque::with_capacity(MAX_TASKS),
        waiters: Vec::with_capacity(MAX_TASKS),
        interrupt_pending: false,
        init: sys::lookup(urt::proto::init::NAME).ok(),
        output: OutputQueue::new(),
        retype: false,
        watches: InputWatches::with_room(MAX_TASKS),
    };
    if sys::subscribe_exits().is_err() {
        console.show(TaskId::KERNEL, b"console: cannot follow task exits\n");
    }
    // Input that arrived before the interrupt was wired up.
    console.receive();
    let _ = sys::irq_ack(COM1_IRQ);
    let mut buf = [0u8; MAX_MESSAGE];
    loop {
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
                    let _ = sys::irq_ack(COM1_IRQ);
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

    fn show(&mut self, writer: TaskId, text: &[u8]) -> bool {
        self.screen.write(writer, text, &mut self.uart)
    }

    /// The task input is typed for: the first reader, else a foreground
    /// task watching for input (a program in `poll`).
    fn typist(&self) -> Option<TaskId> {
        self.readers.front().map(|&(task, _)| task).or_else(|| self.watches.typist(self.foreground))
    }

    /// Echo belongs to the task it is typed for, so it continues that
    /// task's prompt line.
    fn echo(&mut self, text: &[u8]) {
        let writer = self.typist().unwrap_or(TaskId::KERNEL);
        self.show(writer, text);
    }

    fn receive(&mut self) {
        while let Some(byte) = self.uart.receive() {
            let mut echo = Vec::new();
            let signal = self.discipline.feed(byte, self.typist().is_some(), &mut echo);
            self.echo(&echo);
            if signal == Some(Signal::Interrupt) {
                self.interrupt();
            }
            self.deliver();
        }
        self.tell_watchers();
    }

    /// Posts to each watcher whose read would no longer wait.
    fn tell_watchers(&mut self) {
        let ready = self.discipline.has_ready();
        self.watches.take_ready(self.foreground, ready, |watch| {
            // A watcher that named a dead task learns nothing; its own
            // next look at the console finds the input all the same.
            let _ = sys::post(watch.notify, watch.bits);
        });
    }

    /// Hands queued input to waiting readers; then echoes the line being
    /// typed for the one still waiting.
    fn deliver(&mut self) {
        while self.discipline.has_ready() {
            let Some(&(reader, _)) = self.readers.front() else { return };
            let mut echo = Vec::new();
            let event = self.discipline.take(&mut echo);
            self.echo(&echo);
            self.readers.pop_front();
            match event {
                Some(Event::Line(line)) => answer_line(reader, &line),
                Some(Event::EndOfInput) => {
                    self.screen.end_line(&mut self.uart);
                    let _ = reply(reader, END_OF_INPUT, &[]);
                }
                None => {}
            }
        }
        if self.typist().is_some() {
            let mut echo = Vec::new();
            self.discipline.catch_up(&mut echo);
            self.echo(&echo);
        }
    }

    /// Ctrl-C: to the shell waiting for its foreground program, else to a
    /// reader, else kept for whichever comes first.
    fn interrupt(&mut self) {
        if !self.waiters.is_empty() {
            for (caller, _) in self.waiters.drain(..) {
                let _ = reply(caller, INTERRUPTED, &[]);
            }
        } else if let Some((reader, _)) = self.readers.pop_front() {
            let _ = reply(reader, INTERRUPTED, &[]);
        } else {
            self.interrupt_pending = true;
            return;
        }
        self.interrupt_pending = false;
    }

    fn forget_ended(&mut self) {
        self.readers.retain(|&(task, _)| sys::task_alive(task));
        self.watches.retain(sys::task_alive);
        self.output.retain(sys::task_alive);
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

    fn handle(&mut self, header: MessageHeader, first_lease: Option<FirstLease>, request: &[u8]) {
        let caller = header.sender;
        match header.operation {
            WRITE => self.write(caller, first_lease, request),
            READ_LINE => self.read_line(caller, header.job, header.leases),
            WATCH_INPUT => self.watch_input(caller, header.job, request),
            SET_FOREGROUND => {
                let code = self.set_foreground(caller, request).map_or_else(error_code, |()| 0);
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
                let broke = self.show(caller, request);
                self.retype_if_broken(caller, broke);
                self.deliver_if_broken();
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
                self.deliver_if_broken();
                return;
            }
        }
        let Some(piece) = self.output.take_piece(read) else { return };
        let broke = self.show(write.writer, &read[..piece.len]);
        self.retype_if_broken(write.writer, broke);
        match piece.next {
            // Inside a line: the typed text is shown again after it.
            Next::KeepsTurn => return,
            Next::PassesTurn => {}
            Next::Finished(writer) => {
                let _ = reply(writer, 0, &[]);
            }
        }
        self.deliver_if_broken();
    }

    /// Other output ended the line a reader was typing on: the typed text
    /// must be shown again on a new line.
    fn retype_if_broken(&mut self, writer: TaskId, broke: bool) {
        if broke && self.discipline.is_echoing() && self.typist() != Some(writer) {
            self.discipline.forget_echo();
            self.retype = true;
        }
    }

    fn deliver_if_broken(&mut self) {
        if core::mem::take(&mut self.retype) {
            self.deliver();
        }
    }

    fn read_line(&mut self, caller: TaskId, job: JobId, leases: usize) {
        if leases == 0 {
            let _ = reply(caller, error_code(KernelError::BadArgument), &[]);
        } else if job != self.foreground {
            let _ = reply(caller, END_OF_INPUT, &[]);
        } else if self.readers.len() >= MAX_TASKS {
            let _ = reply(caller, error_code(KernelError::NoMemory), &[]);
        } else {
            self.readers.push_back((caller, job));
            self.deliver();
        }
    }

    /// Tells the caller at once whether a read would wait; if it would, the
    /// caller's notification is posted when it no longer would.
    fn watch_input(&mut self, caller: TaskId, job: JobId, request: &[u8]) {
        let code = match decode_watch(request) {
            None => error_code(KernelError::BadArgument),
            Some(_) if job != self.foreground || self.discipline.has_ready() => INPUT_READY,
            Some((notify, bits)) => {
                let watch = Watch { watcher: caller, job, notify, bits };
                if self.watches.watch(watch) {
                    WATCHING
                } else {
                    error_code(KernelError::NoMemory)
                }
            }
        };
        let _ = reply(caller, code, &[]);
        if code == WATCHING {
            // As for a reader that arrives: what was typed ahead shows now.
            self.deliver();
        }
    }

    fn set_foreground(&mut self, caller: TaskId, request: &[u8]) -> Result<(), KernelError> {
        if self.init.is_none() {
            self.init = sys::lookup(urt::proto::init::NAME).ok();
        }
        if Some(caller) != self.init {
            return Err(KernelError::Denied);
        }
        self.foreground = decode_foreground(request).ok_or(KernelError::BadArgument)?;
        // Pending reads of every other job end: it no longer holds the input.
        let foreground = self.foreground;
        self.readers.retain(|&(reader, job)| {
            let gone = job != foreground;
            if gone {
                let _ = reply(reader, END_OF_INPUT, &[]);
            }
            !gone
        });
        // Watchers of the other jobs would now read end of input at once.
        self.tell_watchers();
        Ok(())
    }
}

/// Writes a line into the reader's lease (cut to fit) and answers with its length.
fn answer_line(reader: TaskId, line: &[u8]) {
    let room = lease_info(reader, 0).map_or(0, |(len, _)| len);
    let len = line.len().min(room);
    if lease_write(reader, 0, 0, &line[..len]).is_err() {
        let _ = reply(reader, error_code(KernelError::BadAddress), &[]);
        return;
    }
    let _ = reply(reader, LINE, &(len as u32).to_le_bytes());
}
