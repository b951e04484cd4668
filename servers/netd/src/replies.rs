//! The replies one event produces, in the order they go out.
//!
//! The core never calls the kernel to answer anyone: each request, timer or
//! task-exit event collects its answers here and returns them (see
//! [`crate::Handled`]). The order is the order in which the core woke the
//! callers, and the sender of a request comes last, after everyone its
//! request woke. The binary sends all but the last with `reply` and the last
//! with `reply_recv`, together with its next receive; the host tests deliver
//! them in the same order, so they see what the binary produces.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use abi::{MAX_TASKS, TaskId};
use libsock::SockError;
use libsock::proto::{self, PROTOCOL_VERSION, Response};

/// One answer to a blocked caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub to: TaskId,
    pub response: Response,
}

/// A caller waits in one call at most, so one event answers at most every
/// task once.
const CAPACITY: usize = MAX_TASKS + 1;

/// Where the answers of the event being handled are collected.
pub(crate) struct Replies {
    list: Vec<Reply>,
}

impl Replies {
    /// Room for an event that answers every task, taken at start.
    pub fn try_new() -> Result<Self, TryReserveError> {
        let mut list = Vec::new();
        list.try_reserve_exact(CAPACITY)?;
        Ok(Replies { list })
    }

    /// Starts the next event with no answers.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Adds `response` for `to` after the answers so far. Within the room
    /// taken at start this never allocates; past it (more callers than the
    /// kernel has tasks: only host tests) it asks for more and, refused,
    /// drops the answer rather than panic.
    pub fn push(&mut self, to: TaskId, response: Response) {
        if self.list.len() == self.list.capacity() && self.list.try_reserve(1).is_err() {
            return;
        }
        self.list.push(Reply { to, response });
    }

    pub fn as_slice(&self) -> &[Reply] {
        &self.list
    }
}

/// Room for `Ok` and `Received` (tag, a 5-byte varint, a flag) and errors.
const SMALL_ANSWER: usize = 8;

/// The reply code and bytes of `response`, encoded into `buf`.
pub fn encode<'b>(response: &Response, buf: &'b mut [u8; abi::MAX_MESSAGE]) -> (u32, &'b [u8]) {
    // The answers of the data path take a few bytes: encode them into a
    // small scratch first rather than let postcard walk a whole buffer.
    let mut small = [0u8; SMALL_ANSWER];
    let used = match proto::encode_response(response, &mut small) {
        Ok(bytes) => {
            let used = bytes.len();
            buf[..used].copy_from_slice(&small[..used]);
            used
        }
        // Every response fits one message (checked by libsock's tests); an
        // encoding failure would be a bug, answered as E_FAIL rather than silence.
        Err(_) => match proto::encode_response(response, buf) {
            Ok(bytes) => bytes.len(),
            Err(_) => proto::encode_response(&Response::Error(SockError::Fail), buf).map_or(0, <[u8]>::len),
        },
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
        let order: Vec<_> = replies.as_slice().iter().map(|r| r.to).collect();
        assert_eq!(order, [a, b]);
        replies.clear();
        assert!(replies.as_slice().is_empty());
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
            let (code, bytes) = encode(&response, &mut buf);
            assert_eq!(proto::decode_response(code, bytes), Ok(response));
        }
    }
}
