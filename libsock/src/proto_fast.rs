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

#[inline(always)]
fn split_wait(bytes: &[u8]) -> Option<(Wait, &[u8])> {
    match *bytes {
        [FOREVER, ref rest @ ..] => Some((Wait::Forever, rest)),
        [NON_BLOCKING, ref rest @ ..] => Some((Wait::NonBlocking, rest)),
        [MS, ref rest @ ..] => split_varint(rest).map(|(ms, rest)| (Wait::Ms(ms), rest)),
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

/// Decodes a request of the data path and the data after it.
#[inline]
pub(super) fn decode_request(bytes: &[u8]) -> Option<(Request<'static>, &[u8])> {
    let [PROTOCOL_VERSION, tag @ (SEND | RECV | SEND_INLINE | RECV_INLINE), ref rest @ ..] = *bytes else {
        return None;
    };
    let (port, rest) = split_varint(rest)?;
    let (len, rest) = split_varint(rest)?;
    let (request, data) = match tag {
        SEND => (Request::Send { port, len }, rest),
        RECV => (Request::Recv { port, len }, rest),
        SEND_INLINE => {
            let (wait, data) = split_wait(rest)?;
            (Request::SendInline { port, len, wait }, data)
        }
        _ => {
            let (wait, data) = split_wait(rest)?;
            (Request::RecvInline { port, len, wait }, data)
        }
    };
    (data.len() == request.data_len() as usize).then_some((request, data))
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
mod tests {
    use super::*;
    use crate::proto::{encode_versioned, split_data};
    use proptest::prelude::*;

    fn by_postcard_request(request: &Request<'_>) -> Vec<u8> {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        encode_versioned(request, &mut buf).unwrap().to_vec()
    }

    fn by_postcard_response(response: &Response) -> Vec<u8> {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let used = postcard::to_slice(response, &mut buf).unwrap().len();
        buf[..used].to_vec()
    }

    fn any_wait() -> impl Strategy<Value = Wait> {
        prop_oneof![Just(Wait::Forever), Just(Wait::NonBlocking), any::<u32>().prop_map(Wait::Ms)]
    }

    fn data_path_request(kind: u8, port: u32, len: u32, wait: Wait) -> Request<'static> {
        match kind % 4 {
            0 => Request::Send { port, len },
            1 => Request::Recv { port, len },
            2 => Request::SendInline { port, len: len % 200, wait },
            _ => Request::RecvInline { port, len, wait },
        }
    }

    #[test]
    fn other_variants_are_left_to_postcard() {
        let mut buf = [0u8; 64];
        assert_eq!(encode_request(&Request::Listen { port: 1 }, &mut buf), None);
        assert_eq!(encode_request(&Request::List { start_index: 0 }, &mut buf), None);
        let error = Response::Error(crate::SockError::Fail);
        assert_eq!(encode_response(&error, &mut buf), None);
        assert_eq!(decode_response(&by_postcard_response(&error)), None);
        let listen = by_postcard_request(&Request::Listen { port: 1 });
        assert_eq!(decode_request(&listen), None);
    }

    #[test]
    fn a_short_buffer_is_no_encoding() {
        let mut buf = [0u8; 3];
        assert_eq!(encode_request(&Request::Send { port: 1, len: 1 << 20 }, &mut buf), None);
        assert_eq!(encode_response(&Response::Ok(u32::MAX), &mut buf), None);
    }

    #[test]
    fn an_answer_in_a_buffer_of_just_its_size_is_postcards() {
        for response in [Response::Ok(0), Response::Received { len: 300, more: true }] {
            let expected = by_postcard_response(&response);
            let mut buf = vec![0u8; expected.len()];
            assert_eq!(crate::proto::encode_response(&response, &mut buf), Ok(&expected[..]));
        }
    }

    #[test]
    fn varints_at_the_limits_match_postcard() {
        for value in [0, 127, 128, 16_383, 16_384, 65_535, 0x1f_ffff, 0x20_0000, u32::MAX >> 4, u32::MAX] {
            let request = Request::Recv { port: value, len: value };
            let mut buf = [0u8; 16];
            let used = encode_request(&request, &mut buf).unwrap();
            assert_eq!(buf[..used], by_postcard_request(&request)[..]);
            assert_eq!(decode_request(&buf[..used]), Some((request, &[][..])));
        }
        // A fifth byte above 0x0f overflows a u32: postcard refuses it too.
        assert_eq!(decode_response(&[OK, 0xff, 0xff, 0xff, 0xff, 0x10]), None);
        assert_eq!(decode_response(&[OK, 0xff, 0xff, 0xff, 0xff, 0x0f]), Some((Response::Ok(u32::MAX), &[][..])));
    }

    #[test]
    fn data_must_be_exactly_as_long_as_announced() {
        let request = [PROTOCOL_VERSION, SEND_INLINE, 7, 2, FOREVER, b'h', b'i'];
        let expected = Request::SendInline { port: 7, len: 2, wait: Wait::Forever };
        assert_eq!(decode_request(&request), Some((expected, &b"hi"[..])));
        assert_eq!(decode_request(&request[..6]), None);
        assert_eq!(decode_request(&[&request[..], b"!"].concat()), None);
        // Only the inline forms carry data.
        assert_eq!(decode_request(&[PROTOCOL_VERSION, SEND, 7, 2, b'h', b'i']), None);
        assert_eq!(
            decode_response(&[RECEIVED_INLINE, 1, 0, b'x']),
            Some((Response::ReceivedInline { len: 1, more: false }, &b"x"[..]))
        );
        assert_eq!(decode_response(&[RECEIVED, 1, 0, b'x']), None);
    }

    proptest! {
        #[test]
        fn requests_encode_as_postcard_does(kind in any::<u8>(), port in any::<u32>(), len in any::<u32>(), wait in any_wait()) {
            let request = data_path_request(kind, port, len, wait);
            let mut buf = [0u8; abi::MAX_MESSAGE];
            let used = encode_request(&request, &mut buf).unwrap();
            prop_assert_eq!(&buf[..used], &by_postcard_request(&request)[..]);
            let data = vec![0x5a; request.data_len() as usize];
            buf[used..used + data.len()].copy_from_slice(&data);
            prop_assert_eq!(decode_request(&buf[..used + data.len()]), Some((request, &data[..])));
        }

        #[test]
        fn responses_encode_as_postcard_does(kind in 0u8..3, value in any::<u32>(), more in any::<bool>()) {
            let response = match kind {
                0 => Response::Ok(value),
                1 => Response::Received { len: value, more },
                _ => Response::ReceivedInline { len: value % 200, more },
            };
            let mut buf = [0u8; abi::MAX_MESSAGE];
            let used = encode_response(&response, &mut buf).unwrap();
            prop_assert_eq!(&buf[..used], &by_postcard_response(&response)[..]);
            let data = vec![0xa5; response.data_len() as usize];
            buf[used..used + data.len()].copy_from_slice(&data);
            prop_assert_eq!(decode_response(&buf[..used + data.len()]), Some((response, &data[..])));
        }

        /// Whatever the bytes, a fast decode is postcard's decode.
        #[test]
        fn fast_decodes_agree_with_postcard(tag in 0u8..16, rest in proptest::collection::vec(any::<u8>(), 0..12)) {
            let mut request = vec![PROTOCOL_VERSION, tag];
            request.extend(&rest);
            if let Some(fast) = decode_request(&request) {
                prop_assert_eq!(Ok(fast), split_data::<Request<'_>>(&request[1..], Request::data_len));
            }
            let mut response = vec![tag];
            response.extend(&rest);
            if let Some(fast) = decode_response(&response) {
                prop_assert_eq!(Ok(fast), split_data::<Response>(&response, Response::data_len));
            }
        }
    }
}
