//! The life-cycle rules: disconnect, resets, task exit, ownership, malformed
//! requests and listing.

use super::*;

#[test]
fn disconnect_checks_port_existence_and_owner_in_order() {
    let mut w = World::new();
    let (_, client, port) = connected_pair(&mut w);
    let stranger = w.spawn();
    assert_eq!(disconnect(&mut w, client, 65_536), error(SockError::InvalidArg));
    assert_eq!(disconnect(&mut w, client, 11), error(SockError::NotFound));
    assert_eq!(disconnect(&mut w, stranger, port), error(SockError::AccessDenied));
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    assert_eq!(disconnect(&mut w, client, port), error(SockError::NotFound));
}

#[test]
fn disconnect_frees_the_port_at_once() {
    let mut w = World::new();
    let (_, client, port) = connected_pair(&mut w);
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    let other = w.spawn();
    assert_eq!(listen(&mut w, other, port), None, "the port is free again");
}

#[test]
fn disconnect_wakes_the_blocked_peer_with_reset() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv(&mut w, server, 10, 16), None);
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    assert_eq!(w.reply_for(server).unwrap().response(), error(RESET_BY_CLOSE));
    // The reset socket was freed when its owner got -1030: no port leaks.
    assert_eq!(w.netd.socket_count(), 0);
    assert_eq!(recv(&mut w, server, 10, 16).map(|r| r.0), Some(error(SockError::NotFound)));
}

#[test]
fn a_reset_socket_answers_reset_then_is_freed() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    assert_eq!(w.netd.rows().next().unwrap().state, RowState::Reset);
    assert_eq!(send(&mut w, server, 10, b"x"), Some(error(RESET_BY_CLOSE)));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn disconnecting_a_reset_socket_frees_it() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(disconnect(&mut w, client, port), Response::Ok(0));
    assert_eq!(disconnect(&mut w, server, 10), Response::Ok(0));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn task_exit_disconnects_every_socket_it_owned() {
    let mut w = World::new();
    let (server, client, _) = connected_pair(&mut w);
    let server2 = w.spawn();
    listen(&mut w, server2, 11);
    assert!(matches!(connect(&mut w, client, 11, "localhost"), Response::Ok(_)));
    w.reply_for(server2);
    assert_eq!(recv(&mut w, server, 10, 4), None);
    w.kill(client);
    // Fix 6: safe, and both peers learn the peer died.
    assert_eq!(w.reply_for(server).unwrap().response(), error(RESET_BY_DEATH));
    assert_eq!(send(&mut w, server2, 11, b"hi"), Some(error(RESET_BY_DEATH)));
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn task_exit_withdraws_a_waiting_listen() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    listen(&mut w, server, 10);
    w.kill(server);
    assert_eq!(w.netd.socket_count(), 0);
    assert_eq!(connect(&mut w, client, 10, "localhost"), error(SockError::NotFound));
    assert_eq!(w.kernel.stray_replies, 0);
}

#[test]
fn ownership_is_by_kernel_stamped_task_id_with_generation() {
    let mut w = World::new();
    let (_, client, port) = connected_pair(&mut w);
    // Fix 9: the same task slot's next incarnation is not the owner, even
    // before netd has learnt that the first one died.
    w.kernel.kill(client);
    let successor = client.next_generation();
    w.kernel.spawn_as(successor);
    assert_eq!(disconnect(&mut w, successor, port), error(SockError::AccessDenied));
}

#[test]
fn malformed_requests_are_invalid_arg() {
    let mut w = World::new();
    let t = w.spawn();
    let check = |w: &mut World, op: u32, bytes: &[u8], leases: Vec<FakeLease>| {
        let reply = w.call_raw(t, op, bytes, leases);
        assert_eq!(reply.expect("answered at once").response(), error(SockError::InvalidArg), "{bytes:?}");
    };
    let mut buf = [0u8; 64];
    let good = libsock::proto::encode_request(&Request::Listen { port: 5 }, &mut buf).unwrap().to_vec();
    check(&mut w, libsock::proto::op::LISTEN, &[], vec![]);
    check(&mut w, libsock::proto::op::LISTEN, &good[..1], vec![]);
    check(&mut w, libsock::proto::op::CONNECT, &good, vec![]);
    check(&mut w, libsock::proto::op::LISTEN, &good, vec![FakeLease::read(b"x")]);
    let mut wrong_version = good.clone();
    wrong_version[0] ^= 0xff;
    check(&mut w, libsock::proto::op::LISTEN, &wrong_version, vec![]);
    let mut trailing = good.clone();
    trailing.push(0);
    check(&mut w, libsock::proto::op::LISTEN, &trailing, vec![]);
    // Operation 7 with these bytes once made netd fault; it is no request now.
    check(&mut w, 7, &[libsock::proto::PROTOCOL_VERSION, 6], vec![]);
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn list_pages_through_every_socket() {
    let mut w = World::new();
    let client = w.spawn();
    for port in 0..10 {
        let server = w.spawn();
        listen(&mut w, server, port);
        assert!(matches!(connect(&mut w, client, port, "localhost"), Response::Ok(_)));
    }
    let mut seen = vec![];
    let mut cursor = Some(0);
    while let Some(start) = cursor {
        let Response::ListPage(page) =
            w.call(client, &Request::List { start_index: start }, vec![]).unwrap().response()
        else {
            panic!("not a page")
        };
        assert_eq!(page.total, 20);
        seen.extend(page.iter().copied());
        cursor = page.next_index;
    }
    assert_eq!(seen, w.netd.rows().collect::<Vec<_>>());
    assert_eq!(seen.len(), 20);
    let server_row = seen.iter().find(|row| row.port == 0).unwrap();
    assert_eq!((server_row.state, server_row.peer_port), (RowState::Connected, Some(65_535)));
}
