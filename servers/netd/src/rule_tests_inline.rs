//! Data in the messages (`SendInline`, `RecvInline`): the same rules as the
//! lease path, with the bytes carried in the request and the answer, and the
//! leases used only where the data cannot travel inline.

use libsock::SockError;
use libsock::limits::INLINE_MAX;
use libsock::proto::{Request, Response, Wait};

use super::*;
use crate::fake_kernel::{FakeLease, Reply, World};

fn send_inline(w: &mut World, task: TaskId, port: u32, data: &[u8]) -> Option<Reply> {
    let request = Request::SendInline { port, len: data.len() as u32, wait: Wait::Forever };
    w.call_with_data(task, &request, data, vec![FakeLease::read(data)])
}

fn recv_inline(w: &mut World, task: TaskId, port: u32, len: u32) -> Option<Reply> {
    let request = Request::RecvInline { port, len, wait: Wait::Forever };
    w.call(task, &request, vec![FakeLease::write(len as usize)])
}

fn untouched(reply: &Reply) -> bool {
    reply.leases.iter().all(|lease| lease.data.iter().all(|&b| b == 0))
}

#[test]
fn a_waiting_receiver_gets_the_senders_bytes_in_its_answer() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert!(recv_inline(&mut w, server, 10, 64).is_none(), "no message yet");
    assert_eq!(send_inline(&mut w, client, port, b"ping").unwrap().response(), Response::Ok(0));
    let got = w.reply_for(server).unwrap();
    assert_eq!(got.response(), Response::ReceivedInline { len: 4, more: false });
    assert_eq!(got.received_bytes(), b"ping");
    assert!(untouched(&got), "the lease is not written when the answer carries the data");
}

#[test]
fn a_buffered_inline_message_reaches_either_kind_of_recv() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send_inline(&mut w, client, port, b"one").unwrap().response(), Response::Ok(0));
    let got = recv_inline(&mut w, server, 10, 64).unwrap();
    assert_eq!(
        (got.response(), got.received_bytes()),
        (Response::ReceivedInline { len: 3, more: false }, b"one".to_vec())
    );
    // A plain recv gets it in its lease, as it always did.
    assert_eq!(send_inline(&mut w, client, port, b"two").unwrap().response(), Response::Ok(0));
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"two".to_vec(), false));
    // And a plain recv waiting when the inline send comes.
    assert!(recv(&mut w, server, 10, 64).is_none());
    assert_eq!(send_inline(&mut w, client, port, b"three").unwrap().response(), Response::Ok(0));
    let got = w.reply_for(server).unwrap();
    assert_eq!(got.response(), Response::Received { len: 5, more: false });
    assert_eq!(got.received_bytes(), b"three");
}

#[test]
fn an_inline_send_that_must_wait_is_taken_from_its_lease_later() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send_inline(&mut w, client, port, b"first").unwrap().response(), Response::Ok(0));
    assert!(send_inline(&mut w, client, port, b"second").is_none(), "blocks: the peer has not read");
    let got = recv_inline(&mut w, server, 10, 64).unwrap();
    assert_eq!(got.received_bytes(), b"first");
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));
    assert_eq!(recv_inline(&mut w, server, 10, 64).unwrap().received_bytes(), b"second");
}

#[test]
fn pieces_keep_their_order_and_a_long_piece_goes_by_lease() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let long = [7u8; 1000];
    assert_eq!(send(&mut w, client, port, &long), Some(Response::Ok(0)));
    let first = recv_inline(&mut w, server, 10, 600).unwrap();
    assert_eq!(first.response(), Response::Received { len: 600, more: true }, "longer than INLINE_MAX");
    let rest = recv_inline(&mut w, server, 10, 600).unwrap();
    assert_eq!(rest.response(), Response::Received { len: 400, more: false });
    let small = recv_inline(&mut w, server, 10, 3);
    assert!(small.is_none(), "the message was all taken");
    assert_eq!(send(&mut w, client, port, b"abcdef"), Some(Response::Ok(0)));
    let got = w.reply_for(server).unwrap();
    assert_eq!(
        (got.response(), got.received_bytes()),
        (Response::ReceivedInline { len: 3, more: true }, b"abc".to_vec())
    );
    let got = recv_inline(&mut w, server, 10, 3).unwrap();
    assert_eq!(
        (got.response(), got.received_bytes()),
        (Response::ReceivedInline { len: 3, more: false }, b"def".to_vec())
    );
}

#[test]
fn inline_sends_keep_the_contracts_checks() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let too_long = vec![1u8; INLINE_MAX as usize + 1];
    assert_eq!(send_inline(&mut w, client, port, &too_long).unwrap().response(), error(SockError::InvalidArg));
    let request = Request::SendInline { port, len: 2, wait: Wait::Forever };
    let no_lease = w.call_with_data(client, &request, b"hi", vec![]).unwrap();
    assert_eq!(no_lease.response(), error(SockError::InvalidArg), "the lease is needed for a send that waits");
    assert_eq!(send_inline(&mut w, server, port, b"x").unwrap().response(), error(SockError::AccessDenied));
    assert_eq!(send_inline(&mut w, client, 12, b"x").unwrap().response(), error(SockError::NotFound));
    // Non-blocking: a full inbox is E_WOULD_BLOCK, as for SendWait.
    assert_eq!(send_inline(&mut w, client, port, b"a").unwrap().response(), Response::Ok(0));
    let request = Request::SendInline { port, len: 1, wait: Wait::NonBlocking };
    let busy = w.call_with_data(client, &request, b"b", vec![FakeLease::read(b"b")]).unwrap();
    assert_eq!(busy.response(), error(SockError::WouldBlock));
}
