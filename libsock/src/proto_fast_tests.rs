//! The data path's encoders and decoders against postcard's.

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

    /// A request decodes the same whatever follows it in its buffer.
    #[test]
    fn bytes_past_the_message_change_nothing(
        kind in any::<u8>(),
        port in any::<u32>(),
        len in any::<u32>(),
        wait in any_wait(),
        cut in 0usize..24,
        after in proptest::collection::vec(any::<u8>(), 0..24),
    ) {
        let request = data_path_request(kind, port, len, wait);
        let mut message = by_postcard_request(&request);
        message.resize(message.len() + request.data_len() as usize, 0x5a);
        // Cut short too: a head that ends past the message is no request.
        message.truncate(message.len().saturating_sub(cut % 3 * cut));
        let mut buffer = message.clone();
        buffer.extend(&after);
        prop_assert_eq!(decode_request_in(&buffer, message.len()), decode_request(&message));
        prop_assert_eq!(decode_request_in(&message, message.len() + 1), None);
    }

    /// Whatever the bytes, a fast decode is postcard's decode.
    #[test]
    fn fast_decodes_agree_with_postcard(tag in 0u8..16, rest in proptest::collection::vec(any::<u8>(), 0..12)) {
        let mut request = vec![PROTOCOL_VERSION, tag];
        request.extend(&rest);
        if let Some(fast) = decode_request(&request) {
            prop_assert_eq!(Ok(fast), split_data::<Request<'_>>(&request[1..], Request::data_len));
        }
        let mut buffer = request.clone();
        buffer.extend(&rest);
        prop_assert_eq!(decode_request_in(&buffer, request.len()), decode_request(&request));
        let mut response = vec![tag];
        response.extend(&rest);
        if let Some(fast) = decode_response(&response) {
            prop_assert_eq!(Ok(fast), split_data::<Response>(&response, Response::data_len));
        }
    }
}
