//! The replies one event produces, in the order they go out.
//!
//! The core never calls the kernel to answer anyone: each request, timer or
//! task-exit event collects its answers here and returns them (see
//! [`crate::Handled`]). The order is the order in which the core woke the
//! callers, and the sender of a request comes last, after everyone its
//! request woke. The binary sends them in that order, the last two together
//! with its next receive (`reply2_recv`, or `reply_recv` for one) and any
//! earlier ones at once with `reply`; the host tests deliver them in the same
//! order, so they see what the binary produces.
//!
//! An answer may carry data after it (`ReceivedInline`): the event's data
//! is kept in one arena here, and each answer names its part of it.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use abi::{MAX_TASKS, TaskId};
use libsock::SockError;
use libsock::limits::INLINE_MAX;
use libsock::proto::{self, PROTOCOL_VERSION, Response};

/// One answer to a blocked caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub to: TaskId,
    pub response: Response,
    /// The data that follows the answer in its message.
    pub(crate) data: Data,
}

/// Where an answer's data lies in the event's arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Data {
    start: u16,
    len: u16,
}

/// The arena's size: an event answers at most two receivers with data
/// (a `send` wakes one); room for four leaves a margin, and data that finds
/// no room goes by lease instead.
const DATA_ROOM: usize = 4 * INLINE_MAX as usize;
// `Data` names its part of the arena in u16s.
const _: () = assert!(DATA_ROOM <= u16::MAX as usize);

/// A caller waits in one call at most, so one event answers at most every
/// task once.
const CAPACITY: usize = MAX_TASKS + 1;

/// Where the answers of the event being handled are collected.
pub(crate) struct Replies {
    list: Vec<Reply>,
    data: Vec<u8>,
}

impl Replies {
    /// Room for an event that answers every task, taken at start.
    pub fn try_new() -> Result<Self, TryReserveError> {
        let mut list = Vec::new();
        list.try_reserve_exact(CAPACITY)?;
        let mut data = Vec::new();
        data.try_reserve_exact(DATA_ROOM)?;
        Ok(Replies { list, data })
    }

    /// Starts the next event with no answers.
    pub fn clear(&mut self) {
        self.list.clear();
        self.data.clear();
    }

    /// Keeps `bytes` for an answer of this event; `None` when the arena has
    /// no room for them (the caller then writes them to the lease).
    pub fn keep_data(&mut self, bytes: &[u8]) -> Option<Data> {
        if bytes.len() > DATA_ROOM - self.data.len() {
            return None;
        }
        let data = Data { start: self.data.len() as u16, len: bytes.len() as u16 };
        // Within the room reserved at start: never allocates.
        self.data.extend_from_slice(bytes);
        Some(data)
    }

    /// Adds `response` for `to` after the answers so far. Within the room
    /// taken at start this never allocates; past it (more callers than the
    /// kernel has tasks: only host tests) it asks for more and, refused,
    /// drops the answer rather than panic.
    pub fn push(&mut self, to: TaskId, response: Response) {
        self.push_with_data(to, response, Data::default());
    }

    /// [`Replies::push`] for an answer followed by `data` (from `keep_data`).
    pub fn push_with_data(&mut self, to: TaskId, response: Response, data: Data) {
        if self.list.len() == self.list.capacity() && self.list.try_reserve(1).is_err() {
            return;
        }
        self.list.push(Reply { to, response, data });
    }

    pub fn answers(&self) -> Answers<'_> {
        Answers { list: &self.list, data: &self.data }
    }
}

/// The answers of one event, in order, with their data.
#[derive(Clone, Copy, Debug)]
pub struct Answers<'a> {
    list: &'a [Reply],
    data: &'a [u8],
}

impl<'a> Answers<'a> {
    pub fn as_slice(&self) -> &'a [Reply] {
        self.list
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The data that follows `reply` (one of these answers) in its message.
    pub fn data_of(&self, reply: &Reply) -> &'a [u8] {
        let start = usize::from(reply.data.start);
        self.data.get(start..start + usize::from(reply.data.len)).unwrap_or(&[])
    }

    /// The reply code and message of `reply`, encoded into `buf`.
    pub fn encode<'b>(&self, reply: &Reply, buf: &'b mut [u8; abi::MAX_MESSAGE]) -> (u32, &'b [u8]) {
        encode(&reply.response, self.data_of(reply), buf)
    }
}

/// The reply code and bytes of `response` followed by `data`, encoded into
/// `buf`.
fn encode<'b>(response: &Response, data: &[u8], buf: &'b mut [u8; abi::MAX_MESSAGE]) -> (u32, &'b [u8]) {
    // Every response and its data fit one message (checked by libsock's
    // tests); an encoding failure would be a bug, answered as E_FAIL rather
    // than silence.
    let used = match proto::encode_response_with_data(response, data, buf) {
        Ok(bytes) => bytes.len(),
        Err(_) => proto::encode_response(&Response::Error(SockError::Fail), buf).map_or(0, <[u8]>::len),
    };
    (PROTOCOL_VERSION.into(), &buf[..used])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_their_order_and_clear_per_event() {
        let mut replies = Replies::try_new().unwrap();
        let (a, b) = (TaskId::new(1, 1), TaskId::new(2, 1));
        replies.push(a, Response::Ok(1));
        replies.push(b, Response::Ok(2));
        let order: Vec<_> = replies.answers().as_slice().iter().map(|r| r.to).collect();
        assert_eq!(order, [a, b]);
        replies.clear();
        assert!(replies.answers().is_empty());
    }

    #[test]
    fn every_response_encodes_as_libsock_decodes_it() {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        for response in [
            Response::Ok(65_535),
            Response::Received { len: 4096, more: true },
            Response::Error(SockError::InvalidArg),
            Response::ListPage(proto::ListPage::empty(3)),
        ] {
            let (code, bytes) = encode(&response, &[], &mut buf);
            assert_eq!(proto::decode_response(code, bytes), Ok(response));
        }
    }

    #[test]
    fn each_answer_carries_its_own_data_until_the_arena_is_full() {
        let mut replies = Replies::try_new().unwrap();
        let (a, b) = (TaskId::new(1, 1), TaskId::new(2, 1));
        let first = replies.keep_data(b"first").unwrap();
        replies.push_with_data(a, Response::ReceivedInline { len: 5, more: false }, first);
        replies.push(b, Response::Ok(0));
        let second = replies.keep_data(b"2nd").unwrap();
        replies.push_with_data(b, Response::ReceivedInline { len: 3, more: true }, second);
        let answers = replies.answers();
        let data: Vec<&[u8]> = answers.as_slice().iter().map(|r| answers.data_of(r)).collect();
        assert_eq!(data, [&b"first"[..], b"", b"2nd"]);
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let (code, bytes) = answers.encode(&answers.as_slice()[2], &mut buf);
        assert_eq!(
            proto::decode_response_with_data(code, bytes),
            Ok((Response::ReceivedInline { len: 3, more: true }, &b"2nd"[..]))
        );
        let big = [0u8; INLINE_MAX as usize];
        while replies.keep_data(&big).is_some() {}
        assert!(replies.keep_data(&big).is_none(), "a full arena refuses, it does not grow");
        replies.clear();
        assert!(replies.keep_data(&big).is_some());
    }
}
