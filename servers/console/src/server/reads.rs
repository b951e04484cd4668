//! Reads: who waits for a line, starting the first one's read on the
//! terminal, answering it, and what ends reads besides typing (Ctrl-C, a
//! change of foreground, a reader's end, init's report of an ended job).

use abi::{JobId, KernelError, MAX_TASKS, TaskId};
use console::discipline::{MAX_LINE, ReadEnd, ReadMode, Typed};
use urt::ipc::{FirstLease, lease_read, lease_write, reply};
use urt::proto::console::*;
use urt::proto::error_code;

use super::Console;

/// A task waiting in `READ_LINE`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reader {
    pub task: TaskId,
    pub job: JobId,
    pub request: ReadRequest,
    /// Length of its lease 0, where answers go.
    pub room: usize,
}

/// How a reader is answered.
enum Answer {
    End(ReadEnd),
    /// Woken at the start of its read: its own text goes back unchanged.
    WokenAtStart {
        text_len: usize,
        cursor: usize,
    },
    Failed(KernelError),
}

impl Console {
    pub(super) fn read_line(&mut self, caller: TaskId, job: JobId, lease: Option<FirstLease>, request: &[u8]) {
        let refusal = match (lease, ReadRequest::decode(request)) {
            (Some(lease), Some(request)) if lease.len >= request.lent_len() => {
                if job != self.foreground {
                    let _ = reply(caller, NOT_FOREGROUND, &[]);
                    return;
                }
                if self.readers.len() < MAX_TASKS {
                    self.readers.push_back(Reader { task: caller, job, request, room: lease.len });
                    self.deliver();
                    return;
                }
                KernelError::NoMemory
            }
            _ => KernelError::BadArgument,
        };
        let _ = reply(caller, error_code(refusal), &[]);
    }

    /// Starts the read of the first reader while none is live; answers each
    /// whose read ends at once (input typed ahead).
    pub(super) fn deliver(&mut self) {
        while self.terminal.reader().is_none() {
            let Some(&reader) = self.readers.front() else { return };
            match self.begin(reader) {
                Some(answer) => {
                    self.readers.pop_front();
                    self.answer(reader, answer);
                }
                None => return,
            }
        }
    }

    fn begin(&mut self, reader: Reader) -> Option<Answer> {
        let request = reader.request;
        let mut lent = [0u8; MAX_PROMPT + MAX_LINE];
        let lent = &mut lent[..request.lent_len()];
        if !lent.is_empty() && lease_read(reader.task, 0, 0, lent) != Ok(lent.len()) {
            return Some(Answer::Failed(KernelError::BadAddress));
        }
        let (prompt, text) = lent.split_at(usize::from(request.prompt_len));
        let cursor = usize::from(request.cursor);
        if request.wake() && self.terminal.take_pending_wake(reader.task) {
            // Its text goes back where answers go, at the lease's start.
            if lease_write(reader.task, 0, 0, text) != Ok(text.len()) {
                return Some(Answer::Failed(KernelError::BadAddress));
            }
            return Some(Answer::WokenAtStart { text_len: text.len(), cursor });
        }
        let mode = ReadMode { keys: request.keys(), wake: request.wake() };
        self.terminal.begin_read(reader.task, (prompt, text, cursor), mode, &mut self.uart).map(Answer::End)
    }

    fn answer(&mut self, reader: Reader, answer: Answer) {
        let task = reader.task;
        let _ = match answer {
            Answer::End(ReadEnd::Line) => answer_line(reader, self.terminal.line()),
            Answer::End(ReadEnd::EndOfInput) => reply(task, END_OF_INPUT, &[]),
            Answer::End(ReadEnd::Interrupted) => reply(task, INTERRUPTED, &[]),
            Answer::End(ReadEnd::HandBack(why)) => {
                let (text, cursor) = self.terminal.text();
                let len = text.len().min(reader.room);
                match lease_write(task, 0, 0, &text[..len]) {
                    Ok(_) => {
                        let cursor = cursor.min(len) as u32;
                        reply(task, HANDED_BACK, &HandedBack { len: len as u32, cursor, why }.encode())
                    }
                    Err(_) => reply(task, error_code(KernelError::BadAddress), &[]),
                }
            }
            Answer::WokenAtStart { text_len, cursor } => {
                let woken = HandedBack { len: text_len as u32, cursor: cursor as u32, why: HandBack::Woken };
                reply(task, HANDED_BACK, &woken.encode())
            }
            Answer::Failed(err) => reply(task, error_code(err), &[]),
        };
    }

    /// The live read ended: its reader is answered, and the next one's read
    /// starts.
    fn finish_live(&mut self, end: ReadEnd) {
        if let Some(reader) = self.readers.pop_front() {
            self.answer(reader, Answer::End(end));
        }
        self.deliver();
    }

    /// A typed byte.
    pub(super) fn typed(&mut self, byte: u8) {
        match self.terminal.typed(byte, &mut self.uart) {
            Typed::Nothing => {}
            Typed::Ended(end) => self.finish_live(end),
            Typed::Interrupt => self.interrupt(),
            // The line the reader had handed back is gone; its next read
            // hears of it.
            Typed::Cancelled => {}
        }
    }

    /// Ctrl-C: to the shell waiting for its foreground program, else to the
    /// live read, else kept for the next waiter.
    fn interrupt(&mut self) {
        self.interrupt_pending = false;
        if !self.waiters.is_empty() {
            for (caller, _) in self.waiters.drain(..) {
                let _ = reply(caller, INTERRUPTED, &[]);
            }
            self.terminal.restore_line(&mut self.uart);
        } else if self.terminal.reader().is_some() {
            self.terminal.end_read();
            self.finish_live(ReadEnd::Interrupted);
        } else {
            self.interrupt_pending = true;
        }
    }

    /// Init reports that a background job of `task` ended.
    pub(super) fn job_ended(&mut self, task: TaskId) {
        if let Some(end) = self.terminal.job_ended(task) {
            self.finish_live(end);
        }
    }

    /// Drops the readers `gone` picks, answering each with `answer` if given;
    /// the live read among them ends.
    pub(super) fn forget_readers(&mut self, mut gone: impl FnMut(&Reader) -> bool, answer: Option<u32>) {
        let live = self.terminal.reader();
        let mut live_gone = false;
        self.readers.retain(|reader| {
            if !gone(reader) {
                return true;
            }
            live_gone |= Some(reader.task) == live;
            if let Some(code) = answer {
                let _ = reply(reader.task, code, &[]);
            }
            false
        });
        if live_gone {
            self.terminal.end_read();
        }
        self.deliver();
    }

    pub(super) fn set_foreground(&mut self, request: &[u8]) -> Result<(), KernelError> {
        self.foreground = decode_foreground(request).ok_or(KernelError::BadArgument)?;
        // Pending reads of every other job end: it no longer holds the input.
        let foreground = self.foreground;
        self.forget_readers(|reader| reader.job != foreground, Some(NOT_FOREGROUND));
        Ok(())
    }
}

/// Writes a line into the reader's lease (cut to fit) and answers with its length.
fn answer_line(reader: Reader, line: &[u8]) -> Result<(), KernelError> {
    let len = line.len().min(reader.room);
    if lease_write(reader.task, 0, 0, &line[..len]).is_err() {
        return reply(reader.task, error_code(KernelError::BadAddress), &[]);
    }
    reply(reader.task, LINE, &(len as u32).to_le_bytes())
}
