use super::*;
use crate::error::ResetReason;
use crate::limits::INLINE_MAX;
use proptest::prelude::*;

fn every_request() -> Vec<Request<'static>> {
    vec![
        Request::Listen { port: 10 },
        Request::Listen { port: u32::MAX },
        Request::Connect { port: 65_535, host: "localhost" },
        Request::Connect { port: 0, host: "127.0.0.1" },
        Request::Send { port: 127, len: 65_536 },
        Request::Recv { port: 300, len: 1 },
        Request::Disconnect { port: 7 },
        Request::List { start_index: 1000 },
        Request::ListenQueue { port: 7, backlog: 64 },
        Request::Accept { port: 7, wait: Wait::Forever },
        Request::ListenWait { port: 10, wait: Wait::Ms(u32::MAX) },
        Request::SendWait { port: 1, len: 65_536, wait: Wait::NonBlocking },
        Request::RecvWait { port: 1, len: 1, wait: Wait::Ms(0) },
        Request::Poll { count: 64, wait: Wait::Ms(100), console: Some(u32::MAX) },
        Request::Poll { count: 0, wait: Wait::NonBlocking, console: None },
        Request::SendInline { port: 1, len: 0, wait: Wait::Forever },
        Request::RecvInline { port: u32::MAX, len: 65_536, wait: Wait::Ms(u32::MAX) },
    ]
}

#[test]
fn the_seeds_requests_keep_their_encodings() {
    // The extensions were added after the seed's variants, so a program
    // built for the five calls sends exactly the bytes it always did.
    let mut buf = [0u8; abi::MAX_MESSAGE];
    assert_eq!(encode_request(&Request::Listen { port: 10 }, &mut buf).unwrap(), [1, 0, 10]);
    let connect = encode_request(&Request::Connect { port: 10, host: "localhost" }, &mut buf).unwrap();
    assert_eq!(connect, [&[1, 1, 10, 9][..], b"localhost"].concat());
    assert_eq!(encode_request(&Request::Send { port: 300, len: 5 }, &mut buf).unwrap(), [1, 2, 0xac, 2, 5]);
    assert_eq!(encode_request(&Request::Recv { port: 300, len: 5 }, &mut buf).unwrap(), [1, 3, 0xac, 2, 5]);
    assert_eq!(encode_request(&Request::Disconnect { port: 7 }, &mut buf).unwrap(), [1, 4, 7]);
    assert_eq!(encode_request(&Request::List { start_index: 3 }, &mut buf).unwrap(), [1, 5, 3]);
    assert_eq!(encode_response(&Response::Error(SockError::Fail), &mut buf).unwrap(), [2, 3]);
}

fn full_row(port: u16) -> SocketRow {
    SocketRow { port, state: RowState::Connected, owner: u32::MAX, peer_port: Some(u16::MAX), queued: u32::MAX }
}

fn every_response() -> Vec<Response> {
    let mut full = ListPage::empty(u32::MAX);
    full.next_index = Some(u32::MAX);
    for (i, row) in full.rows.iter_mut().enumerate() {
        *row = Some(full_row(65_535 - i as u16));
    }
    let mut partial = ListPage::empty(2);
    partial.rows[0] = Some(SocketRow { port: 10, state: RowState::Listening, owner: 3, peer_port: None, queued: 0 });
    partial.next_index = Some(1);
    let mut responses = vec![
        Response::Ok(0),
        Response::Ok(65_535),
        Response::Received { len: 65_536, more: true },
        Response::Received { len: 0, more: false },
        Response::ListPage(full),
        Response::ListPage(partial),
        Response::ListPage(ListPage::empty(0)),
        Response::Accepted { port: 65_535, remote: 65_534 },
        Response::ReceivedInline { len: 0, more: true },
        Response::Polled { ready: 64, console_signals: u32::MAX, console: true },
    ];
    responses.extend(SockError::ALL.iter().chain(&SockError::EXTENDED).map(|&e| Response::Error(e)));
    responses
}

#[test]
fn every_request_round_trips_with_its_operation() {
    for request in every_request() {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = encode_request(&request, &mut buf).unwrap();
        assert_eq!(bytes[0], PROTOCOL_VERSION);
        assert_eq!(decode_request(bytes), Ok(request));
    }
    let ops: Vec<u32> = every_request().iter().map(Request::operation).collect();
    for op in [
        op::LISTEN,
        op::CONNECT,
        op::SEND,
        op::RECV,
        op::DISCONNECT,
        op::LIST,
        op::LISTEN_QUEUE,
        op::ACCEPT,
        op::LISTEN_WAIT,
        op::SEND_WAIT,
        op::RECV_WAIT,
        op::POLL,
        op::SEND_INLINE,
        op::RECV_INLINE,
    ] {
        assert!(ops.contains(&op));
    }
}

#[test]
fn answers_stay_small_as_they_are_moved_by_value_on_every_call() {
    assert!(core::mem::size_of::<Response>() <= 40, "{} bytes", core::mem::size_of::<Response>());
}

#[test]
fn the_largest_inline_data_fits_one_message_both_ways() {
    let data = [0x7e; INLINE_MAX as usize];
    let mut buf = [0u8; abi::MAX_MESSAGE];
    let request = Request::SendInline { port: u32::MAX, len: INLINE_MAX, wait: Wait::Ms(u32::MAX) };
    let bytes = encode_request_with_data(&request, &data, &mut buf).unwrap();
    assert_eq!(decode_request_with_data(bytes), Ok((request, &data[..])));
    // Data the request does not announce is refused both ways.
    assert!(decode_request(bytes).is_err());
    assert!(encode_request_with_data(&request, &data[1..], &mut buf).is_err());
    let response = Response::ReceivedInline { len: INLINE_MAX, more: true };
    let bytes = encode_response_with_data(&response, &data, &mut buf).unwrap();
    assert_eq!(decode_response_with_data(PROTOCOL_VERSION.into(), bytes), Ok((response, &data[..])));
    assert!(decode_response(PROTOCOL_VERSION.into(), bytes).is_err());
}

#[test]
fn every_response_round_trips_and_fits_one_message() {
    for response in every_response() {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = encode_response(&response, &mut buf).unwrap();
        assert_eq!(decode_response(PROTOCOL_VERSION as u32, bytes), Ok(response));
    }
}

#[test]
fn every_truncation_is_an_error() {
    for request in every_request() {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let len = encode_request(&request, &mut buf).unwrap().len();
        for cut in 0..len {
            assert!(decode_request(&buf[..cut]).is_err(), "{request:?} cut at {cut}");
            // The rest of the encoding still in the receive buffer changes nothing.
            assert!(decode_request_in(&buf, cut).is_err(), "{request:?} cut at {cut} in its buffer");
        }
        assert_eq!(decode_request_in(&buf, len), Ok((request, &[][..])));
        assert_eq!(decode_request_in(&buf[..len], len + 1), Err(ProtoError::Malformed));
    }
    for response in every_response() {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = encode_response(&response, &mut buf).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode_response(PROTOCOL_VERSION as u32, &bytes[..cut]).is_err(), "{response:?} cut at {cut}");
        }
    }
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut buf = [0u8; abi::MAX_MESSAGE];
    let len = encode_request(&Request::Listen { port: 1 }, &mut buf).unwrap().len();
    assert_eq!(decode_request(&buf[..len + 1]), Err(ProtoError::Malformed));
}

#[test]
fn another_version_is_refused() {
    let mut buf = [0u8; abi::MAX_MESSAGE];
    let len = encode_request(&Request::Disconnect { port: 1 }, &mut buf).unwrap().len();
    buf[0] = PROTOCOL_VERSION + 1;
    assert_eq!(decode_request(&buf[..len]), Err(ProtoError::WrongVersion(PROTOCOL_VERSION + 1)));
    let len = encode_response(&Response::Ok(0), &mut buf).unwrap().len();
    assert!(decode_response(PROTOCOL_VERSION as u32 + 1, &buf[..len]).is_err());
}

#[test]
fn a_host_too_long_for_one_message_does_not_encode() {
    let host = "h".repeat(abi::MAX_MESSAGE);
    let mut buf = [0u8; abi::MAX_MESSAGE];
    assert_eq!(encode_request(&Request::Connect { port: 1, host: &host }, &mut buf), Err(ProtoError::TooLong));
}

#[test]
fn reset_reasons_survive_the_wire() {
    for reason in [ResetReason::PeerDisconnected, ResetReason::PeerDied] {
        let response = Response::Error(SockError::ConnectionReset(reason));
        let mut buf = [0u8; 16];
        let bytes = encode_response(&response, &mut buf).unwrap();
        assert_eq!(decode_response(PROTOCOL_VERSION as u32, bytes), Ok(response));
    }
}

fn arbitrary_request() -> impl Strategy<Value = (u8, u32, u32, String)> {
    (0u8..6, any::<u32>(), any::<u32>(), "[a-z0-9.]{0,20}")
}

fn build(kind: u8, a: u32, b: u32, host: &str) -> Request<'_> {
    match kind {
        0 => Request::Listen { port: a },
        1 => Request::Connect { port: a, host },
        2 => Request::Send { port: a, len: b },
        3 => Request::Recv { port: a, len: b },
        4 => Request::Disconnect { port: a },
        _ => Request::List { start_index: a },
    }
}

proptest! {
    #[test]
    fn any_request_round_trips((kind, a, b, host) in arbitrary_request()) {
        let request = build(kind, a, b, &host);
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = encode_request(&request, &mut buf).unwrap();
        prop_assert_eq!(decode_request(bytes), Ok(request));
    }

    #[test]
    fn mutated_requests_never_panic(
        (kind, a, b, host) in arbitrary_request(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let request = build(kind, a, b, &host);
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let len = encode_request(&request, &mut buf).unwrap().len();
        for (at, value) in flips {
            buf[at % len] = value;
        }
        // Whatever comes out must be a whole, valid request or an error.
        if let Ok(decoded) = decode_request(&buf[..len]) {
            let mut again = [0u8; abi::MAX_MESSAGE];
            let bytes = encode_request(&decoded, &mut again).unwrap();
            prop_assert_eq!(decode_request(bytes), Ok(decoded));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), code in 0u32..3) {
        let _ = decode_request(&bytes);
        let _ = decode_response(code, &bytes);
    }

    #[test]
    fn mutated_responses_never_panic(index in 0usize..16, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let responses = every_response();
        let response = responses[index % responses.len()];
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let len = encode_response(&response, &mut buf).unwrap().len();
        for (at, value) in flips {
            buf[at % len] = value;
        }
        let _ = decode_response(PROTOCOL_VERSION as u32, &buf[..len]);
    }
}
