//! Bad buffers: a lease that is not mapped all the way fails the call of the
//! task that lent it, and only that call. The kernel's `lease_copy` names the
//! side that failed; the fake kernel does the same.

use libsock::SockError;
use libsock::proto::{Request, Response};

use super::*;
use crate::fake_kernel::{FakeLease, World};

const PAGE: usize = 4096;
/// A message of two pages: over `SMALL_MESSAGE_MAX`, so it stays in the
/// sender's lease and is copied lease to lease.
const TWO_PAGES: usize = 2 * PAGE;

fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 + i / 256) as u8).collect()
}

/// A `send` of `data` from a lease whose memory ends after `mapped` bytes.
fn send_half_mapped(w: &mut World, task: TaskId, port: u32, data: &[u8], mapped: usize) -> Option<Response> {
    let request = Request::Send { port, len: data.len() as u32 };
    let lease = FakeLease::read(data).unmapped_from(mapped);
    w.call(task, &request, vec![lease]).map(|r| r.response())
}

/// A `recv` of up to `len` bytes into a lease whose memory ends after `mapped` bytes.
fn recv_half_mapped(w: &mut World, task: TaskId, port: u32, len: u32, mapped: usize) -> Option<Response> {
    let lease = FakeLease::write(len as usize).unmapped_from(mapped);
    w.call(task, &Request::Recv { port, len }, vec![lease]).map(|r| r.response())
}

#[test]
fn a_bad_receiver_buffer_fails_the_receiver_only() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let large = message(TWO_PAGES);
    assert_eq!(send(&mut w, client, port, &large), None, "a large send waits to be taken");
    assert_eq!(recv_half_mapped(&mut w, server, 10, TWO_PAGES as u32, PAGE), Some(error(SockError::InvalidArg)));
    assert!(w.reply_for(client).is_none(), "the sender is not blamed");
    // The message stays whole for a good buffer.
    assert_eq!(piece(recv(&mut w, server, 10, TWO_PAGES as u32).unwrap()), (large, false));
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));

    // A small message, with the receiver already waiting.
    assert_eq!(recv_half_mapped(&mut w, server, 10, 64, 0), None);
    assert_eq!(send(&mut w, client, port, b"small"), Some(Response::Ok(0)));
    assert_eq!(w.reply_for(server).unwrap().response(), error(SockError::InvalidArg));
    assert_eq!(piece(recv(&mut w, server, 10, 64).unwrap()), (b"small".to_vec(), false));
    assert_eq!(w.kernel.stray_replies, 0);
}

#[test]
fn a_bad_sender_buffer_fails_the_sender_only() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let large = message(TWO_PAGES);

    // The receiver waits first: the failed copy happens as the send arrives.
    assert_eq!(recv(&mut w, server, 10, TWO_PAGES as u32), None);
    assert_eq!(send_half_mapped(&mut w, client, port, &large, PAGE), Some(error(SockError::InvalidArg)));
    assert!(w.reply_for(server).is_none(), "the receiver keeps waiting");
    assert_eq!(send(&mut w, client, port, b"after"), Some(Response::Ok(0)));
    let reply = w.reply_for(server).unwrap();
    assert_eq!(reply.response(), Response::Received { len: 5, more: false });
    assert_eq!(&reply.leases[0].data[..5], b"after");

    // The send comes first: the failed copy happens in the receiver's recv.
    assert_eq!(send_half_mapped(&mut w, client, port, &large, PAGE), None);
    assert_eq!(recv(&mut w, server, 10, TWO_PAGES as u32), None, "nothing of it is delivered");
    assert_eq!(w.reply_for(client).unwrap().response(), error(SockError::InvalidArg));
    // The receiver still waits; a good large send goes straight to it.
    assert_eq!(send(&mut w, client, port, &large), Some(Response::Ok(0)));
    let reply = w.reply_for(server).unwrap();
    assert_eq!(piece((reply.response(), reply.leases[0].data.clone())), (large, false));

    // A small message read into netd's buffer fails its send at once.
    assert_eq!(recv(&mut w, server, 10, 64), None);
    assert_eq!(send_half_mapped(&mut w, client, port, b"small", 2), Some(error(SockError::InvalidArg)));
    assert!(w.reply_for(server).is_none(), "the receiver keeps waiting");
    assert_eq!(w.kernel.stray_replies, 0);
}

#[test]
fn a_message_cut_by_an_unmapped_page_ends_with_an_empty_piece() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let large = message(TWO_PAGES);
    assert_eq!(send_half_mapped(&mut w, client, port, &large, PAGE), None);
    assert_eq!(piece(recv(&mut w, server, 10, PAGE as u32).unwrap()), (large[..PAGE].to_vec(), true));
    // The rest cannot be read: the message ends where it was cut.
    assert_eq!(piece(recv(&mut w, server, 10, PAGE as u32).unwrap()), (vec![], false));
    assert_eq!(w.reply_for(client).unwrap().response(), error(SockError::InvalidArg));
    assert_eq!(send(&mut w, client, port, b"next"), Some(Response::Ok(0)));
    assert_eq!(piece(recv(&mut w, server, 10, PAGE as u32).unwrap()), (b"next".to_vec(), false));
    assert_eq!(w.kernel.stray_replies, 0);
}
