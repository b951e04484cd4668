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
//!   task gets [`NOT_FOREGROUND`] at once (an end of input, with its reason).
//!   An empty request is a plain read. A [`ReadRequest`] asks for more: lease
//!   0 (READ and WRITE) then starts with a prompt and the text to edit, which
//!   the console draws and keeps drawn below other output; with
//!   [`READ_KEYS`] Up, Down and Tab end the read, and with [`READ_WAKE`] so
//!   does init's [`JOB_ENDED`] for the reader. Such an end is
//!   [`HANDED_BACK`] with a [`HandedBack`]; the text so far is at the start
//!   of lease 0, and stays on screen until the reader writes or reads again.
//! - `SET_FOREGROUND` (init only): the job (u32) whose tasks now read; reads
//!   pending for tasks of any other job end with [`NOT_FOREGROUND`].
//! - `JOB_ENDED` (init only): a background job of the task (u32) ended; its
//!   read with [`READ_WAKE`] ends now, or its next one at once.
//! - `WAIT_FOREGROUND` (the system job only; others are `Denied`): blocks
//!   until the given task has ended ([`ENDED`]) or
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
pub const JOB_ENDED: u32 = 5;
pub const WATCH_INPUT: u32 = 6;

/// Reply codes besides success and errors.
pub const LINE: u32 = 0;
pub const ENDED: u32 = 0;
pub const END_OF_INPUT: u32 = 100;
pub const INTERRUPTED: u32 = 101;
pub const HANDED_BACK: u32 = 102;
/// End of input because the caller's job does not hold the console.
pub const NOT_FOREGROUND: u32 = 103;
pub const INPUT_READY: u32 = 0;
pub const WATCHING: u32 = 104;

/// Longest input line kept; longer input is cut.
pub const MAX_LINE: usize = 1024;
/// Longest prompt a `READ_LINE` may ask the console to draw.
pub const MAX_PROMPT: usize = 128;

/// `READ_LINE` flag: Up, Down and Tab end the read ([`HANDED_BACK`]).
pub const READ_KEYS: u8 = 1 << 0;
/// `READ_LINE` flag: init's [`JOB_ENDED`] for the reader ends the read.
pub const READ_WAKE: u8 = 1 << 1;

/// A `READ_LINE` request beyond the plain read: flags, and the lengths of
/// the prompt and the text at the start of lease 0, and the cursor (a byte
/// offset into the text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadRequest {
    pub flags: u8,
    pub prompt_len: u16,
    pub text_len: u16,
    pub cursor: u16,
}

pub const READ_REQUEST_LEN: usize = 7;

impl ReadRequest {
    pub fn encode(&self) -> [u8; READ_REQUEST_LEN] {
        let [p0, p1] = self.prompt_len.to_le_bytes();
        let [t0, t1] = self.text_len.to_le_bytes();
        let [c0, c1] = self.cursor.to_le_bytes();
        [self.flags, p0, p1, t0, t1, c0, c1]
    }

    /// An empty request is the plain read; otherwise exactly
    /// [`READ_REQUEST_LEN`] bytes within the limits, or `None`.
    pub fn decode(bytes: &[u8]) -> Option<ReadRequest> {
        if bytes.is_empty() {
            return Some(ReadRequest::default());
        }
        let bytes: &[u8; READ_REQUEST_LEN] = bytes.try_into().ok()?;
        let field = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let request = ReadRequest { flags: bytes[0], prompt_len: field(1), text_len: field(3), cursor: field(5) };
        let fits = usize::from(request.prompt_len) <= MAX_PROMPT
            && usize::from(request.text_len) <= MAX_LINE
            && request.cursor <= request.text_len;
        fits.then_some(request)
    }

    pub fn keys(&self) -> bool {
        self.flags & READ_KEYS != 0
    }

    pub fn wake(&self) -> bool {
        self.flags & READ_WAKE != 0
    }

    /// Bytes of lease 0 the console reads: the prompt, then the text.
    pub fn lent_len(&self) -> usize {
        usize::from(self.prompt_len) + usize::from(self.text_len)
    }
}

/// Why a read ended without a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandBack {
    Up = 1,
    Down = 2,
    Tab = 3,
    /// Init reported an ended background job of the reader.
    Woken = 4,
}

/// The [`HANDED_BACK`] reply: the text's length and the cursor in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandedBack {
    pub len: u32,
    pub cursor: u32,
    pub why: HandBack,
}

pub const HANDED_BACK_LEN: usize = 9;

impl HandedBack {
    pub fn encode(&self) -> [u8; HANDED_BACK_LEN] {
        let mut out = [0u8; HANDED_BACK_LEN];
        out[..4].copy_from_slice(&self.len.to_le_bytes());
        out[4..8].copy_from_slice(&self.cursor.to_le_bytes());
        out[8] = self.why as u8;
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<HandedBack> {
        let why = match bytes.get(8)? {
            1 => HandBack::Up,
            2 => HandBack::Down,
            3 => HandBack::Tab,
            4 => HandBack::Woken,
            _ => return None,
        };
        Some(HandedBack { len: read_u32(bytes, 0)?, cursor: read_u32(bytes, 4)?, why })
    }
}

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

    #[test]
    fn read_requests_round_trip_and_stay_in_their_limits() {
        assert_eq!(ReadRequest::decode(&[]), Some(ReadRequest::default()));
        let request = ReadRequest { flags: READ_KEYS | READ_WAKE, prompt_len: 2, text_len: 5, cursor: 3 };
        let decoded = ReadRequest::decode(&request.encode()).unwrap();
        assert_eq!(decoded, request);
        assert!(decoded.keys() && decoded.wake() && decoded.lent_len() == 7);
        let too_long = ReadRequest { prompt_len: MAX_PROMPT as u16 + 1, ..request };
        assert_eq!(ReadRequest::decode(&too_long.encode()), None);
        let past_end = ReadRequest { cursor: 6, ..request };
        assert_eq!(ReadRequest::decode(&past_end.encode()), None);
        assert_eq!(ReadRequest::decode(&request.encode()[..6]), None);
    }

    #[test]
    fn handed_back_replies_round_trip() {
        for why in [HandBack::Up, HandBack::Down, HandBack::Tab, HandBack::Woken] {
            let reply = HandedBack { len: 12, cursor: 4, why };
            assert_eq!(HandedBack::decode(&reply.encode()), Some(reply));
        }
        assert_eq!(HandedBack::decode(&[0; 9]), None);
        assert_eq!(HandedBack::decode(&[0; 8]), None);
    }
}
