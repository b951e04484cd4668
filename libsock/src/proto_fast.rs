//! Hand-written encoders and decoders for the messages of the data path
//! (`Send`/`Recv` requests, `Ok`/`Received` responses), byte for byte the
//! postcard encoding: these run on every socket call, where the generic serde
//! machinery costs several hundred instructions per message.
//!
//! Each function returns `None` whenever it is not certain to agree with
//! postcard (another variant, an odd varint, trailing bytes...), and the
//! caller then asks postcard. So a fast answer is always postcard's answer;
//! the tests check this against postcard itself.

use super::{PROTOCOL_VERSION, Request, Response};

/// postcard's variant indices (declaration order) of the fast variants.
const SEND: u8 = 2;
const RECV: u8 = 3;
const OK: u8 = 0;
const RECEIVED: u8 = 1;

/// Longest varint of a `u32`.
const VARINT_U32_MAX: usize = 5;

/// Appends `value` as a postcard varint: 7 bits per byte, low bits first.
fn put_varint(out: &mut [u8], at: &mut usize, mut value: u32) -> Option<()> {
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

/// Takes a postcard varint `u32`, accepting exactly what postcard accepts.
fn take_varint(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let mut value = 0u32;
    for i in 0..VARINT_U32_MAX {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // The fifth byte holds only the top 4 bits of a u32.
            return (i < VARINT_U32_MAX - 1 || byte <= 0x0f).then_some(value);
        }
    }
    None
}

/// The bytes of `[tag, varint a, varint b]` at `out[start..]`, or None when
/// they do not fit.
fn put_pair(out: &mut [u8], start: usize, tag: u8, a: u32, b: u32) -> Option<usize> {
    *out.get_mut(start)? = tag;
    let mut at = start + 1;
    put_varint(out, &mut at, a)?;
    put_varint(out, &mut at, b)?;
    Some(at)
}

/// Encodes a `Send` or `Recv` request, version byte first.
pub(super) fn encode_request(request: &Request<'_>, out: &mut [u8]) -> Option<usize> {
    let (tag, port, len) = match *request {
        Request::Send { port, len } => (SEND, port, len),
        Request::Recv { port, len } => (RECV, port, len),
        _ => return None,
    };
    *out.first_mut()? = PROTOCOL_VERSION;
    put_pair(out, 1, tag, port, len)
}

/// Decodes a `Send` or `Recv` request.
pub(super) fn decode_request(bytes: &[u8]) -> Option<Request<'static>> {
    let (&PROTOCOL_VERSION, body) = bytes.split_first()? else {
        return None;
    };
    let (&tag, _) = body.split_first()?;
    let mut at = 1;
    let port = take_varint(body, &mut at)?;
    let len = take_varint(body, &mut at)?;
    if at != body.len() {
        return None;
    }
    match tag {
        SEND => Some(Request::Send { port, len }),
        RECV => Some(Request::Recv { port, len }),
        _ => None,
    }
}

/// Encodes an `Ok` or `Received` response.
pub(super) fn encode_response(response: &Response, out: &mut [u8]) -> Option<usize> {
    match *response {
        Response::Ok(value) => {
            *out.first_mut()? = OK;
            let mut at = 1;
            put_varint(out, &mut at, value)?;
            Some(at)
        }
        Response::Received { len, more } => {
            *out.first_mut()? = RECEIVED;
            let mut at = 1;
            put_varint(out, &mut at, len)?;
            *out.get_mut(at)? = u8::from(more);
            Some(at + 1)
        }
        _ => None,
    }
}

/// Decodes an `Ok` or `Received` response (the reply code is checked by the
/// caller).
pub(super) fn decode_response(bytes: &[u8]) -> Option<Response> {
    let (&tag, _) = bytes.split_first()?;
    let mut at = 1;
    let value = take_varint(bytes, &mut at)?;
    let response = match tag {
        OK => Response::Ok(value),
        RECEIVED => {
            let more = match *bytes.get(at)? {
                0 => false,
                1 => true,
                _ => return None,
            };
            at += 1;
            Response::Received { len: value, more }
        }
        _ => return None,
    };
    (at == bytes.len()).then_some(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{decode_exact, encode_versioned};
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

    #[test]
    fn other_variants_are_left_to_postcard() {
        let mut buf = [0u8; 64];
        assert_eq!(encode_request(&Request::Listen { port: 1 }, &mut buf), None);
        assert_eq!(encode_request(&Request::Crash, &mut buf), None);
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
    fn varints_at_the_limits_match_postcard() {
        for value in [0, 127, 128, 16_383, 16_384, u32::MAX >> 4, u32::MAX] {
            let request = Request::Recv { port: value, len: value };
            let mut buf = [0u8; 16];
            let used = encode_request(&request, &mut buf).unwrap();
            assert_eq!(buf[..used], by_postcard_request(&request)[..]);
            assert_eq!(decode_request(&buf[..used]), Some(request));
        }
        // A fifth byte above 0x0f overflows a u32: postcard refuses it too.
        assert_eq!(decode_response(&[OK, 0xff, 0xff, 0xff, 0xff, 0x10]), None);
        assert_eq!(decode_response(&[OK, 0xff, 0xff, 0xff, 0xff, 0x0f]), Some(Response::Ok(u32::MAX)));
    }

    proptest! {
        #[test]
        fn requests_encode_as_postcard_does(send in any::<bool>(), port in any::<u32>(), len in any::<u32>()) {
            let request = if send { Request::Send { port, len } } else { Request::Recv { port, len } };
            let mut buf = [0u8; abi::MAX_MESSAGE];
            let used = encode_request(&request, &mut buf).unwrap();
            prop_assert_eq!(&buf[..used], &by_postcard_request(&request)[..]);
            prop_assert_eq!(decode_request(&buf[..used]), Some(request));
        }

        #[test]
        fn responses_encode_as_postcard_does(received in any::<bool>(), value in any::<u32>(), more in any::<bool>()) {
            let response = if received { Response::Received { len: value, more } } else { Response::Ok(value) };
            let mut buf = [0u8; abi::MAX_MESSAGE];
            let used = encode_response(&response, &mut buf).unwrap();
            prop_assert_eq!(&buf[..used], &by_postcard_response(&response)[..]);
            prop_assert_eq!(decode_response(&buf[..used]), Some(response));
        }

        /// Whatever the bytes, a fast decode is postcard's decode.
        #[test]
        fn fast_decodes_agree_with_postcard(tag in 0u8..8, rest in proptest::collection::vec(any::<u8>(), 0..8)) {
            let mut request = vec![PROTOCOL_VERSION, tag];
            request.extend(&rest);
            if let Some(fast) = decode_request(&request) {
                prop_assert_eq!(Ok(fast), decode_exact::<Request<'_>>(&request[1..]));
            }
            let mut response = vec![tag];
            response.extend(&rest);
            if let Some(fast) = decode_response(&response) {
                prop_assert_eq!(Ok(fast), decode_exact::<Response>(&response));
            }
        }
    }
}
