//! The line discipline: turns typed bytes into lines, end-of-input and
//! interrupts, and says what to echo.
//!
//! - CR, LF and CRLF each end exactly one line (a terminal sends CR, a pipe LF).
//! - Backspace (0x7f or 0x08) erases the last character.
//! - Ctrl-C (0x03) drops the line being typed and raises an interrupt at once.
//! - Ctrl-D (0x04) on an empty line is end of input; after some text it
//!   hands over that text as a line.
//! - Escape sequences (arrow keys) and other control bytes are ignored.
//!
//! Echo follows the reader: while someone is waiting for a line and none is
//! queued ("live"), characters are echoed as they are typed. Input typed
//! ahead (a script piped in at once) is queued silently and echoed when a
//! reader takes it, so a transcript reads like the session it was.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Longest line kept; further characters are dropped.
pub const MAX_LINE: usize = urt::proto::console::MAX_LINE;

const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const ESCAPE: u8 = 0x1b;

/// What a reader gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Line(Vec<u8>),
    EndOfInput,
}

/// A byte that needs action beyond the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EscapeState {
    None,
    /// Saw ESC; the next byte decides.
    Started,
    /// Inside `ESC [ ...` until a final byte.
    Sequence,
}

/// A completed event and how much of it is already on screen.
#[derive(Debug)]
struct Ready {
    event: Event,
    /// Bytes of the line already echoed.
    shown: usize,
    /// Whether its line end was echoed.
    ended: bool,
}

#[derive(Debug)]
pub struct Discipline {
    edit: Vec<u8>,
    /// Bytes of `edit` on screen.
    echoed: usize,
    ready: VecDeque<Ready>,
    after_cr: bool,
    escape: EscapeState,
}

impl Default for Discipline {
    fn default() -> Self {
        Self::new()
    }
}

impl Discipline {
    pub const fn new() -> Self {
        Discipline {
            edit: Vec::new(),
            echoed: 0,
            ready: VecDeque::new(),
            after_cr: false,
            escape: EscapeState::None,
        }
    }

    /// Whether a completed line or end of input waits for a reader.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Handles one typed byte. `reader_waiting` says whether someone reads
    /// now; echo text is appended to `echo`.
    pub fn feed(&mut self, byte: u8, reader_waiting: bool, echo: &mut Vec<u8>) -> Option<Signal> {
        let live = reader_waiting && self.ready.is_empty();
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        match self.escape {
            EscapeState::Started => {
                self.escape = if byte == b'[' { EscapeState::Sequence } else { EscapeState::None };
                return None;
            }
            EscapeState::Sequence => {
                if (0x40..=0x7e).contains(&byte) {
                    self.escape = EscapeState::None;
                }
                return None;
            }
            EscapeState::None => {}
        }
        match byte {
            b'\n' if after_cr => {}
            b'\r' | b'\n' => {
                self.after_cr = byte == b'\r';
                let line = core::mem::take(&mut self.edit);
                self.complete(Event::Line(line), live, echo);
            }
            CTRL_C => {
                self.edit.clear();
                self.echoed = 0;
                echo.extend_from_slice(b"^C\n");
                return Some(Signal::Interrupt);
            }
            CTRL_D if self.edit.is_empty() => self.complete(Event::EndOfInput, live, echo),
            CTRL_D => {
                let line = core::mem::take(&mut self.edit);
                self.complete(Event::Line(line), live, echo);
            }
            BACKSPACE | DELETE => self.erase(echo),
            ESCAPE => self.escape = EscapeState::Started,
            b'\t' | 0x20.. if self.edit.len() < MAX_LINE => {
                self.edit.push(byte);
                if live {
                    self.catch_up(echo);
                }
            }
            _ => {}
        }
        None
    }

    /// Queues a finished event; echoes its end if its text was on screen.
    fn complete(&mut self, event: Event, live: bool, echo: &mut Vec<u8>) {
        let shown = core::mem::replace(&mut self.echoed, 0);
        let ended = live && matches!(event, Event::Line(_));
        if ended {
            echo.push(b'\n');
        }
        self.ready.push_back(Ready { event, shown, ended });
    }

    /// Removes the last character (all bytes of a UTF-8 sequence).
    fn erase(&mut self, echo: &mut Vec<u8>) {
        let Some(last) = self.edit.iter().rposition(|&b| b & 0xc0 != 0x80) else {
            self.edit.clear();
            return;
        };
        self.edit.truncate(last);
        if self.echoed > self.edit.len() {
            self.echoed = self.edit.len();
            echo.extend_from_slice(b"\x08 \x08");
        }
    }

    /// Echoes whatever of the line being typed is not on screen yet (a
    /// reader arrived, or other output broke the line).
    pub fn catch_up(&mut self, echo: &mut Vec<u8>) {
        echo.extend_from_slice(&self.edit[self.echoed..]);
        self.echoed = self.edit.len();
    }

    /// The screen line holding the typed text was ended by other output: the
    /// text must be echoed again on the next line.
    pub fn forget_echo(&mut self) {
        self.echoed = 0;
    }

    /// Whether part of the line being typed is on screen.
    pub fn is_echoing(&self) -> bool {
        self.echoed > 0
    }

    /// Takes the next event for a reader, echoing what of it was not shown.
    pub fn take(&mut self, echo: &mut Vec<u8>) -> Option<Event> {
        let ready = self.ready.pop_front()?;
        if let Event::Line(line) = &ready.event {
            echo.extend_from_slice(&line[ready.shown.min(line.len())..]);
            if !ready.ended {
                echo.push(b'\n');
            }
        }
        Some(ready.event)
    }
}

#[cfg(test)]
mod tests;
