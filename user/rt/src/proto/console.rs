//! The console protocol: output, line input and the foreground set.
//!
//! - `WRITE`: the text is the request bytes, or lease 0 (READ) when it does
//!   not fit in a message. A write starts at a line start unless the same
//!   task left the line open (a prompt), and no other task's text lands
//!   inside its lines (lines longer than 4 KiB excepted). A leased write is
//!   shown piece by piece, between other tasks' output; the reply comes when
//!   its last byte is shown.
//! - `READ_LINE`: lease 0 (WRITE) receives the line without its end; the reply
//!   code is [`LINE`] with a u32 length (the line may have been cut to the
//!   lease), [`END_OF_INPUT`] or [`INTERRUPTED`]. Only a foreground task gets
//!   input (the kernel stamps each message with the caller's job); any other
//!   task gets end of input at once.
//! - `SET_FOREGROUND` (init only): the job (u32) whose tasks now read; reads
//!   pending for tasks of any other job end with [`END_OF_INPUT`].
//! - `WAIT_FOREGROUND`: blocks until the given task has ended ([`ENDED`]) or
//!   the user pressed Ctrl-C ([`INTERRUPTED`]). The shell waits for its
//!   foreground program this way, so Ctrl-C reaches it without the console
//!   ever calling another task (it only answers, so it cannot deadlock).
//! - `WATCH_INPUT`: a task id and notification bits (two u32). Answered at
//!   once: [`INPUT_READY`] if a `READ_LINE` would not wait now, else
//!   [`WATCHING`], and the console then posts the bits to that task (the
//!   kernel's `post`) once, when it would no longer wait. A new watch
//!   replaces the caller's earlier one. This is how a program waits for the
//!   console and its sockets together (netd's `poll`).

use abi::{JobId, TaskId};

use super::read_u32;

/// Registry name.
pub const NAME: &str = "console";

pub const WRITE: u32 = 1;
pub const READ_LINE: u32 = 2;
pub const SET_FOREGROUND: u32 = 3;
pub const WAIT_FOREGROUND: u32 = 4;
pub const WATCH_INPUT: u32 = 5;

/// Reply codes besides success and errors.
pub const LINE: u32 = 0;
pub const ENDED: u32 = 0;
pub const END_OF_INPUT: u32 = 100;
pub const INTERRUPTED: u32 = 101;
pub const INPUT_READY: u32 = 0;
pub const WATCHING: u32 = 102;

/// Longest input line kept; longer input is cut.
pub const MAX_LINE: usize = 1024;

/// COM1: its ports and interrupt, granted by init.
pub const COM1_BASE: u16 = 0x3f8;
pub const COM1_PORTS: u16 = 8;
pub const COM1_IRQ: u8 = 4;
/// Notification bit on which the console receives COM1's interrupt.
pub const COM1_IRQ_BIT: u32 = abi::notify::FIRST_IRQ_BIT;

/// Decodes a `SET_FOREGROUND` request: the job that now reads.
pub fn decode_foreground(bytes: &[u8]) -> Option<JobId> {
    if bytes.len() != 4 {
        return None;
    }
    read_u32(bytes, 0).map(JobId::new)
}

/// A `WATCH_INPUT` request: whom to post to, and which bits.
pub fn encode_watch(notify: TaskId, bits: u32) -> [u8; 8] {
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&notify.raw().to_le_bytes());
    bytes[4..].copy_from_slice(&bits.to_le_bytes());
    bytes
}

pub fn decode_watch(bytes: &[u8]) -> Option<(TaskId, u32)> {
    if bytes.len() != 8 {
        return None;
    }
    Some((TaskId::from_raw(read_u32(bytes, 0)?), read_u32(bytes, 4)?))
}

/// A task id request (`WAIT_FOREGROUND`).
pub fn decode_task(bytes: &[u8]) -> Option<TaskId> {
    read_u32(bytes, 0).map(TaskId::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreground_requests_round_trip() {
        let id = TaskId::new(5, 2);
        assert_eq!(decode_foreground(&7u32.to_le_bytes()), Some(JobId::new(7)));
        assert_eq!(decode_foreground(&[1, 0, 0, 0, 7]), None);
        assert_eq!(decode_foreground(&[1, 0, 0]), None);
        assert_eq!(decode_task(&id.raw().to_le_bytes()), Some(id));
        assert_eq!(decode_watch(&encode_watch(id, 4)), Some((id, 4)));
        assert_eq!(decode_watch(&[0; 7]), None);
    }
}
