//! The screen and the keyboard together: how the line a person is typing
//! and the output of every task share one serial terminal.
//!
//! - Echo is the reading task's output: it continues that task's row.
//! - Before other output, the line being read leaves the screen: a
//!   prompted line is erased ([`ERASE_ROW`]), a plain one is ended. After
//!   the output, at a line start, the prompt and the text typed so far are
//!   drawn again, the cursor where it was (readline's redisplay). A piece of
//!   a long write that ends inside a line is followed by the rest of that
//!   line first, so the line is drawn again only after it.
//! - A handed-back line stays on screen until its reader reads again (only
//!   the difference is drawn) or anyone writes (it is erased; the reader's
//!   next read draws it below that output).
//! - A job end init reports for a reader ends its live read if it asked,
//!   else the next such read at once.
//!
//! [`ERASE_ROW`]: crate::discipline::ERASE_ROW

use abi::TaskId;

use crate::discipline::{Discipline, ReadEnd, ReadMode, Typed};
use crate::screen::{Screen, Sink};

#[derive(Debug, Default)]
pub struct Terminal {
    screen: Screen,
    input: Discipline,
    /// A background job of this task ended while it did not read.
    pending_wake: Option<TaskId>,
}

/// The discipline's echo, shown as `writer`'s output.
struct Echo<'a, S: Sink> {
    screen: &'a mut Screen,
    writer: TaskId,
    out: &'a mut S,
}

impl<S: Sink> Sink for Echo<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        self.screen.write(self.writer, bytes, self.out);
    }
}

impl Terminal {
    /// A terminal with all the room it will ever use.
    pub fn new() -> Self {
        Terminal { screen: Screen::new(), input: Discipline::new(), pending_wake: None }
    }

    /// Whether another typed byte can be taken now.
    pub fn has_room(&self) -> bool {
        self.input.has_room()
    }

    /// Whether a read that started now would be answered at once: a line
    /// typed ahead waits.
    pub fn has_line_ready(&self) -> bool {
        self.input.has_queued_line()
    }

    /// The task whose read is live.
    pub fn reader(&self) -> Option<TaskId> {
        self.input.owner().filter(|_| self.input.is_reading())
    }

    /// The line of the last [`ReadEnd::Line`].
    pub fn line(&self) -> &[u8] {
        self.input.line()
    }

    /// The text and cursor of the last hand-back.
    pub fn text(&self) -> (&[u8], usize) {
        (self.input.text(), self.input.cursor())
    }

    /// Whose output the discipline's echo is: the reader's, or the task
    /// whose handed-back line is shown.
    fn echo_writer(&self) -> TaskId {
        self.input.owner().unwrap_or(TaskId::KERNEL)
    }

    /// A typed byte.
    pub fn typed(&mut self, byte: u8, out: &mut impl Sink) -> Typed {
        let writer = self.echo_writer();
        let typed = self.input.typed(byte, &mut Echo { screen: &mut self.screen, writer, out });
        if typed == Typed::Ended(ReadEnd::EndOfInput) {
            self.screen.end_line(out);
        }
        typed
    }

    /// `reader` starts a read (none is live): see [`Discipline::begin`].
    pub fn begin_read(
        &mut self,
        reader: TaskId,
        (prompt, text, cursor): (&[u8], &[u8], usize),
        mode: ReadMode,
        out: &mut impl Sink,
    ) -> Option<ReadEnd> {
        let mut echo = Echo { screen: &mut self.screen, writer: reader, out };
        let end = self.input.begin(reader, prompt, text, cursor, mode, &mut echo);
        if end == Some(ReadEnd::EndOfInput) {
            self.screen.end_line(out);
        }
        end
    }

    /// Whether a read of `reader` that asks to be woken must end at once:
    /// one of its jobs ended while it was not reading. Forgets it.
    pub fn take_pending_wake(&mut self, reader: TaskId) -> bool {
        let pending = self.pending_wake == Some(reader);
        if pending {
            self.pending_wake = None;
        }
        pending
    }

    /// Init reports that a background job of `reader` ended: its live read
    /// ends if it asked for that; else its next read that asks does.
    pub fn job_ended(&mut self, reader: TaskId) -> Option<ReadEnd> {
        if self.reader() == Some(reader)
            && let Some(end) = self.input.wake()
        {
            return Some(end);
        }
        self.pending_wake = Some(reader);
        None
    }

    /// The live read ends without an answer from the discipline (its reader
    /// died, lost the console, or took a Ctrl-C).
    pub fn end_read(&mut self) {
        if self.input.is_reading() {
            self.input.abandon();
        }
    }

    /// Draws the live read's line again if it is off the screen: after a
    /// Ctrl-C that went to someone else (the line starts over below the
    /// `^C`), or a long write that stopped inside a line.
    pub fn restore_line(&mut self, out: &mut impl Sink) {
        self.redraw(out);
    }

    /// Shows `writer`'s `text`. `more_of_line`: the rest of its last line
    /// comes next (a piece of a long write).
    pub fn show(&mut self, writer: TaskId, text: &[u8], more_of_line: bool, out: &mut impl Sink) {
        if text.is_empty() {
            return;
        }
        let plain = !self.input.has_prompt();
        let owner = self.echo_writer();
        if self.input.hide(&mut Echo { screen: &mut self.screen, writer: owner, out }) && plain && owner == writer {
            // The reader itself writes after a hand-back: its typed text
            // ends there.
            self.screen.end_line(out);
        }
        self.screen.write(writer, text, out);
        if !more_of_line {
            self.redraw(out);
        }
    }

    fn redraw(&mut self, out: &mut impl Sink) {
        if self.input.needs_redraw() {
            self.screen.end_line(out);
            let writer = self.echo_writer();
            self.input.redraw(&mut Echo { screen: &mut self.screen, writer, out });
        }
    }
}

#[cfg(test)]
mod tests;
