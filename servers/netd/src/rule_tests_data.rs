//! The data-path rules: `send`, `recv`, and what a close does to pending data.

use libsock::SockError;
use libsock::limits::{MAX_MESSAGE_LEN, SMALL_MESSAGE_MAX};
use libsock::proto::{Request, Response};

use super::*;
use crate::fake_kernel::{FakeLease, World};

#[test]
fn send_checks_arguments_then_existence_then_owner() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let too_long = vec![0; MAX_MESSAGE_LEN as usize + 1];
    assert_eq!(send(&mut w, client, 65_536, b"x"), Some(error(SockError::InvalidArg)));
    assert_eq!(send(&mut w, client, port, &too_long), Some(error(SockError::InvalidArg)));
    // The lease must be readable for len bytes.
    let short = Request::Send { port, len: 5 };
    assert_eq!(w.call(client, &short, vec![FakeLease::read(b"abc")]).unwrap().response(), error(SockError::InvalidArg));
    assert_eq!(w.call(client, &short, vec![FakeLease::write(5)]).unwrap().response(), error(SockError::InvalidArg));
    assert_eq!(w.call(client, &short, vec![]).unwrap().response(), error(SockError::InvalidArg));
    assert_eq!(send(&mut w, client, 12, b"x"), Some(error(SockError::NotFound)));
    assert_eq!(send(&mut w, server, port, b"x"), Some(error(SockError::AccessDenied)));
    assert_eq!(send(&mut w, client, port, b"x"), Some(Response::Ok(0)));
}

#[test]
fn send_uses_len_and_copies_raw_bytes_including_zeros() {
    // Fix 1: the seed used the port as the length and stopped at a zero byte.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let message = [1, 0, 2, 0, 0, 3];
    assert_eq!(send(&mut w, client, port, &message), Some(Response::Ok(0)));
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (message.to_vec(), false));
}

#[test]
fn send_of_zero_bytes_is_an_empty_message() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let empty = Request::Send { port, len: 0 };
    assert_eq!(w.call(client, &empty, vec![]).unwrap().response(), Response::Ok(0));
    assert_eq!(piece(recv(&mut w, server, 10, 8).unwrap()), (vec![], false));
    assert_eq!(recv(&mut w, server, 10, 8), None, "exactly one message was sent");
}

#[test]
fn send_blocks_while_the_peer_has_not_taken_the_previous_message() {
    // Fix 2: the seed let a second send overwrite an unread message.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send(&mut w, client, port, b"first"), Some(Response::Ok(0)));
    assert_eq!(send(&mut w, client, port, b"second"), None);
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"first".to_vec(), false));
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"second".to_vec(), false));
}

#[test]
fn recv_checks_len_and_lease() {
    let mut w = World::new();
    let (server, _, _) = connected_pair(&mut w);
    let recv_of = |len| Request::Recv { port: 10, len };
    assert_eq!(
        w.call(server, &recv_of(0), vec![FakeLease::write(4)]).unwrap().response(),
        error(SockError::InvalidArg)
    );
    assert_eq!(
        w.call(server, &recv_of(8), vec![FakeLease::write(4)]).unwrap().response(),
        error(SockError::InvalidArg)
    );
    assert_eq!(
        w.call(server, &recv_of(4), vec![FakeLease::read(b"abcd")]).unwrap().response(),
        error(SockError::InvalidArg)
    );
    assert_eq!(w.call(server, &recv_of(4), vec![]).unwrap().response(), error(SockError::InvalidArg));
    let stranger = w.spawn();
    assert_eq!(recv(&mut w, stranger, 10, 4).unwrap().0, error(SockError::AccessDenied));
    assert_eq!(recv(&mut w, stranger, 99, 4).unwrap().0, error(SockError::NotFound));
}

#[test]
fn recv_blocks_until_a_message_arrives() {
    // Fix 2: the seed's blocked recv could return an empty message early.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv(&mut w, server, 10, 16), None);
    let other = w.spawn();
    listen(&mut w, other, 11);
    connect(&mut w, client, 11, "localhost");
    assert!(w.reply_for(server).is_none(), "unrelated events do not wake it");
    assert_eq!(send(&mut w, client, port, b"hello"), Some(Response::Ok(0)));
    let reply = w.reply_for(server).unwrap();
    assert_eq!(reply.response(), Response::Received { len: 5, more: false });
    assert_eq!(&reply.leases[0].data[..5], b"hello");
}

#[test]
fn recv_delivers_a_longer_message_in_pieces_without_dropping() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let message: Vec<u8> = (0..100).collect();
    send(&mut w, client, port, &message);
    let mut got = vec![];
    loop {
        let (bytes, more) = piece(recv(&mut w, server, 10, 30).unwrap());
        got.extend(bytes);
        if !more {
            break;
        }
    }
    assert_eq!(got, message);
}

#[test]
fn a_large_message_is_handed_over_and_its_send_returns_when_received() {
    // Fix 8: over 4 KiB it stays in the sender's lease until taken.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let message: Vec<u8> = (0..MAX_MESSAGE_LEN).map(|i| (i * 7) as u8).collect();
    assert_eq!(send(&mut w, client, port, &message), None);
    let (first, more) = piece(recv(&mut w, server, 10, 40_000).unwrap());
    assert!(more);
    assert!(w.reply_for(client).is_none(), "the sender waits until all is taken");
    let (rest, more) = piece(recv(&mut w, server, 10, 40_000).unwrap());
    assert!(!more);
    assert_eq!([first, rest].concat(), message);
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));
}

#[test]
fn a_large_message_goes_straight_to_a_waiting_receiver() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let message = vec![9u8; SMALL_MESSAGE_MAX as usize + 1];
    assert_eq!(recv(&mut w, server, 10, 65_536), None);
    assert_eq!(send(&mut w, client, port, &message), Some(Response::Ok(0)));
    let reply = w.reply_for(server).unwrap();
    assert_eq!(reply.response(), Response::Received { len: message.len() as u32, more: false });
    assert_eq!(reply.leases[0].data[..message.len()], message[..]);
}

#[test]
fn a_blocked_send_wakes_with_reset_when_the_peer_closes() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    send(&mut w, client, port, b"one");
    assert_eq!(send(&mut w, client, port, b"two"), None);
    assert_eq!(disconnect(&mut w, server, 10), Response::Ok(0));
    assert_eq!(w.reply_for(client).unwrap().response(), error(RESET_BY_CLOSE));
}

#[test]
fn a_large_send_wakes_with_reset_when_the_receiver_dies() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send(&mut w, client, port, &[1; 5000]), None);
    w.kill(server);
    assert_eq!(w.reply_for(client).unwrap().response(), error(RESET_BY_DEATH));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn a_dead_senders_large_message_is_dropped_and_the_receiver_reset() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send(&mut w, client, port, &[1; 5000]), None);
    w.kill(client);
    assert_eq!(recv(&mut w, server, 10, 100).unwrap().0, error(RESET_BY_DEATH));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn a_message_sent_before_the_peer_closed_is_delivered_then_reset() {
    // Fix 4, survivor not blocked.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    send(&mut w, client, port, b"last words");
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"last words".to_vec(), false));
    assert_eq!(recv(&mut w, server, 10, 64).unwrap().0, error(RESET_BY_CLOSE));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn peer_close_is_the_same_when_the_survivor_was_blocked_in_send() {
    // Fix 4, survivor blocked: its send reports the reset, the data stays.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    send(&mut w, client, port, b"to server");
    send(&mut w, server, 10, b"to client");
    assert_eq!(send(&mut w, server, 10, b"blocked"), None);
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    assert_eq!(w.reply_for(server).unwrap().response(), error(RESET_BY_CLOSE));
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"to server".to_vec(), false));
    assert_eq!(recv(&mut w, server, 10, 64).unwrap().0, error(RESET_BY_CLOSE));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn a_small_message_outlives_its_dead_sender() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    send(&mut w, client, port, b"sent");
    w.kill(client);
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"sent".to_vec(), false));
    assert_eq!(recv(&mut w, server, 10, 64).unwrap().0, error(RESET_BY_DEATH));
}

#[test]
fn the_peer_is_tracked_by_identity_not_by_port() {
    // Fix 3: a new socket on a dead peer's port is a stranger.
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    let (newcomer, its_client) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, newcomer, port), None);
    let Response::Ok(its_port) = connect(&mut w, its_client, port, "localhost") else { panic!() };
    w.reply_for(newcomer);
    send(&mut w, its_client, its_port, b"not for the old server");
    assert_eq!(recv(&mut w, server, 10, 64).unwrap().0, error(RESET_BY_CLOSE));
    assert_eq!(piece(recv(&mut w, newcomer, port, 64).unwrap()).0, b"not for the old server");
}

#[test]
fn each_direction_is_independent() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send(&mut w, client, port, b"ping"), Some(Response::Ok(0)));
    assert_eq!(send(&mut w, server, 10, b"pong"), Some(Response::Ok(0)));
    assert_eq!(piece(recv(&mut w, client, port, 8).unwrap()).0, b"pong");
    assert_eq!(piece(recv(&mut w, server, 10, 8).unwrap()).0, b"ping");
    assert_eq!(w.kernel.stray_replies, 0);
}
