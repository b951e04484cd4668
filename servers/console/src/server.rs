//! The console's event loop: UART interrupts, task exits and calls.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use abi::{notify, JobId, KernelError, MessageHeader, Received, TaskId, MAX_MESSAGE};
use console::discipline::{Discipline, Event, Signal};
use console::screen::Screen;
use urt::ipc::{lease_info, lease_read, lease_write, recv, reply};
use urt::proto::console::*;
use urt::proto::error_code;
use urt::sys;

use crate::uart::Uart;

const IRQ_MASK: u32 = 1 << COM1_IRQ_BIT;
/// Bytes of a leased write read per copy.
const CHUNK: usize = 1024;

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
        readers: VecDeque::new(),
        waiters: Vec::new(),
        interrupt_pending: false,
        init: sys::lookup(urt::proto::init::NAME).ok(),
    };
    if sys::subscribe_exits().is_err() {
        console.show(TaskId::KERNEL, b"console: cannot follow task exits\n");
    }
    // Input that arrived before the interrupt was wired up.
    console.receive();
    let _ = sys::irq_ack(COM1_IRQ);
    let mut buf = [0u8; MAX_MESSAGE];
    loop {
        match recv(&mut buf, IRQ_MASK | notify::TASK_EXIT) {
            Ok(Received::Notification(bits)) => {
                if bits & IRQ_MASK != 0 {
                    console.receive();
                    let _ = sys::irq_ack(COM1_IRQ);
                }
                if bits & notify::TASK_EXIT != 0 {
                    console.forget_ended();
                }
            }
            Ok(Received::Message(header)) => {
                let len = header.len.min(buf.len());
                console.handle(header, &buf[..len]);
            }
            Err(_) => sys::yield_now(),
        }
    }
}

impl Console {
    fn show(&mut self, writer: TaskId, text: &[u8]) -> bool {
        let mut out = Vec::with_capacity(text.len() + 8);
        let broke = self.screen.write(writer, text, &mut out);
        self.uart.send(&out);
        broke
    }

    /// Echo belongs to the reader it is typed for, so it continues the
    /// reader's prompt line.
    fn echo(&mut self, text: &[u8]) {
        let writer = self.readers.front().map_or(TaskId::KERNEL, |&(task, _)| task);
        self.show(writer, text);
    }

    fn receive(&mut self) {
        while let Some(byte) = self.uart.receive() {
            let mut echo = Vec::new();
            let signal = self.discipline.feed(byte, !self.readers.is_empty(), &mut echo);
            self.echo(&echo);
            if signal == Some(Signal::Interrupt) {
                self.interrupt();
            }
            self.deliver();
        }
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
                    let mut out = Vec::new();
                    self.screen.end_line(&mut out);
                    self.uart.send(&out);
                    let _ = reply(reader, END_OF_INPUT, &[]);
                }
                None => {}
            }
        }
        if !self.readers.is_empty() {
            let mut echo = Vec::new();
            self.discipline.catch_up(&mut echo);
            self.echo(&echo);
        }
    }

    /// Ctrl-C: to the shell waiting for its foreground program, else to a
    /// reader, else kept for whichever comes first.
    fn interrupt(&mut self) {
        if !self.waiters.is_empty() {
            for (caller, _) in core::mem::take(&mut self.waiters) {
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
        let mut still = Vec::new();
        for (caller, task) in core::mem::take(&mut self.waiters) {
            if !sys::task_alive(caller) {
                continue;
            }
            if sys::task_alive(task) {
                still.push((caller, task));
            } else {
                let _ = reply(caller, ENDED, &[]);
            }
        }
        self.waiters = still;
    }

    fn handle(&mut self, header: MessageHeader, request: &[u8]) {
        let caller = header.sender;
        match header.operation {
            WRITE => {
                self.write(caller, header.leases, request);
                let _ = reply(caller, 0, &[]);
            }
            READ_LINE => self.read_line(caller, header.job, header.leases),
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

    /// Shows the caller's text: the request bytes, or its lease 0.
    fn write(&mut self, caller: TaskId, leases: usize, request: &[u8]) {
        let broke = if leases == 0 {
            self.show(caller, request)
        } else {
            let len = lease_info(caller, 0).map_or(0, |(len, _)| len);
            let mut chunk = [0u8; CHUNK];
            let mut broke = false;
            let mut offset = 0;
            while offset < len {
                let part = &mut chunk[..CHUNK.min(len - offset)];
                if lease_read(caller, 0, offset, part).is_err() {
                    break;
                }
                broke |= self.show(caller, part);
                offset += part.len();
            }
            broke
        };
        // Other output ended the line a reader was typing on: show the
        // typed text again on the new line.
        if broke && self.discipline.is_echoing() && self.readers.front().map(|&(task, _)| task) != Some(caller) {
            self.discipline.forget_echo();
            self.deliver();
        }
    }

    fn read_line(&mut self, caller: TaskId, job: JobId, leases: usize) {
        if leases == 0 {
            let _ = reply(caller, error_code(KernelError::BadArgument), &[]);
        } else if job != self.foreground {
            let _ = reply(caller, END_OF_INPUT, &[]);
        } else {
            self.readers.push_back((caller, job));
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
        let (kept, gone): (VecDeque<_>, VecDeque<_>) =
            self.readers.drain(..).partition(|&(_, job)| job == self.foreground);
        self.readers = kept;
        for (reader, _) in gone {
            let _ = reply(reader, END_OF_INPUT, &[]);
        }
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
