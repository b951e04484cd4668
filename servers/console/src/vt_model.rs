//! A model terminal for the host tests: applies the console's output bytes
//! to rows of characters and a cursor, understanding exactly the controls
//! the console sends (CR, LF, BS, `ESC [ n A/C/D`, `ESC [ K`, `ESC [ H`,
//! `ESC [ 2 J`). Rows are as wide as needed; anything else it does not
//! know makes the test fail.

use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Default)]
pub struct Vt {
    rows: Vec<Vec<char>>,
    row: usize,
    col: usize,
    pending: Vec<u8>,
}

impl Vt {
    pub fn new() -> Self {
        Vt { rows: alloc::vec![Vec::new()], ..Vt::default() }
    }

    /// Applies the bytes the console sent.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let input = core::mem::take(&mut self.pending);
        let mut at = 0;
        while at < input.len() {
            match input[at] {
                b'\r' => self.col = 0,
                b'\n' => {
                    self.row += 1;
                    if self.rows.len() <= self.row {
                        self.rows.push(Vec::new());
                    }
                }
                0x08 => self.col = self.col.saturating_sub(1),
                0x1b => {
                    let Some(len) = self.escape(&input[at..]) else {
                        self.pending = input[at..].to_vec();
                        return;
                    };
                    at += len;
                    continue;
                }
                _ => {
                    let len = utf8_len(input[at]);
                    let Some(bytes) = input.get(at..at + len) else {
                        self.pending = input[at..].to_vec();
                        return;
                    };
                    let c = core::str::from_utf8(bytes).expect("valid UTF-8").chars().next().unwrap();
                    assert!(!c.is_control(), "unexpected control {c:?}");
                    self.put(c);
                    at += len;
                    continue;
                }
            }
            at += 1;
        }
    }

    fn put(&mut self, c: char) {
        let line = &mut self.rows[self.row];
        while line.len() < self.col {
            line.push(' ');
        }
        if self.col < line.len() {
            line[self.col] = c;
        } else {
            line.push(c);
        }
        self.col += 1;
    }

    /// Handles the sequence at the start of `bytes`; its length, or `None`
    /// if it is not complete yet.
    fn escape(&mut self, bytes: &[u8]) -> Option<usize> {
        if bytes.len() < 2 {
            return None;
        }
        assert_eq!(bytes[1], b'[', "only CSI sequences are sent: {bytes:?}");
        let end = bytes[2..].iter().position(|b| (0x40..=0x7e).contains(b))? + 2;
        let params = core::str::from_utf8(&bytes[2..end]).unwrap();
        let count = if params.is_empty() { 1 } else { params.parse::<usize>().unwrap() };
        match (bytes[end], params) {
            (b'A', _) => self.row = self.row.saturating_sub(count),
            (b'C', _) => self.col += count,
            (b'D', _) => self.col = self.col.saturating_sub(count),
            (b'K', "") => self.rows[self.row].truncate(self.col),
            (b'H', "") => (self.row, self.col) = (0, 0),
            (b'J', "2") => self.rows = alloc::vec![Vec::new(); self.row + 1],
            (other, _) => panic!("unexpected sequence ending {:?} in {bytes:?}", other as char),
        }
        Some(end + 1)
    }

    /// The row the cursor is on.
    pub fn current(&self) -> String {
        self.rows[self.row].iter().collect::<String>()
    }

    /// All rows, blanks at their ends removed.
    pub fn rows(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.iter().collect::<String>().trim_end().into()).collect()
    }

    pub fn cursor_column(&self) -> usize {
        self.col
    }
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}
