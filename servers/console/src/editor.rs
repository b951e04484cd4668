//! The line being edited: its text, the cursor, and the bytes that show
//! each change on an ANSI terminal.
//!
//! Every change assumes the terminal's cursor stands at the editor's cursor
//! on the row that shows the line, and leaves it there again. Changes are
//! drawn from the first changed character on: that text is written again,
//! `ESC [ K` clears what is left of a longer old line, and `ESC [ n D` moves
//! back to the cursor. Moves are `ESC [ n C` / `ESC [ n D`.
//!
//! A column is one character (wide characters are taken as one); a tab is
//! kept in the text but shown as one space, so the columns stay known. The
//! line must fit on one terminal row for the moves to be right; Ctrl-L
//! (clear and redraw) puts a longer one right again.

use alloc::vec::Vec;

use crate::screen::Sink;

/// Longest line kept; further characters are dropped.
pub const MAX_LINE: usize = urt::proto::console::MAX_LINE;

pub const ERASE_TO_END: &[u8] = b"\x1b[K";

/// Columns `text` takes on screen: one per character.
pub fn columns(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b & 0xc0 != 0x80).count()
}

/// Writes `text` as the editor shows it (a tab as one space).
pub fn put_text(out: &mut impl Sink, text: &[u8]) {
    for run in text.split_inclusive(|&b| b == b'\t') {
        match run.split_last() {
            Some((b'\t', head)) => {
                out.put(head);
                out.put(b" ");
            }
            _ => out.put(run),
        }
    }
}

/// Moves the terminal's cursor `count` columns left (`back`) or right.
pub fn move_cursor(out: &mut impl Sink, count: usize, back: bool) {
    let letter = if back { b'D' } else { b'C' };
    match count {
        0 => {}
        1 => out.put(&[0x1b, b'[', letter]),
        _ => {
            let mut digits = urt::fmtbuf::FixedBuf::<24>::new();
            let _ = core::fmt::Write::write_fmt(&mut digits, format_args!("\x1b[{count}"));
            out.put(digits.as_bytes());
            out.put(&[letter]);
        }
    }
}

#[derive(Debug)]
pub struct LineEditor {
    text: Vec<u8>,
    /// Byte offset of the cursor, always on a character boundary.
    cursor: usize,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    /// An empty line with all the room it will ever use.
    pub fn new() -> Self {
        LineEditor { text: Vec::with_capacity(MAX_LINE), cursor: 0 }
    }

    pub fn text(&self) -> &[u8] {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Takes `text` (cut to [`MAX_LINE`] on a character boundary) with the
    /// cursor at `cursor` (moved to the end unless it is a boundary inside).
    pub fn load(&mut self, text: &[u8], cursor: usize) {
        let len = floor_boundary(text, text.len().min(MAX_LINE));
        self.text.clear();
        self.text.extend_from_slice(&text[..len]);
        let on_boundary = cursor <= len && (cursor == len || text[cursor] & 0xc0 != 0x80);
        self.cursor = if on_boundary { cursor } else { len };
    }

    /// Shows the whole line from the row's current position, then puts the
    /// terminal's cursor at the editor's.
    pub fn draw(&self, out: &mut impl Sink) {
        put_text(out, &self.text);
        move_cursor(out, columns(&self.text[self.cursor..]), true);
    }

    /// Moves the terminal's cursor from the editor's to the line end.
    pub fn go_to_end(&self, out: &mut impl Sink) {
        move_cursor(out, columns(&self.text[self.cursor..]), false);
    }

    /// Replaces the line (shown) by `text` with the cursor at `cursor`,
    /// drawing only what differs.
    pub fn replace(&mut self, text: &[u8], cursor: usize, out: &mut impl Sink) {
        let text = &text[..floor_boundary(text, text.len().min(MAX_LINE))];
        let mut start = self.text.iter().zip(text).take_while(|(a, b)| a == b).count();
        while !(is_boundary(&self.text, start) && is_boundary(text, start)) {
            start -= 1;
        }
        let len = self.text.len();
        self.splice(start, len, &text[start..], out);
        let cursor =
            if cursor <= self.text.len() && is_boundary(&self.text, cursor) { cursor } else { self.text.len() };
        self.move_to(cursor, out);
    }

    /// Inserts `chars` at the cursor (nothing if the line would grow past
    /// [`MAX_LINE`]).
    pub fn insert(&mut self, chars: &[u8], out: &mut impl Sink) {
        if self.text.len() + chars.len() <= MAX_LINE {
            self.splice(self.cursor, self.cursor, chars, out);
        }
    }

    pub fn backspace(&mut self, out: &mut impl Sink) {
        let start = self.previous(self.cursor);
        self.splice(start, self.cursor, &[], out);
    }

    pub fn delete(&mut self, out: &mut impl Sink) {
        let end = self.next(self.cursor);
        self.splice(self.cursor, end, &[], out);
    }

    pub fn erase_to_start(&mut self, out: &mut impl Sink) {
        self.splice(0, self.cursor, &[], out);
    }

    pub fn erase_to_end(&mut self, out: &mut impl Sink) {
        self.splice(self.cursor, self.text.len(), &[], out);
    }

    /// Erases the blanks before the cursor and the word before them.
    pub fn erase_word(&mut self, out: &mut impl Sink) {
        let start = self.word_start(self.cursor);
        self.splice(start, self.cursor, &[], out);
    }

    pub fn left(&mut self, out: &mut impl Sink) {
        self.move_to(self.previous(self.cursor), out);
    }

    pub fn right(&mut self, out: &mut impl Sink) {
        self.move_to(self.next(self.cursor), out);
    }

    pub fn home(&mut self, out: &mut impl Sink) {
        self.move_to(0, out);
    }

    pub fn end(&mut self, out: &mut impl Sink) {
        self.move_to(self.text.len(), out);
    }

    pub fn word_left(&mut self, out: &mut impl Sink) {
        self.move_to(self.word_start(self.cursor), out);
    }

    /// To the end of the next word.
    pub fn word_right(&mut self, out: &mut impl Sink) {
        let blank = |b: &u8| b.is_ascii_whitespace();
        let rest = &self.text[self.cursor..];
        let word = rest.iter().position(|b| !blank(b)).unwrap_or(rest.len());
        let end = rest[word..].iter().position(blank).map_or(rest.len(), |at| word + at);
        self.move_to(self.cursor + end, out);
    }

    fn move_to(&mut self, cursor: usize, out: &mut impl Sink) {
        if cursor < self.cursor {
            move_cursor(out, columns(&self.text[cursor..self.cursor]), true);
        } else {
            move_cursor(out, columns(&self.text[self.cursor..cursor]), false);
        }
        self.cursor = cursor;
    }

    /// Replaces `text[start..end]` by `with` (the cursor ends after it) and
    /// draws the change. `start` is a boundary at or before the cursor, or
    /// the cursor itself.
    fn splice(&mut self, start: usize, end: usize, with: &[u8], out: &mut impl Sink) {
        if start == end && with.is_empty() {
            return;
        }
        self.move_to(start, out);
        let shrinks = columns(&self.text[start..end]) > columns(with);
        self.text.drain(start..end);
        // Within the capacity taken at start: never allocates.
        self.text.extend_from_slice(with);
        self.text[start..].rotate_right(with.len());
        put_text(out, &self.text[start..]);
        if shrinks {
            out.put(ERASE_TO_END);
        }
        self.cursor = start + with.len();
        move_cursor(out, columns(&self.text[self.cursor..]), true);
    }

    /// The character boundary before `at` (0 at the start).
    fn previous(&self, at: usize) -> usize {
        self.text[..at].iter().rposition(|&b| b & 0xc0 != 0x80).unwrap_or(0)
    }

    /// The character boundary after `at` (the length at the end).
    fn next(&self, at: usize) -> usize {
        if at >= self.text.len() {
            return self.text.len();
        }
        self.text[at + 1..].iter().position(|&b| b & 0xc0 != 0x80).map_or(self.text.len(), |p| at + 1 + p)
    }

    /// Start of the word before `at`, past the blanks before `at`.
    fn word_start(&self, at: usize) -> usize {
        let before = &self.text[..at];
        let word_end = before.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
        before[..word_end].iter().rposition(|b| b.is_ascii_whitespace()).map_or(0, |p| p + 1)
    }
}

/// Whether a character starts at `at` (the ends count, whatever the bytes:
/// a reader may hand over text that is not UTF-8).
fn is_boundary(text: &[u8], at: usize) -> bool {
    at == 0 || at == text.len() || text.get(at).is_some_and(|&b| b & 0xc0 != 0x80)
}

/// The largest character boundary of `text` at or below `at`.
fn floor_boundary(text: &[u8], mut at: usize) -> usize {
    while at > 0 && !is_boundary(text, at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests;
