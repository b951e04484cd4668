//! The line discipline: turns typed bytes into lines for a reader, edits
//! the line on screen as keys come, and says what to echo.
//!
//! Input is acted on only while someone reads ("a read is live"). Bytes
//! typed while nobody reads wait in the input queue, untouched, and are
//! acted on when the next read starts, so a line typed ahead (a script
//! piped in at once) is echoed after that reader's prompt, and keys typed
//! while the shell looks up a history entry apply to that entry.
//! Ctrl-C is the exception: it acts at once, dropping the line being typed
//! (`keys` has what each byte means, `editor` how the line changes).
//!
//! A read may bring a prompt and a text to edit. The discipline then owns
//! the whole row (prompt and text): before other output it erases the row,
//! and the terminal draws it again below that output. A read without a
//! prompt follows the reader's own output on the row; other output then
//! ends the row, and the typed text is shown again after it.
//!
//! A read may also ask for Up, Down and Tab (history and completion are the
//! reader's), and to end when init reports that a job of the reader ended.
//! Such a read is handed back with the text so far, which stays on screen:
//! when the same reader reads again with another text, only the difference
//! is drawn.

use alloc::vec::Vec;

use abi::TaskId;
pub use urt::proto::console::{HandBack, MAX_PROMPT};

use crate::editor::LineEditor;
use crate::input_queue::InputQueue;
use crate::keys::{CTRL_C, Key, KeyDecoder};
use crate::screen::Sink;

pub use crate::editor::MAX_LINE;

/// Bytes typed ahead that wait for a reader at most.
pub const INPUT_QUEUE: usize = 4096;

/// Takes the row of a prompted line off the screen, leaving the cursor at
/// the start of that emptied row, right after a line end (so what follows
/// starts a line, for the eye and for anything reading the byte stream).
pub const ERASE_ROW: &[u8] = b"\r\x1b[K\x1b[A\n";
pub const CLEAR_SCREEN: &[u8] = b"\x1b[H\x1b[2J";

/// How a read ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadEnd {
    /// A line: [`Discipline::line`].
    Line,
    EndOfInput,
    Interrupted,
    /// A key or event for the reader: [`Discipline::text`] holds the text.
    HandBack(HandBack),
}

/// What a typed byte did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typed {
    Nothing,
    Ended(ReadEnd),
    /// Ctrl-C: the line being typed is gone; the caller decides who is
    /// interrupted (the live read, if any, goes on until it does).
    Interrupt,
    /// Ctrl-C while nobody read and a line was handed back: that line is
    /// gone, and its reader's next read is interrupted.
    Cancelled,
}

/// What a reader asked for besides a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadMode {
    /// Up, Down and Tab end the read.
    pub keys: bool,
    /// [`Discipline::wake`] ends the read.
    pub wake: bool,
}

#[derive(Debug)]
pub struct Discipline {
    keys: KeyDecoder,
    queue: InputQueue<INPUT_QUEUE>,
    editor: LineEditor,
    prompt: [u8; MAX_PROMPT],
    prompt_len: usize,
    /// The reader whose line is being read, or shown after a hand-back.
    owner: Option<TaskId>,
    /// The live read's mode; `None` while nobody reads.
    reading: Option<ReadMode>,
    /// The prompt and text are on the screen's current row, the terminal's
    /// cursor at the editor's.
    shown: bool,
    /// The last line handed over.
    completed: Vec<u8>,
    /// Ctrl-C came while this reader's line was handed back: its next read
    /// is interrupted.
    cancelled: Option<TaskId>,
}

impl Default for Discipline {
    fn default() -> Self {
        Self::new()
    }
}

impl Discipline {
    /// A discipline with all the room it will ever use.
    pub fn new() -> Self {
        Discipline {
            keys: KeyDecoder::new(),
            queue: InputQueue::new(),
            editor: LineEditor::new(),
            prompt: [0; MAX_PROMPT],
            prompt_len: 0,
            owner: None,
            reading: None,
            shown: false,
            completed: Vec::with_capacity(MAX_LINE),
            cancelled: None,
        }
    }

    /// Whether a line typed ahead (or an end of input) waits in the queue.
    pub fn has_queued_line(&self) -> bool {
        self.queue.has_line_end()
    }

    /// Whether another byte can be taken.
    pub fn has_room(&self) -> bool {
        !self.queue.is_full()
    }

    pub fn is_reading(&self) -> bool {
        self.reading.is_some()
    }

    /// Who reads, or whose handed-back line is shown.
    pub fn owner(&self) -> Option<TaskId> {
        self.owner
    }

    pub fn is_shown(&self) -> bool {
        self.shown
    }

    pub fn has_prompt(&self) -> bool {
        self.prompt_len > 0
    }

    /// The line of the last [`ReadEnd::Line`].
    pub fn line(&self) -> &[u8] {
        &self.completed
    }

    /// The text being edited (what a hand-back hands back).
    pub fn text(&self) -> &[u8] {
        self.editor.text()
    }

    pub fn cursor(&self) -> usize {
        self.editor.cursor()
    }

    fn prompt(&self) -> &[u8] {
        &self.prompt[..self.prompt_len]
    }

    /// Takes one typed byte; echo goes to `out`.
    pub fn typed(&mut self, byte: u8, out: &mut impl Sink) -> Typed {
        if self.reading.is_some() && self.queue.is_empty() {
            return match self.keys.feed(byte) {
                Some(key) => self.act(key, out),
                None => Typed::Nothing,
            };
        }
        if byte == CTRL_C {
            self.queue.drop_partial_line();
            if self.queue.is_empty() {
                self.keys.cancel_sequence();
            }
            if self.shown {
                // A handed-back line: cancelled on screen, and its reader's
                // next read is interrupted.
                self.editor.go_to_end(out);
                out.put(b"^C\n");
                self.shown = false;
                self.editor.clear();
                self.cancelled = self.owner;
                return Typed::Cancelled;
            }
            out.put(b"^C\n");
            return Typed::Interrupt;
        }
        self.queue.push(byte);
        Typed::Nothing
    }

    /// `reader` starts a read: its prompt and text are drawn (or, if its
    /// handed-back line is still shown, changed to them), then the input
    /// typed ahead is acted on. Returns how the read ended, if it did.
    pub fn begin(
        &mut self,
        reader: TaskId,
        prompt: &[u8],
        text: &[u8],
        cursor: usize,
        mode: ReadMode,
        out: &mut impl Sink,
    ) -> Option<ReadEnd> {
        if self.cancelled == Some(reader) {
            self.cancelled = None;
            return Some(ReadEnd::Interrupted);
        }
        let prompt = &prompt[..prompt.len().min(MAX_PROMPT)];
        if self.shown && self.owner == Some(reader) && self.prompt() == prompt {
            self.editor.replace(text, cursor, out);
        } else {
            self.prompt[..prompt.len()].copy_from_slice(prompt);
            self.prompt_len = prompt.len();
            self.editor.load(text, cursor);
            self.shown = false;
            self.owner = Some(reader);
            if self.needs_drawing() {
                self.draw(out);
            }
        }
        self.reading = Some(mode);
        self.replay(out)
    }

    /// Ends the live read with [`HandBack::Woken`] if it asked for that.
    pub fn wake(&mut self) -> Option<ReadEnd> {
        if self.reading.is_some_and(|mode| mode.wake) {
            self.reading = None;
            return Some(ReadEnd::HandBack(HandBack::Woken));
        }
        None
    }

    /// The reader is gone (or lost the console): its line is dropped; what
    /// of it is on screen stays as text.
    pub fn abandon(&mut self) {
        self.reading = None;
        self.owner = None;
        self.shown = false;
        self.editor.clear();
    }

    /// Other output is about to be shown: a prompted line leaves the screen
    /// (a plain line stays; the screen ends its row). Returns whether a line
    /// was shown.
    pub fn hide(&mut self, out: &mut impl Sink) -> bool {
        if !self.shown {
            return false;
        }
        self.shown = false;
        if self.has_prompt() {
            out.put(ERASE_ROW);
        }
        true
    }

    /// Whether the live read's line must be drawn again (after other output
    /// or an interrupt that went elsewhere), at a line start.
    pub fn needs_redraw(&self) -> bool {
        self.reading.is_some() && !self.shown && self.needs_drawing()
    }

    /// Draws the live read's line again.
    pub fn redraw(&mut self, out: &mut impl Sink) {
        if self.needs_redraw() {
            self.draw(out);
        }
    }

    /// A plain line with no text has nothing to draw.
    fn needs_drawing(&self) -> bool {
        self.has_prompt() || !self.editor.is_empty()
    }

    fn draw(&mut self, out: &mut impl Sink) {
        out.put(self.prompt());
        self.editor.draw(out);
        self.shown = true;
    }

    /// Acts on the bytes typed ahead until the read ends or none are left.
    fn replay(&mut self, out: &mut impl Sink) -> Option<ReadEnd> {
        while self.reading.is_some() {
            let byte = self.queue.pop()?;
            match self.keys.feed(byte).map(|key| self.act(key, out)) {
                Some(Typed::Ended(end)) => return Some(end),
                // Ctrl-C is never queued.
                Some(Typed::Interrupt) => return Some(ReadEnd::Interrupted),
                _ => {}
            }
        }
        None
    }

    /// Acts on a key for the live read.
    fn act(&mut self, key: Key, out: &mut impl Sink) -> Typed {
        let mode = self.reading.unwrap_or_default();
        if !self.shown {
            self.draw(out);
        }
        let editor = &mut self.editor;
        match key {
            Key::Text { .. } => editor.insert(key.text(), out),
            Key::Tab if mode.keys => return self.hand_back(HandBack::Tab),
            Key::Tab => editor.insert(b"\t", out),
            Key::Up if mode.keys => return self.hand_back(HandBack::Up),
            Key::Down if mode.keys => return self.hand_back(HandBack::Down),
            Key::Up | Key::Down => {}
            Key::Enter => return self.finish_line(out),
            Key::EndOfInput if editor.is_empty() => {
                self.end_read();
                return Typed::Ended(ReadEnd::EndOfInput);
            }
            Key::EndOfInput => return self.finish_line(out),
            Key::Interrupt => {
                editor.go_to_end(out);
                out.put(b"^C\n");
                editor.clear();
                self.shown = false;
                return Typed::Interrupt;
            }
            Key::Redraw => {
                out.put(CLEAR_SCREEN);
                self.draw(out);
            }
            Key::Backspace => editor.backspace(out),
            Key::Delete => editor.delete(out),
            Key::Left => editor.left(out),
            Key::Right => editor.right(out),
            Key::WordLeft => editor.word_left(out),
            Key::WordRight => editor.word_right(out),
            Key::Home => editor.home(out),
            Key::End => editor.end(out),
            Key::EraseToStart => editor.erase_to_start(out),
            Key::EraseToEnd => editor.erase_to_end(out),
            Key::EraseWord => editor.erase_word(out),
        }
        Typed::Nothing
    }

    /// Ends the read with its text handed back; the line stays shown.
    fn hand_back(&mut self, why: HandBack) -> Typed {
        self.reading = None;
        Typed::Ended(ReadEnd::HandBack(why))
    }

    fn finish_line(&mut self, out: &mut impl Sink) -> Typed {
        self.editor.go_to_end(out);
        out.put(b"\n");
        self.completed.clear();
        self.completed.extend_from_slice(self.editor.text());
        self.end_read();
        Typed::Ended(ReadEnd::Line)
    }

    fn end_read(&mut self) {
        self.editor.clear();
        self.reading = None;
        self.owner = None;
        self.shown = false;
    }
}

#[cfg(test)]
mod tests;
