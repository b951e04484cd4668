//! The wire protocol between clients and netd.
//!
//! A request is one IPC call: the operation code is [`Request::operation`], the
//! message is `PROTOCOL_VERSION` followed by the postcard encoding of the
//! [`Request`]. `Send` lends the data as lease 0 (READ, `len` bytes; no lease
//! when `len` is 0) and `Recv` lends the destination as lease 0 (WRITE, `len`
//! bytes). Every other request carries no lease. netd answers with reply code
//! `PROTOCOL_VERSION` and the postcard encoding of a [`Response`]. Both
//! encodings fit in `abi::MAX_MESSAGE` bytes and are built in a caller-provided
//! buffer, without heap.
//!
//! Small data may also travel inside the messages, after their encoding: the
//! data of a `SendInline` follows the request (and is lent as well, for a
//! send that has to wait), and a `RecvInline` may be answered with
//! `ReceivedInline`, whose data follows the answer. Nothing else carries
//! bytes after its encoding.
//!
//! Decoding never panics: bad bytes, a trailing byte, a wrong version or a
//! truncated message are a [`ProtoError`]. The requests and responses of the
//! data path (`Send`, `Recv`, `Ok`, `Received`) take a hand-written shortcut
//! that produces and accepts exactly postcard's bytes (`proto_fast.rs`).

use serde::{Deserialize, Serialize};

use crate::error::SockError;
use crate::limits::LIST_PAGE_ROWS;

/// The first byte of every request; netd answers a request of another
/// version with `E_INVALID_ARG`. Every program in the image is built with the
/// netd it talks to, so this changes only when encodings from different
/// builds could meet; the seed's five requests keep their bytes (tested).
pub const PROTOCOL_VERSION: u8 = 1;

/// IPC operation codes, one per request kind. netd checks that the code and the
/// encoded request agree.
pub mod op {
    pub const LISTEN: u32 = 1;
    pub const CONNECT: u32 = 2;
    pub const SEND: u32 = 3;
    pub const RECV: u32 = 4;
    pub const DISCONNECT: u32 = 5;
    pub const LIST: u32 = 6;
    // 7 is retired (it made netd fault) and not reused: netd answers it
    // E_INVALID_ARG like any unknown code.
    // The extensions.
    pub const LISTEN_QUEUE: u32 = 8;
    pub const ACCEPT: u32 = 9;
    pub const LISTEN_WAIT: u32 = 10;
    pub const SEND_WAIT: u32 = 11;
    pub const RECV_WAIT: u32 = 12;
    pub const POLL: u32 = 13;
    // Small data in the messages.
    pub const SEND_INLINE: u32 = 14;
    pub const RECV_INLINE: u32 = 15;
}

/// The notification bit netd receives when the console has input for a
/// task that asked the console to tell netd (see `Request::Poll`).
pub const CONSOLE_SIGNAL: u32 = 1 << 2;

/// How long a call of the extensions may wait for its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wait {
    /// Until the condition holds, as the seed's calls do.
    Forever,
    /// Not at all: `E_WOULD_BLOCK` instead of waiting.
    NonBlocking,
    /// At most this many milliseconds, then `E_TIMEOUT` (0: at once).
    Ms(u32),
}

/// One call to netd. Ports are `u32` on the wire so that netd, not the
/// encoding, rejects an out-of-range port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request<'a> {
    /// Create a listening socket and wait for one client.
    Listen { port: u32 },
    /// Connect to the socket listening on `port` of `host`.
    Connect {
        port: u32,
        #[serde(borrow)]
        host: &'a str,
    },
    /// Send one message of `len` bytes, lent as lease 0.
    Send { port: u32, len: u32 },
    /// Receive up to `len` bytes of the next message into lease 0.
    Recv { port: u32, len: u32 },
    /// Close the socket.
    Disconnect { port: u32 },
    /// One page of the socket table, from row cursor `start_index` (netstat).
    List { start_index: u32 },
    // The extensions; a program that never uses them never sends them.
    /// Listen on `port` for any number of clients, at most `backlog` of them
    /// waiting to be accepted. Answered at once.
    ListenQueue { port: u32, backlog: u32 },
    /// The next connection waiting on a `ListenQueue` socket: `Accepted`.
    Accept { port: u32, wait: Wait },
    /// `Listen` that gives up after `wait`.
    ListenWait { port: u32, wait: Wait },
    /// `Send` that gives up after `wait`.
    SendWait { port: u32, len: u32, wait: Wait },
    /// `Recv` that gives up after `wait`.
    RecvWait { port: u32, len: u32, wait: Wait },
    /// Which of `count` ports are ready: lease 0 (READ and WRITE) holds
    /// `count` entries of `crate::poll`, whose `ready` bytes netd fills in.
    /// `console` asks to be woken by a console signal netd has not seen:
    /// the `console_signals` of an earlier `Polled`, or `None` for no interest.
    Poll { count: u32, wait: Wait, console: Option<u32> },
    /// `SendWait` of at most `INLINE_MAX` bytes that follow the request in
    /// the message; lease 0 lends the same bytes, for a send that must wait.
    SendInline { port: u32, len: u32, wait: Wait },
    /// `RecvWait` that may be answered with `ReceivedInline`.
    RecvInline { port: u32, len: u32, wait: Wait },
}

impl Request<'_> {
    /// The IPC operation code this request travels with.
    pub const fn operation(&self) -> u32 {
        match self {
            Request::Listen { .. } => op::LISTEN,
            Request::Connect { .. } => op::CONNECT,
            Request::Send { .. } => op::SEND,
            Request::Recv { .. } => op::RECV,
            Request::Disconnect { .. } => op::DISCONNECT,
            Request::List { .. } => op::LIST,
            Request::ListenQueue { .. } => op::LISTEN_QUEUE,
            Request::Accept { .. } => op::ACCEPT,
            Request::ListenWait { .. } => op::LISTEN_WAIT,
            Request::SendWait { .. } => op::SEND_WAIT,
            Request::RecvWait { .. } => op::RECV_WAIT,
            Request::Poll { .. } => op::POLL,
            Request::SendInline { .. } => op::SEND_INLINE,
            Request::RecvInline { .. } => op::RECV_INLINE,
        }
    }

    /// How many bytes of data follow this request in its message.
    pub const fn data_len(&self) -> u32 {
        match *self {
            Request::SendInline { len, .. } => len,
            _ => 0,
        }
    }
}

/// netd's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// Success: 0, or the local port for `Connect`.
    Ok(u32),
    /// `Recv`: `len` bytes were written to the lease; `more` says whether the
    /// rest of the same message waits for the next `Recv`.
    Received { len: u32, more: bool },
    /// The call failed.
    Error(SockError),
    /// A page of the socket table.
    ListPage(ListPage),
    /// `Accept`: the new connection's local port and its client's port.
    Accepted { port: u32, remote: u32 },
    /// `Poll`: how many entries are ready; how many console signals netd
    /// has seen, and whether one arrived that the request had not seen.
    Polled { ready: u32, console_signals: u32, console: bool },
    /// `RecvInline`: the `len` bytes that follow this answer in the message,
    /// with `more` as in `Received`; the lease was not written.
    ReceivedInline { len: u32, more: bool },
}

impl Response {
    /// How many bytes of data follow this answer in its message.
    pub const fn data_len(&self) -> u32 {
        match *self {
            Response::ReceivedInline { len, .. } => len,
            _ => 0,
        }
    }
}

/// A socket's state as netstat shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowState {
    Listening,
    Connected,
    Reset,
}

/// One socket, as netstat shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketRow {
    pub port: u16,
    pub state: RowState,
    /// The owner's raw `abi::TaskId`.
    pub owner: u32,
    /// The other end's port while connected.
    pub peer_port: Option<u16>,
    /// Bytes of a message waiting to be received by this socket.
    pub queued: u32,
}

/// Up to [`LIST_PAGE_ROWS`] rows; `next_index` is the cursor for the next
/// page, `None` when this page reaches the end of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// Sockets in the table when the page was made.
    pub total: u32,
    pub next_index: Option<u32>,
    pub rows: [Option<SocketRow>; LIST_PAGE_ROWS],
}

impl ListPage {
    pub const fn empty(total: u32) -> Self {
        ListPage { total, next_index: None, rows: [None; LIST_PAGE_ROWS] }
    }

    /// The rows present, in order.
    pub fn iter(&self) -> impl Iterator<Item = &SocketRow> {
        self.rows.iter().flatten()
    }
}

/// Why bytes could not be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtoError {
    /// Not a valid encoding: truncated, trailing bytes, unknown variant...
    Malformed,
    /// A valid-looking message of another protocol version.
    WrongVersion(u8),
    /// The encoding does not fit in the buffer.
    TooLong,
}

fn encode_versioned<'b, T: Serialize>(value: &T, buf: &'b mut [u8]) -> Result<&'b [u8], ProtoError> {
    let (version, body) = buf.split_first_mut().ok_or(ProtoError::TooLong)?;
    *version = PROTOCOL_VERSION;
    let used = postcard::to_slice(value, body).map_err(|_| ProtoError::TooLong)?.len();
    Ok(&buf[..1 + used])
}

/// Appends `data` after the `used` bytes of an encoding in `buf`.
#[inline]
fn append_data<'b>(buf: &'b mut [u8], used: usize, data: &[u8]) -> Result<&'b [u8], ProtoError> {
    if data.is_empty() {
        return buf.get(..used).ok_or(ProtoError::TooLong);
    }
    let end = used.checked_add(data.len()).ok_or(ProtoError::TooLong)?;
    buf.get_mut(used..end).ok_or(ProtoError::TooLong)?.copy_from_slice(data);
    Ok(&buf[..end])
}

/// Splits a message into a value and the data after it, which must be as
/// long as the value says (`data_len`).
fn split_data<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    data_len: impl Fn(&T) -> u32,
) -> Result<(T, &'de [u8]), ProtoError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, data)) if data.len() == data_len(&value) as usize => Ok((value, data)),
        _ => Err(ProtoError::Malformed),
    }
}

/// Encodes `request` (version byte first) into `buf`, returning the bytes used.
#[inline]
pub fn encode_request<'b>(request: &Request<'_>, buf: &'b mut [u8]) -> Result<&'b [u8], ProtoError> {
    encode_request_with_data(request, &[], buf)
}

/// Encodes `request` followed by `data`, which must be as long as the
/// request says (`Request::data_len`). Always inlined, like
/// `Sockets::exchange_with_data`: the caller knows the request's kind.
#[inline(always)]
pub fn encode_request_with_data<'b>(
    request: &Request<'_>,
    data: &[u8],
    buf: &'b mut [u8],
) -> Result<&'b [u8], ProtoError> {
    if data.len() != request.data_len() as usize {
        return Err(ProtoError::Malformed);
    }
    let used = match fast::encode_request(request, buf) {
        Some(used) => used,
        None => encode_versioned(request, buf)?.len(),
    };
    append_data(buf, used, data)
}

/// Decodes a request message that carries no data after the request; the
/// host string borrows from `bytes`.
pub fn decode_request(bytes: &[u8]) -> Result<Request<'_>, ProtoError> {
    match decode_request_with_data(bytes)? {
        (request, []) => Ok(request),
        _ => Err(ProtoError::Malformed),
    }
}

/// Decodes a request message and the data that follows the request.
#[inline]
pub fn decode_request_with_data(bytes: &[u8]) -> Result<(Request<'_>, &[u8]), ProtoError> {
    decode_request_in(bytes, bytes.len())
}

/// [`decode_request_with_data`] of the first `len` bytes of `buffer`: a
/// receive buffer may go on past its message, which makes the data path's
/// decoding cheaper (see `proto_fast.rs`); the bytes past `len` never change
/// the result. A `len` past the buffer's end is `Malformed`.
#[inline]
pub fn decode_request_in(buffer: &[u8], len: usize) -> Result<(Request<'_>, &[u8]), ProtoError> {
    if let Some(decoded) = fast::decode_request_in(buffer, len) {
        return Ok(decoded);
    }
    let bytes = buffer.get(..len).ok_or(ProtoError::Malformed)?;
    match bytes.split_first() {
        Some((&PROTOCOL_VERSION, body)) => split_data(body, Request::data_len),
        Some((&other, _)) => Err(ProtoError::WrongVersion(other)),
        None => Err(ProtoError::Malformed),
    }
}

/// Encodes `response` into `buf`, returning the bytes used. It travels with
/// reply code [`PROTOCOL_VERSION`].
pub fn encode_response<'b>(response: &Response, buf: &'b mut [u8]) -> Result<&'b [u8], ProtoError> {
    encode_response_with_data(response, &[], buf)
}

/// Encodes `response` followed by `data`, which must be as long as the
/// response says (`Response::data_len`).
#[inline]
pub fn encode_response_with_data<'b>(
    response: &Response,
    data: &[u8],
    buf: &'b mut [u8],
) -> Result<&'b [u8], ProtoError> {
    if data.len() != response.data_len() as usize {
        return Err(ProtoError::Malformed);
    }
    let used = match fast::encode_response(response, buf) {
        Some(used) => used,
        None => postcard::to_slice(response, buf).map_err(|_| ProtoError::TooLong)?.len(),
    };
    append_data(buf, used, data)
}

/// Decodes a reply that carries no data after the answer: `code` is the
/// reply code, `bytes` the reply message.
#[inline]
pub fn decode_response(code: u32, bytes: &[u8]) -> Result<Response, ProtoError> {
    match decode_response_with_data(code, bytes)? {
        (response, []) => Ok(response),
        _ => Err(ProtoError::Malformed),
    }
}

/// Decodes a reply and the data that follows the answer.
#[inline]
pub fn decode_response_with_data(code: u32, bytes: &[u8]) -> Result<(Response, &[u8]), ProtoError> {
    if code != PROTOCOL_VERSION as u32 {
        return Err(ProtoError::WrongVersion(code as u8));
    }
    if let Some(decoded) = fast::decode_response(bytes) {
        return Ok(decoded);
    }
    split_data(bytes, Response::data_len)
}

#[path = "proto_fast.rs"]
mod fast;

#[cfg(test)]
#[path = "proto_tests.rs"]
mod tests;
