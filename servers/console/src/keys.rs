//! Typed bytes to keys: control characters, ANSI escape sequences (the
//! arrow and editing keys a terminal sends) and whole UTF-8 characters.
//!
//! The decoder keeps its state between bytes, so a sequence split across
//! interrupts, or across two reads, decodes the same as one sent at once.
//!
//! - CR, LF and CRLF each end one line (a terminal sends CR, a pipe LF); LF
//!   right after CR is dropped.
//! - `ESC [` (CSI) and `ESC O` (SS3) sequences: arrows, Home, End, Delete,
//!   Ctrl-arrows (word moves); other sequences are dropped whole. A control
//!   byte inside a sequence ends the sequence and counts as typed (so Ctrl-C
//!   always works). `ESC b` / `ESC f` move by words (Alt-b, Alt-f); `ESC`
//!   followed by anything else drops that byte.
//! - Readline's control keys: Ctrl-A/E (Home/End), Ctrl-B/F (Left/Right),
//!   Ctrl-P/N (Up/Down), Ctrl-U/K/W (erase), Ctrl-L (redraw).
//! - A UTF-8 character comes out whole; a byte that cannot be part of one
//!   comes out alone.

/// A key, as the line discipline acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Text: one character, its UTF-8 bytes in `bytes[..len]`.
    Text {
        bytes: [u8; 4],
        len: u8,
    },
    Tab,
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    WordLeft,
    WordRight,
    Home,
    End,
    Up,
    Down,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D.
    EndOfInput,
    /// Ctrl-U: erase from the line start to the cursor.
    EraseToStart,
    /// Ctrl-K: erase from the cursor to the line end.
    EraseToEnd,
    /// Ctrl-W: erase the word before the cursor.
    EraseWord,
    /// Ctrl-L: clear the screen and draw the line again.
    Redraw,
}

impl Key {
    /// The key for one ASCII character.
    pub const fn ascii(byte: u8) -> Key {
        Key::Text { bytes: [byte, 0, 0, 0], len: 1 }
    }

    /// The text of a `Text` key (empty for any other key).
    pub fn text(&self) -> &[u8] {
        match self {
            Key::Text { bytes, len } => &bytes[..*len as usize],
            _ => &[],
        }
    }
}

pub const CTRL_C: u8 = 0x03;
const ESCAPE: u8 = 0x1b;
/// Largest number kept from a sequence's parameters; larger ones saturate.
const PARAM_MAX: u16 = 999;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    /// Saw ESC; the next byte decides.
    Escape,
    /// Inside `ESC [ ...` until a final byte: its first two parameters.
    Csi {
        first: u16,
        second: u16,
        on_second: bool,
    },
    /// Saw `ESC O`; the next byte is the key.
    Ss3,
    /// Inside a UTF-8 character: bytes so far and bytes it needs.
    Utf8 {
        bytes: [u8; 4],
        len: u8,
        needs: u8,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct KeyDecoder {
    state: State,
    after_cr: bool,
}

impl Default for KeyDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyDecoder {
    pub const fn new() -> Self {
        KeyDecoder { state: State::Ground, after_cr: false }
    }

    /// Forgets a sequence or character begun but not finished (its other
    /// bytes were dropped).
    pub fn cancel_sequence(&mut self) {
        self.state = State::Ground;
    }

    /// Takes one typed byte; returns the key it completes, if any.
    pub fn feed(&mut self, byte: u8) -> Option<Key> {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        match self.state {
            State::Ground => self.ground(byte, after_cr),
            State::Escape => {
                self.state = match byte {
                    b'[' => State::Csi { first: 0, second: 0, on_second: false },
                    b'O' => State::Ss3,
                    _ => State::Ground,
                };
                match byte {
                    b'b' => Some(Key::WordLeft),
                    b'f' => Some(Key::WordRight),
                    0..=0x1f => self.ground(byte, false),
                    _ => None,
                }
            }
            State::Ss3 => {
                self.state = State::Ground;
                match byte {
                    0..=0x1f => self.ground(byte, false),
                    _ => final_key(byte, 0, 0),
                }
            }
            State::Csi { first, second, on_second } => match byte {
                b'0'..=b'9' => {
                    let digit = u16::from(byte - b'0');
                    let grow = |value: u16| (value * 10 + digit).min(PARAM_MAX);
                    self.state = if on_second {
                        State::Csi { first, second: grow(second), on_second }
                    } else {
                        State::Csi { first: grow(first), second, on_second }
                    };
                    None
                }
                b';' => {
                    self.state = State::Csi { first, second, on_second: true };
                    None
                }
                // Other parameter and intermediate bytes: kept out of the key.
                0x20..=0x3f => None,
                0x40..=0x7e => {
                    self.state = State::Ground;
                    final_key(byte, first, second)
                }
                _ => {
                    self.state = State::Ground;
                    self.ground(byte, false)
                }
            },
            State::Utf8 { mut bytes, len, needs } => {
                if byte & 0xc0 != 0x80 {
                    // The character was cut short: what came is dropped.
                    self.state = State::Ground;
                    return self.ground(byte, after_cr);
                }
                bytes[len as usize] = byte;
                let len = len + 1;
                if len == needs {
                    self.state = State::Ground;
                    Some(Key::Text { bytes, len })
                } else {
                    self.state = State::Utf8 { bytes, len, needs };
                    None
                }
            }
        }
    }

    fn ground(&mut self, byte: u8, after_cr: bool) -> Option<Key> {
        match byte {
            b'\n' if after_cr => None,
            b'\r' => {
                self.after_cr = true;
                Some(Key::Enter)
            }
            b'\n' => Some(Key::Enter),
            b'\t' => Some(Key::Tab),
            ESCAPE => {
                self.state = State::Escape;
                None
            }
            0x01 => Some(Key::Home),
            0x02 => Some(Key::Left),
            CTRL_C => Some(Key::Interrupt),
            0x04 => Some(Key::EndOfInput),
            0x05 => Some(Key::End),
            0x06 => Some(Key::Right),
            0x08 | 0x7f => Some(Key::Backspace),
            0x0b => Some(Key::EraseToEnd),
            0x0c => Some(Key::Redraw),
            0x0e => Some(Key::Down),
            0x10 => Some(Key::Up),
            0x15 => Some(Key::EraseToStart),
            0x17 => Some(Key::EraseWord),
            0x20..=0x7e => Some(Key::ascii(byte)),
            0xc2..=0xf4 => {
                let needs = match byte {
                    0xc2..=0xdf => 2,
                    0xe0..=0xef => 3,
                    _ => 4,
                };
                self.state = State::Utf8 { bytes: [byte, 0, 0, 0], len: 1, needs };
                None
            }
            // Other control bytes, stray continuation bytes and bytes that
            // never start a character.
            _ => None,
        }
    }
}

/// The key a sequence's final byte names, with its parameters.
fn final_key(byte: u8, first: u16, second: u16) -> Option<Key> {
    // A second parameter of 5 is Ctrl (xterm's modifier encoding).
    let ctrl = second == 5;
    match (byte, first) {
        (b'A', _) => Some(Key::Up),
        (b'B', _) => Some(Key::Down),
        (b'C', _) if ctrl => Some(Key::WordRight),
        (b'D', _) if ctrl => Some(Key::WordLeft),
        (b'C', _) => Some(Key::Right),
        (b'D', _) => Some(Key::Left),
        (b'H', _) | (b'~', 1 | 7) => Some(Key::Home),
        (b'F', _) | (b'~', 4 | 8) => Some(Key::End),
        (b'~', 3) => Some(Key::Delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn keys(input: &[u8]) -> Vec<Key> {
        let mut decoder = KeyDecoder::new();
        input.iter().filter_map(|&b| decoder.feed(b)).collect()
    }

    #[test]
    fn line_ends_cr_lf_and_crlf_are_one_enter_each() {
        assert_eq!(keys(b"\r\n"), [Key::Enter]);
        assert_eq!(keys(b"\n\r"), [Key::Enter, Key::Enter]);
        assert_eq!(keys(b"\r\r\n\n"), [Key::Enter, Key::Enter, Key::Enter]);
    }

    #[test]
    fn arrows_and_editing_keys_in_every_common_encoding() {
        assert_eq!(keys(b"\x1b[A\x1b[B\x1b[C\x1b[D"), [Key::Up, Key::Down, Key::Right, Key::Left]);
        assert_eq!(keys(b"\x1bOA\x1bOD\x1bOH\x1bOF"), [Key::Up, Key::Left, Key::Home, Key::End]);
        assert_eq!(keys(b"\x1b[H\x1b[1~\x1b[7~"), [Key::Home; 3]);
        assert_eq!(keys(b"\x1b[F\x1b[4~\x1b[8~"), [Key::End; 3]);
        assert_eq!(keys(b"\x1b[3~"), [Key::Delete]);
        assert_eq!(
            keys(b"\x1b[1;5C\x1b[1;5D\x1bb\x1bf"),
            [Key::WordRight, Key::WordLeft, Key::WordLeft, Key::WordRight]
        );
        assert_eq!(
            keys(b"\x01\x05\x02\x06\x10\x0e\x15\x0b\x17\x0c\x7f\x08\x03\x04\t"),
            [
                Key::Home,
                Key::End,
                Key::Left,
                Key::Right,
                Key::Up,
                Key::Down,
                Key::EraseToStart,
                Key::EraseToEnd,
                Key::EraseWord,
                Key::Redraw,
                Key::Backspace,
                Key::Backspace,
                Key::Interrupt,
                Key::EndOfInput,
                Key::Tab,
            ]
        );
    }

    #[test]
    fn a_sequence_split_byte_by_byte_decodes_the_same() {
        let mut decoder = KeyDecoder::new();
        let mut got = Vec::new();
        for chunk in [&b"a\x1b"[..], b"[", b"1", b";5", b"D", b"\x1b", b"O", b"H", b"\x1b[3", b"~"] {
            got.extend(chunk.iter().filter_map(|&b| decoder.feed(b)));
        }
        assert_eq!(got, [Key::ascii(b'a'), Key::WordLeft, Key::Home, Key::Delete]);
    }

    #[test]
    fn unknown_sequences_vanish_whole_and_control_bytes_break_out() {
        assert_eq!(keys(b"\x1b[200~x\x1b[?25h\x1b[5~y"), [Key::ascii(b'x'), Key::ascii(b'y')]);
        // Alt-x: the x is dropped; a control byte after ESC still counts.
        assert_eq!(keys(b"\x1bxz\x1b\x03"), [Key::ascii(b'z'), Key::Interrupt]);
        assert_eq!(keys(b"\x1b[1\x03A"), [Key::Interrupt, Key::ascii(b'A')]);
        assert_eq!(keys(b"\x1b[99999999999A"), [Key::Up]);
    }

    #[test]
    fn utf8_characters_come_out_whole() {
        let got = keys("é€😀".as_bytes());
        let texts: Vec<&[u8]> = got.iter().map(Key::text).collect();
        assert_eq!(texts, ["é".as_bytes(), "€".as_bytes(), "😀".as_bytes()]);
        // A cut-short character is dropped; stray bytes are ignored.
        assert_eq!(keys(b"\xc3a\x80\xffb"), [Key::ascii(b'a'), Key::ascii(b'b')]);
    }
}
