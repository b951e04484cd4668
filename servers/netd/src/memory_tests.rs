//! netd meeting memory that runs out: its tables are allocated at start and
//! never grow, no request or task exit allocates but a message buffer, and a
//! buffer memory refuses fails that one `send` with `E_FAIL` while netd and
//! every other connection carry on. The fake kernel's own allocations are not
//! rationed (`rationed_alloc`), only netd's.

use libsock::SockError;
use libsock::limits::{MAX_BUFFERED_MESSAGES, MAX_SOCKETS_PER_JOB, SMALL_MESSAGE_MAX};
use libsock::proto::{Request, Response, RowState};

use crate::fake_kernel::World;
use crate::rationed_alloc::rationed;
use crate::rule_tests::{connect, disconnect, fill_job, link, listen, piece, recv, send};
use crate::{Netd, OutOfMemory};

const E_FAIL: Option<Response> = Some(Response::Error(SockError::Fail));

#[test]
fn without_memory_for_its_tables_netd_says_so_instead_of_panicking() {
    let mut allowed = 0;
    loop {
        let (made, asked) = rationed(Some(allowed), || Netd::try_new().map(drop));
        match made {
            Ok(()) => break,
            Err(OutOfMemory) => assert!(asked > allowed),
        }
        allowed += 1;
        assert!(allowed < 16, "netd's start takes a handful of allocations");
    }
}

/// Every page of netstat's listing, as a client asks for them.
fn list_all(w: &mut World, task: abi::TaskId) -> usize {
    let (mut rows, mut cursor) = (0, Some(0));
    while let Some(start_index) = cursor {
        let reply = w.call(task, &Request::List { start_index }, vec![]).unwrap();
        let Response::ListPage(page) = reply.response() else { panic!("not a page") };
        rows += page.iter().count();
        cursor = page.next_index;
    }
    rows
}

#[test]
fn no_request_or_task_exit_allocates_anything_but_a_message_buffer() {
    let mut w = World::new();
    w.allocations_allowed = Some(0);

    // Quotas, a full job, listing, closing and exits.
    let job = w.new_job();
    let links = fill_job(&mut w, job, 0);
    let child = w.spawn_in(job);
    assert_eq!(listen(&mut w, child, 9_000), E_FAIL);
    assert_eq!(list_all(&mut w, child), MAX_SOCKETS_PER_JOB);
    assert_eq!(disconnect(&mut w, links[0].client, links[0].client_port), Response::Ok(0));
    w.kill(links[1].server);

    // Data that needs no buffer: a small message to a waiting receiver, a
    // large one through the sender's lease, an empty one.
    let (server, client) = (w.spawn(), w.spawn());
    let pair = link(&mut w, server, client, 9_001);
    assert_eq!(recv(&mut w, server, pair.server_port, 64), None);
    assert_eq!(send(&mut w, client, pair.client_port, b"hi"), Some(Response::Ok(0)));
    let delivered = w.reply_for(server).unwrap();
    assert_eq!(delivered.response(), Response::Received { len: 2, more: false });
    assert_eq!(&delivered.leases[0].data[..2], b"hi");
    let large = vec![7u8; SMALL_MESSAGE_MAX as usize + 1];
    assert_eq!(send(&mut w, client, pair.client_port, &large), None);
    let (got, more) = piece(recv(&mut w, server, pair.server_port, 70_000).unwrap());
    assert_eq!((got, more), (large, false));
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));
    let empty = Request::Send { port: pair.client_port, len: 0 };
    assert_eq!(w.call(client, &empty, vec![]).unwrap().response(), Response::Ok(0));
    assert_eq!(piece(recv(&mut w, server, pair.server_port, 8).unwrap()).0, b"");

    for link in &links {
        w.kill(link.server);
        w.kill(link.client);
    }
    w.kill(child);
    assert_eq!(w.allocations_asked, 0, "netd allocated on a request or an exit");
    assert_eq!(w.netd.message_buffers(), 0);

    // Only a message that must wait in netd needs memory: refused here, so
    // that send is E_FAIL, and nothing else changed.
    assert_eq!(send(&mut w, client, pair.client_port, b"wait"), E_FAIL);
    assert_eq!(w.allocations_asked, 1);
    assert_eq!(w.netd.socket_count(), 2);
    assert!(w.netd.rows().all(|row| row.state == RowState::Connected && row.queued == 0));
}

#[test]
fn a_send_that_finds_no_memory_fails_alone_and_the_next_one_works() {
    let mut w = World::new();
    let (a_server, a_client, b_server, b_client) = (w.spawn(), w.spawn(), w.spawn(), w.spawn());
    let a = link(&mut w, a_server, a_client, 10);
    let b = link(&mut w, b_server, b_client, 11);
    assert_eq!(recv(&mut w, a_server, a.server_port, 64), None);

    w.allocations_allowed = Some(0);
    assert_eq!(send(&mut w, b_client, b.client_port, b"lost"), E_FAIL);
    // The other connection, netd and the failing one's sockets carry on.
    assert_eq!(send(&mut w, a_client, a.client_port, b"mine"), Some(Response::Ok(0)));
    assert!(w.reply_for(a_server).is_some());
    assert_eq!(w.netd.socket_count(), 4);
    assert_eq!(recv(&mut w, b_server, b.server_port, 64), None, "nothing arrived");
    let other = w.spawn();
    assert_eq!(listen(&mut w, other, 12), None);
    assert!(matches!(connect(&mut w, b_client, 12, "localhost"), Response::Ok(_)));

    // Memory is back: the same connection works.
    w.allocations_allowed = None;
    assert_eq!(send(&mut w, b_client, b.client_port, b"again"), Some(Response::Ok(0)));
    let reply = w.reply_for(b_server).unwrap();
    assert_eq!(reply.response(), Response::Received { len: 5, more: false });
}

#[test]
fn message_buffers_are_reused_so_traffic_allocates_once() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    let pair = link(&mut w, server, client, 10);
    assert_eq!(send(&mut w, client, pair.client_port, b"first"), Some(Response::Ok(0)));
    piece(recv(&mut w, server, pair.server_port, 64).unwrap());
    assert_eq!(w.netd.message_buffers(), 1);

    w.allocations_allowed = Some(0);
    for round in 0..100u8 {
        assert_eq!(send(&mut w, client, pair.client_port, &[round]), Some(Response::Ok(0)));
        // A second send waits for room, then moves into the freed buffer.
        assert_eq!(send(&mut w, client, pair.client_port, &[round, 1]), None);
        assert_eq!(piece(recv(&mut w, server, pair.server_port, 64).unwrap()).0, [round]);
        assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));
        assert_eq!(piece(recv(&mut w, server, pair.server_port, 64).unwrap()).0, [round, 1]);
    }
    assert_eq!(w.allocations_asked, 0);
    assert_eq!(w.netd.message_buffers(), 1);
}

#[test]
fn buffered_messages_stop_at_the_limit_and_a_received_one_makes_room() {
    let mut w = World::new();
    // Both directions of each connection hold a small message.
    let links: Vec<_> = (0..MAX_BUFFERED_MESSAGES / MAX_SOCKETS_PER_JOB)
        .flat_map(|k| {
            let job = w.new_job();
            fill_job(&mut w, job, (k * MAX_SOCKETS_PER_JOB) as u32)
        })
        .collect();
    for link in &links {
        assert_eq!(send(&mut w, link.client, link.client_port, b"up"), Some(Response::Ok(0)));
        assert_eq!(send(&mut w, link.server, link.server_port, b"down"), Some(Response::Ok(0)));
    }
    assert_eq!(w.netd.message_buffers(), MAX_BUFFERED_MESSAGES);

    let (server, client) = (w.spawn(), w.spawn());
    let late = link(&mut w, server, client, 20_000);
    assert_eq!(send(&mut w, client, late.client_port, b"late"), E_FAIL);
    // What needs no buffer still works.
    assert_eq!(send(&mut w, client, late.client_port, &[1; 5_000]), None);
    assert_eq!(
        recv(&mut w, server, late.server_port, 5_000).unwrap().0,
        Response::Received { len: 5_000, more: false }
    );
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));

    let first = links[0];
    assert_eq!(piece(recv(&mut w, first.server, first.server_port, 8).unwrap()).0, b"up");
    assert_eq!(send(&mut w, client, late.client_port, b"late"), Some(Response::Ok(0)));
    assert_eq!(w.netd.message_buffers(), MAX_BUFFERED_MESSAGES);
}
