//! `read(0, ...)`: the console gives whole lines; C reads any number of
//! bytes at a time (xv6's `gets` reads one), so the runtime keeps the rest of
//! the current line. Each line comes with its `\n`, as a terminal's does.

use alloc::vec::Vec;

/// The unread rest of the last console line.
#[derive(Debug, Default)]
pub struct LineReader {
    pending: Vec<u8>,
    taken: usize,
}

impl LineReader {
    pub const fn new() -> Self {
        LineReader { pending: Vec::new(), taken: 0 }
    }

    /// Whether a new line must be read before [`LineReader::take`] gives anything.
    pub fn is_empty(&self) -> bool {
        self.taken >= self.pending.len()
    }

    /// Keeps a line the console gave (without its end), adding the `\n`.
    pub fn push_line(&mut self, line: &[u8]) {
        self.pending.clear();
        self.pending.extend_from_slice(line);
        self.pending.push(b'\n');
        self.taken = 0;
    }

    /// Copies as much of the pending line as fits into `out`; returns how much.
    pub fn take(&mut self, out: &mut [u8]) -> usize {
        let rest = &self.pending[self.taken.min(self.pending.len())..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.taken += n;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_read_in_pieces_with_its_end() {
        let mut r = LineReader::new();
        assert!(r.is_empty());
        r.push_line(b"hello");
        let mut one = [0u8; 1];
        let mut got = Vec::new();
        while !r.is_empty() {
            assert_eq!(r.take(&mut one), 1);
            got.push(one[0]);
        }
        assert_eq!(got, b"hello\n");
        assert_eq!(r.take(&mut one), 0);
    }

    #[test]
    fn a_large_read_takes_the_rest_of_the_line_only() {
        let mut r = LineReader::new();
        r.push_line(b"abc");
        let mut two = [0u8; 2];
        assert_eq!(r.take(&mut two), 2);
        let mut big = [0u8; 64];
        assert_eq!(r.take(&mut big), 2);
        assert_eq!(&big[..2], b"c\n");
        r.push_line(b"");
        assert_eq!(r.take(&mut big), 1);
        assert_eq!(big[0], b'\n');
    }
}
