//! The buffers that hold small messages inside netd.
//!
//! A small message (<= `SMALL_MESSAGE_MAX`) waiting in an inbox sits in one
//! 4 KiB buffer from the [`BufferPool`]; the buffer goes back to the pool when
//! the inbox empties or the socket ends. The pool allocates a buffer only
//! when none is spare, never more than [`MAX_BUFFERED_MESSAGES`] in all, and
//! keeps them for later messages: the data path allocates only while the pool
//! grows to the busiest moment so far, and that allocation may fail (the
//! `send` then gets `E_FAIL`), never abort.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use libsock::limits::{MAX_BUFFERED_MESSAGES, SMALL_MESSAGE_MAX};

/// `SMALL_MESSAGE_MAX` bytes.
pub type Buffer = Vec<u8>;

pub struct BufferPool {
    /// Buffers no inbox holds; capacity for all of them reserved at start.
    spare: Vec<Buffer>,
    /// Buffers inboxes hold.
    lent: usize,
}

impl BufferPool {
    pub fn try_new() -> Result<Self, TryReserveError> {
        let mut spare = Vec::new();
        spare.try_reserve_exact(MAX_BUFFERED_MESSAGES)?;
        Ok(BufferPool { spare, lent: 0 })
    }

    /// A buffer for one message: a spare one, or a new one while fewer than
    /// [`MAX_BUFFERED_MESSAGES`] exist. `None` at the limit or when memory
    /// refuses a new one.
    pub fn take(&mut self) -> Option<Buffer> {
        let buffer = match self.spare.pop() {
            Some(buffer) => buffer,
            None if self.lent < MAX_BUFFERED_MESSAGES => {
                let mut buffer = Vec::new();
                buffer.try_reserve_exact(SMALL_MESSAGE_MAX as usize).ok()?;
                // Within the capacity just reserved: no further allocation.
                buffer.resize(SMALL_MESSAGE_MAX as usize, 0);
                buffer
            }
            None => return None,
        };
        self.lent += 1;
        Some(buffer)
    }

    pub fn give_back(&mut self, buffer: Buffer) {
        self.lent -= 1;
        // Spare and lent buffers together never pass the capacity reserved
        // at start, so this never grows the list.
        if self.spare.len() < self.spare.capacity() {
            self.spare.push(buffer);
        }
    }

    /// Buffers in existence, lent or spare.
    pub fn allocated(&self) -> usize {
        self.lent + self.spare.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_for_reuse_and_stop_at_the_limit() {
        let mut pool = BufferPool::try_new().unwrap();
        let mut held: Vec<Buffer> = (0..MAX_BUFFERED_MESSAGES).map(|_| pool.take().expect("below the limit")).collect();
        assert!(held.iter().all(|b| b.len() == SMALL_MESSAGE_MAX as usize));
        assert!(pool.take().is_none());
        pool.give_back(held.pop().unwrap());
        assert!(pool.take().is_some());
        assert_eq!(pool.allocated(), MAX_BUFFERED_MESSAGES);
    }
}
