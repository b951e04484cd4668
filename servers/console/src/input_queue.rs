//! Typed bytes waiting for a reader, in a fixed ring: input typed ahead (a
//! script piped in at once) is kept until someone reads, and acted on then,
//! so its echo follows that reader's prompt.
//!
//! When the ring is full the server stops taking bytes from the UART (and
//! leaves its interrupt masked), so the sender holds the rest: nothing is
//! dropped and nothing is allocated.

/// Bytes that end a line in the queue: CR, LF and Ctrl-D.
fn ends_line(byte: u8) -> bool {
    matches!(byte, b'\r' | b'\n' | 0x04)
}

#[derive(Debug)]
pub struct InputQueue<const N: usize> {
    bytes: [u8; N],
    head: usize,
    len: usize,
}

impl<const N: usize> Default for InputQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> InputQueue<N> {
    pub const fn new() -> Self {
        InputQueue { bytes: [0; N], head: 0, len: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == N
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends `byte`; `false` (and nothing kept) when full.
    pub fn push(&mut self, byte: u8) -> bool {
        if self.is_full() {
            return false;
        }
        self.bytes[(self.head + self.len) % N] = byte;
        self.len += 1;
        true
    }

    pub fn pop(&mut self) -> Option<u8> {
        if self.is_empty() {
            return None;
        }
        let byte = self.bytes[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(byte)
    }

    /// Whether a whole line (or an end of input) waits: a read would not.
    pub fn has_line_end(&self) -> bool {
        (0..self.len).any(|i| ends_line(self.bytes[(self.head + i) % N]))
    }

    /// Drops what follows the last line end: the line being typed ahead
    /// (Ctrl-C). Lines already ended stay.
    pub fn drop_partial_line(&mut self) {
        while self.len > 0 && !ends_line(self.bytes[(self.head + self.len - 1) % N]) {
            self.len -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn drain<const N: usize>(queue: &mut InputQueue<N>) -> Vec<u8> {
        core::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn keeps_order_across_the_wrap_and_refuses_when_full() {
        let mut queue = InputQueue::<4>::new();
        for round in 0..3u8 {
            assert!(queue.push(round) && queue.push(round + 10) && queue.push(round + 20));
            assert_eq!(drain(&mut queue), [round, round + 10, round + 20]);
        }
        assert!((0..4).all(|b| queue.push(b)));
        assert!(queue.is_full() && !queue.push(9));
        assert_eq!(drain(&mut queue), [0, 1, 2, 3]);
    }

    #[test]
    fn ctrl_c_drops_only_the_unfinished_line() {
        let mut queue = InputQueue::<16>::new();
        b"ls\rps\nsle".iter().for_each(|&b| assert!(queue.push(b)));
        queue.drop_partial_line();
        assert_eq!(drain(&mut queue), b"ls\rps\n");
        b"abc".iter().for_each(|&b| assert!(queue.push(b)));
        queue.drop_partial_line();
        assert!(queue.is_empty());
        b"x\x04y".iter().for_each(|&b| assert!(queue.push(b)));
        queue.drop_partial_line();
        assert_eq!(drain(&mut queue), b"x\x04");
    }
}
