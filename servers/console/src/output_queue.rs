//! Pending output: writes too long to show in one go, shown a bounded piece
//! at a time and fairly between writers.
//!
//! A leased `WRITE` becomes a pending write (the writer stays blocked in its
//! call until its last byte is shown). The server shows one piece of the
//! writer whose turn it is, then takes input and other calls, then the next
//! piece. This queue decides whose turn it is and where a piece ends:
//!
//! - A piece is at most [`CHUNK`] bytes and ends after its last line end, so
//!   other output never lands inside a line of a pending write.
//! - A piece without a line end (a line longer than a chunk) keeps the turn:
//!   nothing else may be shown until the line ends, up to
//!   [`LONGEST_WHOLE_LINE`] bytes of it. A longer line passes the turn
//!   anyway; other output may then cut it, as a terminal would wrap it.
//! - After a piece that ends at a line end, the turn passes to the next
//!   writer, round-robin in the order the writes arrived.
//! - The rest of a write is shown as it is, line end or not (a prompt).
//!
//! The queue holds at most `N` writes, one per task (a writer is blocked in
//! its call, so it cannot have two), in a fixed array: it never allocates.

use abi::TaskId;

/// Most bytes shown in one piece.
pub const CHUNK: usize = 1024;
/// Longest line that other output never cuts.
pub const LONGEST_WHOLE_LINE: usize = 4 * CHUNK;

/// A write being shown: `writer` waits for its reply; bytes `offset..len`
/// of its lease 0 are still to be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingWrite {
    pub writer: TaskId,
    pub offset: usize,
    pub len: usize,
}

impl PendingWrite {
    const NONE: PendingWrite = PendingWrite { writer: TaskId::KERNEL, offset: 0, len: 0 };

    /// Bytes the server should read for the next piece.
    pub fn next_read(&self) -> usize {
        (self.len - self.offset).min(CHUNK)
    }
}

/// What the piece just shown means for the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The write is all shown: answer the writer.
    Finished(TaskId),
    /// The writer is inside a line: its next piece must come before any
    /// other output.
    KeepsTurn,
    /// The next writer's turn; other output may come first.
    PassesTurn,
}

/// A piece to show: the first `len` bytes of what was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub len: usize,
    pub next: Next,
}

/// The queue is full (more writers than tasks: cannot happen while each
/// task has at most one write pending).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

pub struct OutputQueue<const N: usize> {
    /// `writes[..count]` in turn order: `writes[0]` has the turn.
    writes: [PendingWrite; N],
    count: usize,
    /// Bytes of the current line the writer with the turn has shown.
    line_shown: usize,
}

impl<const N: usize> Default for OutputQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> OutputQueue<N> {
    pub const fn new() -> Self {
        OutputQueue { writes: [PendingWrite::NONE; N], count: 0, line_shown: 0 }
    }

    /// Queues a write of `len` bytes by `writer`, behind the others.
    pub fn add(&mut self, writer: TaskId, len: usize) -> Result<(), QueueFull> {
        if self.count == N {
            return Err(QueueFull);
        }
        self.writes[self.count] = PendingWrite { writer, offset: 0, len };
        self.count += 1;
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// The write whose turn it is.
    pub fn turn(&self) -> Option<PendingWrite> {
        (self.count > 0).then(|| self.writes[0])
    }

    /// Whether the writer with the turn is inside a line that nothing else
    /// may cut.
    pub fn holds_line(&self) -> bool {
        self.line_shown > 0
    }

    /// Decides the piece to show from `read`, the next bytes of the current
    /// write (at most [`PendingWrite::next_read`]), and moves the queue on as
    /// if it was shown.
    pub fn take_piece(&mut self, read: &[u8]) -> Option<Piece> {
        let current = self.turn()?;
        let rest = current.len - current.offset;
        let read = &read[..read.len().min(rest)];
        if read.len() == rest {
            self.remove_at(0);
            return Some(Piece { len: read.len(), next: Next::Finished(current.writer) });
        }
        let (len, next) = match read.iter().rposition(|&byte| byte == b'\n') {
            Some(end) => {
                self.line_shown = 0;
                (end + 1, Next::PassesTurn)
            }
            None => {
                self.line_shown += read.len();
                if self.line_shown < LONGEST_WHOLE_LINE && !read.is_empty() {
                    (read.len(), Next::KeepsTurn)
                } else {
                    self.line_shown = 0;
                    (read.len(), Next::PassesTurn)
                }
            }
        };
        self.writes[0].offset += len;
        if next == Next::PassesTurn {
            self.writes[..self.count].rotate_left(1);
        }
        Some(Piece { len, next })
    }

    /// Drops `writer`'s write (it ended, or its lease cannot be read).
    pub fn remove(&mut self, writer: TaskId) -> bool {
        match self.writes[..self.count].iter().position(|w| w.writer == writer) {
            Some(at) => {
                self.remove_at(at);
                true
            }
            None => false,
        }
    }

    /// Keeps only the writes whose writer passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(TaskId) -> bool) {
        let mut at = 0;
        while at < self.count {
            if keep(self.writes[at].writer) {
                at += 1;
            } else {
                self.remove_at(at);
            }
        }
    }

    fn remove_at(&mut self, at: usize) {
        if at == 0 {
            self.line_shown = 0;
        }
        self.writes[at..self.count].rotate_left(1);
        self.count -= 1;
        self.writes[self.count] = PendingWrite::NONE;
    }
}

#[cfg(test)]
mod tests;
