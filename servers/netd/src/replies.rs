//! The replies one event produces, in the order they go out.
//!
//! The core never calls the kernel to answer anyone: each request, timer or
//! task-exit event collects its answers here and returns them (see
//! [`crate::Handled`]). The order is the order in which the core woke the
//! callers, and the sender of a request comes last, after everyone its
//! request woke; but a `send` that is answered at once answers its sender
//! first. The kernel runs equally urgent callers in the order they are
//! answered, so the sender goes on first: it usually goes straight to wait
//! for the reply (a `recv`), so that the reply, when the receiver sends it,
//! is handed straight over too instead of through a buffer (one copy, fewer
//! steps; a socket ping-pong is about 190 instructions shorter). A
//! `connect` keeps the listener first, so that a server is back in `listen`
//! before its client can connect again. The binary sends them in that order, straight from here:
//! the last two together with its next receive (`reply2_recv`, or
//! `reply_recv` for one) and any earlier ones at once with `reply`; the host
//! tests deliver them in the same order, so they see what the binary
//! produces. The answers stay here until the next event starts.
//!
//! Each answer is encoded as it is given, into one arena of messages, with
//! its data (`ReceivedInline`) after it. Data for an answer given later in
//! the event (a `recv`'s piece, answered after everyone it woke) is kept
//! aside first (`keep_data`).

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use abi::{MAX_TASKS, TaskId};
use libsock::SockError;
use libsock::limits::INLINE_MAX;
use libsock::proto::{self, PROTOCOL_VERSION, Response};

/// One answer to a blocked caller: its message lies in the event's arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub to: TaskId,
    start: u32,
    end: u32,
}

/// Where data kept for a later answer lies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Data {
    start: u16,
    len: u16,
}

/// The inline data of one event: it answers at most two receivers with data
/// (a `send` wakes one); room for four leaves a margin, and data that finds
/// no room goes by lease instead.
const DATA_ROOM: usize = 4 * INLINE_MAX as usize;
// `Data` names its part of the kept data in u16s.
const _: () = assert!(DATA_ROOM <= u16::MAX as usize);

/// The longest encoding of any answer, data aside (checked by a test).
const ANSWER_MAX: usize = 40;

/// A caller waits in one call at most, so one event answers at most every
/// task once.
const CAPACITY: usize = MAX_TASKS + 1;

/// Where the answers of the event being handled are collected.
pub(crate) struct Replies {
    encoded: Encoded,
    /// Data kept for answers given later in the event.
    kept: Vec<u8>,
    /// Inline data this event's answers carry or will carry: at most
    /// `DATA_ROOM`.
    data_len: usize,
}

/// The answers in order, and their messages one after another: `used` bytes
/// of `messages`, which has room for `ANSWER_MAX` per answer the list has
/// room for, plus `DATA_ROOM`.
struct Encoded {
    list: Vec<Reply>,
    messages: Vec<u8>,
    used: usize,
}

impl Encoded {
    fn push(&mut self, to: TaskId, response: &Response, data: &[u8]) {
        if self.list.len() == self.list.capacity() && self.grow().is_err() {
            return;
        }
        let room = self.messages.get_mut(self.used..).unwrap_or_default();
        // Every answer fits its room (tested); an encoding failure would be
        // a bug, answered as E_FAIL rather than silence.
        let len = match proto::encode_response_with_data(response, data, room) {
            Ok(bytes) => bytes.len(),
            Err(_) => proto::encode_response(&Response::Error(SockError::Fail), room).map_or(0, <[u8]>::len),
        };
        let start = self.used;
        self.used += len;
        self.list.push(Reply { to, start: start as u32, end: self.used as u32 });
    }

    /// Room for one more answer than the list holds.
    fn grow(&mut self) -> Result<(), TryReserveError> {
        self.list.try_reserve(1)?;
        let room = self.list.capacity() * ANSWER_MAX + DATA_ROOM;
        self.messages.try_reserve(room.saturating_sub(self.messages.len()))?;
        self.messages.resize(room.max(self.messages.len()), 0);
        Ok(())
    }
}

/// A zeroed vector of `len` bytes, or the allocation error.
fn try_zeroed(len: usize) -> Result<Vec<u8>, TryReserveError> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len)?;
    bytes.resize(len, 0);
    Ok(bytes)
}

impl Replies {
    /// Room for an event that answers every task, taken at start.
    pub fn try_new() -> Result<Self, TryReserveError> {
        let mut list = Vec::new();
        list.try_reserve_exact(CAPACITY)?;
        let messages = try_zeroed(CAPACITY * ANSWER_MAX + DATA_ROOM)?;
        let mut kept = Vec::new();
        kept.try_reserve_exact(DATA_ROOM)?;
        Ok(Replies { encoded: Encoded { list, messages, used: 0 }, kept, data_len: 0 })
    }

    /// Starts the next event with no answers.
    #[inline]
    pub fn clear(&mut self) {
        self.encoded.list.clear();
        self.encoded.used = 0;
        self.kept.clear();
        self.data_len = 0;
    }

    /// Takes room for `len` bytes of inline data; false when the event has
    /// none left (the caller then writes them to the lease).
    #[inline]
    fn take_data_room(&mut self, len: usize) -> bool {
        if len > DATA_ROOM - self.data_len {
            return false;
        }
        self.data_len += len;
        true
    }

    /// Keeps `bytes` for an answer given later in this event; `None` when
    /// there is no room for them (the caller then writes them to the lease).
    #[inline]
    pub fn keep_data(&mut self, bytes: &[u8]) -> Option<Data> {
        if !self.take_data_room(bytes.len()) {
            return None;
        }
        let data = Data { start: self.kept.len() as u16, len: bytes.len() as u16 };
        // Within the room reserved at start: never allocates.
        self.kept.extend_from_slice(bytes);
        Some(data)
    }

    /// Adds `response` for `to` after the answers so far. Within the room
    /// taken at start this never allocates; past it (more callers than the
    /// kernel has tasks: only host tests) it asks for more and, refused,
    /// drops the answer rather than panic.
    #[inline]
    pub fn push(&mut self, to: TaskId, response: Response) {
        self.encoded.push(to, &response, &[]);
    }

    /// [`Replies::push`] for an answer followed by `data` (from `keep_data`).
    pub fn push_with_data(&mut self, to: TaskId, response: Response, data: Data) {
        let start = usize::from(data.start);
        let bytes = self.kept.get(start..start + usize::from(data.len)).unwrap_or(&[]);
        self.encoded.push(to, &response, bytes);
    }

    /// [`Replies::push`] for an answer followed by `bytes`, if the event has
    /// room for them; false (nothing pushed) if not.
    #[inline]
    pub fn push_inline(&mut self, to: TaskId, response: Response, bytes: &[u8]) -> bool {
        if !self.take_data_room(bytes.len()) {
            return false;
        }
        self.encoded.push(to, &response, bytes);
        true
    }

    /// Moves the last answer (the sender's) before the others, which keep
    /// their order.
    #[inline]
    pub fn answer_last_first(&mut self) {
        match self.encoded.list.as_mut_slice() {
            [] | [_] => {}
            [first, last] => core::mem::swap(first, last),
            list => list.rotate_right(1),
        }
    }

    #[inline]
    pub fn answers(&self) -> Answers<'_> {
        let Encoded { list, messages, used } = &self.encoded;
        Answers { list, messages: messages.get(..*used).unwrap_or(&[]) }
    }
}

/// The answers of one event, in order, with their messages.
#[derive(Clone, Copy, Debug)]
pub struct Answers<'a> {
    list: &'a [Reply],
    messages: &'a [u8],
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

    /// The reply code every answer travels with.
    pub const CODE: u32 = PROTOCOL_VERSION as u32;

    /// The message of `reply` (one of these answers): the encoded response
    /// and the data after it.
    #[inline]
    pub fn message(&self, reply: &Reply) -> &'a [u8] {
        self.messages.get(reply.start as usize..reply.end as usize).unwrap_or(&[])
    }

    /// The response `reply` carries, decoded again (for tests).
    pub fn response(&self, reply: &Reply) -> Response {
        proto::decode_response_with_data(Self::CODE, self.message(reply))
            .map_or(Response::Error(SockError::Fail), |(response, _)| response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libsock::proto::{ListPage, SocketRow};

    fn responses(answers: &Answers<'_>) -> Vec<Response> {
        answers.as_slice().iter().map(|r| answers.response(r)).collect()
    }

    #[test]
    fn answers_keep_their_order_and_clear_per_event() {
        let mut replies = Replies::try_new().unwrap();
        let (a, b) = (TaskId::new(1, 1), TaskId::new(2, 1));
        replies.push(a, Response::Ok(1));
        replies.push(b, Response::Ok(2));
        let order: Vec<_> = replies.answers().as_slice().iter().map(|r| r.to).collect();
        assert_eq!(order, [a, b]);
        assert_eq!(responses(&replies.answers()), [Response::Ok(1), Response::Ok(2)]);
        replies.clear();
        assert!(replies.answers().is_empty());
    }

    #[test]
    fn the_last_answer_moves_first_and_the_others_keep_their_order() {
        let mut replies = Replies::try_new().unwrap();
        let (a, b, c) = (TaskId::new(1, 1), TaskId::new(2, 1), TaskId::new(3, 1));
        for count in 0..=3 {
            replies.clear();
            for (to, code) in [(a, 1), (b, 2), (c, 3)].into_iter().take(count) {
                replies.push(to, Response::Ok(code));
            }
            replies.answer_last_first();
            let expected: &[Response] = match count {
                0 => &[],
                1 => &[Response::Ok(1)],
                2 => &[Response::Ok(2), Response::Ok(1)],
                _ => &[Response::Ok(3), Response::Ok(1), Response::Ok(2)],
            };
            assert_eq!(responses(&replies.answers()), expected);
        }
    }

    #[test]
    fn every_response_fits_the_room_of_one_answer_and_decodes_as_libsock_decodes_it() {
        let row = SocketRow {
            port: u16::MAX,
            state: proto::RowState::Connected,
            owner: u32::MAX,
            peer_port: Some(u16::MAX),
            queued: u32::MAX,
        };
        let mut page = ListPage::empty(u32::MAX);
        page.next_index = Some(u32::MAX);
        page.rows = [Some(row); libsock::limits::LIST_PAGE_ROWS];
        let largest = [
            Response::Ok(u32::MAX),
            Response::Received { len: u32::MAX, more: true },
            Response::Error(SockError::InvalidArg),
            Response::ListPage(page),
            Response::Accepted { port: u32::MAX, remote: u32::MAX },
            Response::Polled { ready: u32::MAX, console_signals: u32::MAX, console: true },
            Response::ReceivedInline { len: 0, more: true },
        ];
        let mut replies = Replies::try_new().unwrap();
        for response in largest {
            let mut buf = [0u8; abi::MAX_MESSAGE];
            assert!(proto::encode_response(&response, &mut buf).unwrap().len() <= ANSWER_MAX, "{response:?}");
            replies.push(TaskId::new(1, 1), response);
        }
        assert_eq!(responses(&replies.answers()), largest);
    }

    #[test]
    fn each_answer_carries_its_own_data_until_the_room_is_full() {
        let mut replies = Replies::try_new().unwrap();
        let (a, b) = (TaskId::new(1, 1), TaskId::new(2, 1));
        let first = replies.keep_data(b"first").unwrap();
        assert!(replies.push_inline(b, Response::ReceivedInline { len: 3, more: true }, b"2nd"));
        replies.push(b, Response::Ok(0));
        replies.push_with_data(a, Response::ReceivedInline { len: 5, more: false }, first);
        let answers = replies.answers();
        let decoded: Vec<_> = answers
            .as_slice()
            .iter()
            .map(|r| proto::decode_response_with_data(Answers::CODE, answers.message(r)).unwrap())
            .collect();
        assert_eq!(
            decoded,
            [
                (Response::ReceivedInline { len: 3, more: true }, &b"2nd"[..]),
                (Response::Ok(0), b""),
                (Response::ReceivedInline { len: 5, more: false }, b"first"),
            ]
        );
        let big = [0u8; INLINE_MAX as usize];
        while replies.keep_data(&big).is_some() {}
        assert!(replies.keep_data(&big).is_none(), "full room refuses, it does not grow");
        assert!(!replies.push_inline(a, Response::ReceivedInline { len: INLINE_MAX, more: false }, &big));
        replies.clear();
        assert!(replies.push_inline(a, Response::ReceivedInline { len: INLINE_MAX, more: false }, &big));
    }

    #[test]
    fn more_answers_than_tasks_still_encode_in_order() {
        let mut replies = Replies::try_new().unwrap();
        for i in 0..CAPACITY as u32 + 10 {
            replies.push(TaskId::new(1, 1), Response::Ok(i));
        }
        let expected: Vec<_> = (0..CAPACITY as u32 + 10).map(Response::Ok).collect();
        assert_eq!(responses(&replies.answers()), expected);
    }
}
