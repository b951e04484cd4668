//! Hand-written encoders and decoders for the messages of the data path
//! (`Send`/`Recv` requests and their `Inline` forms, `Ok`/`Received`/
//! `ReceivedInline` answers, with the data after them), byte for byte the
//! postcard encoding: these run on every socket call, where the generic serde
//! machinery costs several hundred instructions per message.
//!
//! Each function returns `None` whenever it is not certain to agree with
//! postcard (another variant, an odd varint, trailing bytes...), and the
//! caller then asks postcard. So a fast answer is always postcard's answer;
//! the tests check this against postcard itself.

use super::{PROTOCOL_VERSION, Request, Response, Wait};

/// postcard's variant indices (declaration order) of the fast variants.
const SEND: u8 = 2;
const RECV: u8 = 3;
const SEND_INLINE: u8 = 12;
const RECV_INLINE: u8 = 13;
const OK: u8 = 0;
const RECEIVED: u8 = 1;
const RECEIVED_INLINE: u8 = 6;
/// `Wait`'s variant indices.
const FOREVER: u8 = 0;
const NON_BLOCKING: u8 = 1;
const MS: u8 = 2;

/// Longest varint of a `u32`.
const VARINT_U32_MAX: usize = 5;
/// Longest `Ok`, `Received` or `ReceivedInline` answer: tag, varint, bool.
const RESPONSE_MAX: usize = 1 + VARINT_U32_MAX + 1;

/// Appends `value` as a postcard varint: 7 bits per byte, low bits first.
/// Ports and lengths mostly take one or two bytes: those go without a loop.
#[inline(always)]
fn put_varint(out: &mut [u8], at: &mut usize, mut value: u32) -> Option<()> {
    if value < 0x80 {
        return put_byte(out, at, value as u8);
    }
    if value < 0x4000 {
        let pair = out.get_mut(*at..*at + 2)?;
        pair[0] = value as u8 | 0x80;
        pair[1] = (value >> 7) as u8;
        *at += 2;
        return Some(());
    }
    // Ports from 16384 up (connect hands out the highest free one).
    if value < 0x20_0000 {
        let triple = out.get_mut(*at..*at + 3)?;
        triple[0] = value as u8 | 0x80;
        triple[1] = (value >> 7) as u8 | 0x80;
        triple[2] = (value >> 14) as u8;
        *at += 3;
        return Some(());
    }
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        *out.get_mut(*at)? = if value == 0 { byte } else { byte | 0x80 };
        *at += 1;
        if value == 0 {
            return Some(());
        }
    }
}

/// Splits a postcard varint `u32` off the front of `bytes`, accepting
/// exactly what postcard accepts. Values below 2^21 (ports, lengths, most
/// waits) take one to three bytes: those go without a loop.
#[inline(always)]
fn split_varint(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match *bytes {
        [first, ref rest @ ..] if first < 0x80 => Some((u32::from(first), rest)),
        [first, second, ref rest @ ..] if second < 0x80 => {
            Some((u32::from(first & 0x7f) | u32::from(second) << 7, rest))
        }
        [first, second, third, ref rest @ ..] if third < 0x80 => {
            Some((u32::from(first & 0x7f) | u32::from(second & 0x7f) << 7 | u32::from(third) << 14, rest))
        }
        _ => {
            let (used, value) = take_long_varint(bytes)?;
            Some((value, bytes.get(used..)?))
        }
    }
}

/// A postcard varint `u32` at the start of `bytes`, with its length; as
/// [`split_varint`], but from a window as long as the longest varint, so
/// that no byte needs a bounds check.
#[inline(always)]
fn varint_in(bytes: &[u8; VARINT_U32_MAX]) -> Option<(u32, usize)> {
    match *bytes {
        [first, ..] if first < 0x80 => Some((u32::from(first), 1)),
        [first, second, ..] if second < 0x80 => Some((u32::from(first & 0x7f) | u32::from(second) << 7, 2)),
        [first, second, third, ..] if third < 0x80 => {
            Some((u32::from(first & 0x7f) | u32::from(second & 0x7f) << 7 | u32::from(third) << 14, 3))
        }
        _ => take_long_varint(bytes).map(|(used, value)| (value, used)),
    }
}

/// Takes a postcard varint `u32` at `at`, as [`split_varint`] does.
#[inline(always)]
fn take_varint(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let (value, rest) = split_varint(bytes.get(*at..)?)?;
    *at = bytes.len() - rest.len();
    Some(value)
}

/// A varint of four or five bytes at the start of `rest`, with its length.
fn take_long_varint(rest: &[u8]) -> Option<(usize, u32)> {
    let mut value = 0u32;
    for (i, &byte) in rest.iter().take(VARINT_U32_MAX).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            // The fifth byte holds only the top 4 bits of a u32.
            return (i < VARINT_U32_MAX - 1 || byte <= 0x0f).then_some((i + 1, value));
        }
    }
    None
}

#[inline(always)]
fn put_byte(out: &mut [u8], at: &mut usize, byte: u8) -> Option<()> {
    *out.get_mut(*at)? = byte;
    *at += 1;
    Some(())
}

#[inline(always)]
fn take_byte(bytes: &[u8], at: &mut usize) -> Option<u8> {
    let byte = *bytes.get(*at)?;
    *at += 1;
    Some(byte)
}

fn put_bool(out: &mut [u8], at: &mut usize, value: bool) -> Option<()> {
    put_byte(out, at, u8::from(value))
}

fn take_bool(bytes: &[u8], at: &mut usize) -> Option<bool> {
    match take_byte(bytes, at)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

#[inline(always)]
fn put_wait(out: &mut [u8], at: &mut usize, wait: Wait) -> Option<()> {
    match wait {
        Wait::Forever => put_byte(out, at, FOREVER),
        Wait::NonBlocking => put_byte(out, at, NON_BLOCKING),
        Wait::Ms(ms) => {
            put_byte(out, at, MS)?;
            put_varint(out, at, ms)
        }
    }
}

/// A `Wait` at the start of `bytes`, with its length.
#[inline(always)]
fn wait_in(bytes: &[u8; 1 + VARINT_U32_MAX]) -> Option<(Wait, usize)> {
    match bytes {
        [FOREVER, ..] => Some((Wait::Forever, 1)),
        [NON_BLOCKING, ..] => Some((Wait::NonBlocking, 1)),
        [MS, ms @ ..] => varint_in(ms).map(|(ms, used)| (Wait::Ms(ms), 1 + used)),
        _ => None,
    }
}

/// Encodes a request of the data path, version byte first; returns the
/// bytes used. Always inlined: a socket call knows its request's kind.
#[inline(always)]
pub(super) fn encode_request(request: &Request<'_>, out: &mut [u8]) -> Option<usize> {
    let (tag, port, len, wait) = match *request {
        Request::Send { port, len } => (SEND, port, len, None),
        Request::Recv { port, len } => (RECV, port, len, None),
        Request::SendInline { port, len, wait } => (SEND_INLINE, port, len, Some(wait)),
        Request::RecvInline { port, len, wait } => (RECV_INLINE, port, len, Some(wait)),
        _ => return None,
    };
    let mut at = 0;
    put_byte(out, &mut at, PROTOCOL_VERSION)?;
    put_byte(out, &mut at, tag)?;
    put_varint(out, &mut at, port)?;
    put_varint(out, &mut at, len)?;
    if let Some(wait) = wait {
        put_wait(out, &mut at, wait)?;
    }
    Some(at)
}

/// The longest head of a request of the data path: version, tag, port,
/// length and a wait.
const REQUEST_HEAD_MAX: usize = 2 + 2 * VARINT_U32_MAX + 1 + VARINT_U32_MAX;

/// Decodes a request of the data path from the first `len` bytes of
/// `buffer` and the data after it. `buffer` may go on past the message (a
/// receive buffer): its head is then decoded from a window of the buffer,
/// with one bounds check per field rather than per byte.
#[inline]
pub(super) fn decode_request_in(buffer: &[u8], len: usize) -> Option<(Request<'static>, &[u8])> {
    let message = buffer.get(..len)?;
    let padded;
    let window = match buffer.first_chunk() {
        Some(window) => window,
        None => {
            padded = zero_padded(buffer);
            &padded
        }
    };
    let (request, used) = decode_head(window)?;
    let data = message.get(used..)?;
    (data.len() == request.data_len() as usize).then_some((request, data))
}

/// Decodes a request of the data path and the data after it.
#[cfg(test)]
fn decode_request(bytes: &[u8]) -> Option<(Request<'static>, &[u8])> {
    decode_request_in(bytes, bytes.len())
}

/// A message shorter than the longest head, then zeros.
fn zero_padded(bytes: &[u8]) -> [u8; REQUEST_HEAD_MAX] {
    let mut window = [0u8; REQUEST_HEAD_MAX];
    let len = bytes.len().min(REQUEST_HEAD_MAX);
    window[..len].copy_from_slice(&bytes[..len]);
    window
}

/// The request whose head starts `window`, and the head's length. Each
/// field is read only after those before it ended, so the bytes after the
/// head (past the message, or zeros) never change the result: a head that
/// ends within the message decodes as the message alone would.
#[inline(always)]
fn decode_head(window: &[u8; REQUEST_HEAD_MAX]) -> Option<(Request<'static>, usize)> {
    let [PROTOCOL_VERSION, tag @ (SEND | RECV | SEND_INLINE | RECV_INLINE), ..] = *window else {
        return None;
    };
    let (port, at) = varint_at(window, 2)?;
    let (len, at) = varint_at(window, at)?;
    let decoded = match tag {
        SEND => (Request::Send { port, len }, at),
        RECV => (Request::Recv { port, len }, at),
        SEND_INLINE => {
            let (wait, used) = wait_in(window.get(at..)?.first_chunk()?)?;
            (Request::SendInline { port, len, wait }, at + used)
        }
        _ => {
            let (wait, used) = wait_in(window.get(at..)?.first_chunk()?)?;
            (Request::RecvInline { port, len, wait }, at + used)
        }
    };
    Some(decoded)
}

/// The varint at `at` in a request's head, and where the next field starts.
#[inline(always)]
fn varint_at(window: &[u8], at: usize) -> Option<(u32, usize)> {
    let (value, used) = varint_in(window.get(at..)?.first_chunk()?)?;
    Some((value, at + used))
}

/// Encodes an `Ok`, `Received` or `ReceivedInline` answer; returns the
/// bytes used.
#[inline]
pub(super) fn encode_response(response: &Response, out: &mut [u8]) -> Option<usize> {
    // Within room for the longest of these answers the writes below need no
    // bounds checks; a shorter buffer is left to postcard (same bytes).
    let out: &mut [u8] = out.first_chunk_mut::<RESPONSE_MAX>()?;
    let mut at = 0;
    match *response {
        Response::Ok(value) => {
            put_byte(out, &mut at, OK)?;
            put_varint(out, &mut at, value)?;
        }
        Response::Received { len, more } | Response::ReceivedInline { len, more } => {
            let tag = if matches!(response, Response::Received { .. }) { RECEIVED } else { RECEIVED_INLINE };
            put_byte(out, &mut at, tag)?;
            put_varint(out, &mut at, len)?;
            put_bool(out, &mut at, more)?;
        }
        _ => return None,
    }
    Some(at)
}

/// Decodes an `Ok`, `Received` or `ReceivedInline` answer and the data after
/// it (the reply code is checked by the caller). Always inlined into the
/// socket call that expects the answer.
#[inline(always)]
pub(super) fn decode_response(bytes: &[u8]) -> Option<(Response, &[u8])> {
    let mut at = 0;
    let response = match take_byte(bytes, &mut at)? {
        OK => Response::Ok(take_varint(bytes, &mut at)?),
        RECEIVED => {
            let len = take_varint(bytes, &mut at)?;
            Response::Received { len, more: take_bool(bytes, &mut at)? }
        }
        RECEIVED_INLINE => {
            let len = take_varint(bytes, &mut at)?;
            Response::ReceivedInline { len, more: take_bool(bytes, &mut at)? }
        }
        _ => return None,
    };
    let data = &bytes[at..];
    (data.len() == response.data_len() as usize).then_some((response, data))
}

#[cfg(test)]
#[path = "proto_fast_tests.rs"]
mod tests;
