//! One test per rule of the socket contract (SEMANTICS.md sections 2 and 3),
//! named after the rule. Data-path rules are in `rule_tests_data.rs`.

#[path = "rule_tests_data.rs"]
mod data;

use abi::TaskId;
use libsock::limits::{MAX_SOCKETS, MAX_SOCKETS_PER_TASK};
use libsock::proto::{Request, Response, RowState};
use libsock::{ResetReason, SockError};

use crate::Action;
use crate::fake_kernel::{FakeLease, World};

pub(crate) fn listen(w: &mut World, task: TaskId, port: u32) -> Option<Response> {
    w.call(task, &Request::Listen { port }, vec![])
        .map(|r| r.response())
}

pub(crate) fn connect(w: &mut World, task: TaskId, port: u32, host: &str) -> Response {
    w.call(task, &Request::Connect { port, host }, vec![])
        .expect("connect never blocks")
        .response()
}

pub(crate) fn disconnect(w: &mut World, task: TaskId, port: u32) -> Response {
    w.call(task, &Request::Disconnect { port }, vec![])
        .expect("disconnect never blocks")
        .response()
}

pub(crate) fn send(w: &mut World, task: TaskId, port: u32, data: &[u8]) -> Option<Response> {
    let request = Request::Send {
        port,
        len: data.len() as u32,
    };
    w.call(task, &request, vec![FakeLease::read(data)])
        .map(|r| r.response())
}

/// A `recv` of up to `len` bytes: the response and the bytes written, if at once.
pub(crate) fn recv(
    w: &mut World,
    task: TaskId,
    port: u32,
    len: u32,
) -> Option<(Response, Vec<u8>)> {
    let reply = w.call(
        task,
        &Request::Recv { port, len },
        vec![FakeLease::write(len as usize)],
    )?;
    Some((reply.response(), reply.leases[0].data.clone()))
}

/// The piece a finished `recv` delivered.
pub(crate) fn piece(result: (Response, Vec<u8>)) -> (Vec<u8>, bool) {
    match result {
        (Response::Received { len, more }, data) => (data[..len as usize].to_vec(), more),
        (other, _) => panic!("expected a piece, got {other:?}"),
    }
}

pub(crate) fn error(e: SockError) -> Response {
    Response::Error(e)
}

pub(crate) const RESET_BY_CLOSE: SockError =
    SockError::ConnectionReset(ResetReason::PeerDisconnected);
pub(crate) const RESET_BY_DEATH: SockError = SockError::ConnectionReset(ResetReason::PeerDied);

/// A server on port 10 connected to a client; returns (server, client, client port).
pub(crate) fn connected_pair(w: &mut World) -> (TaskId, TaskId, u32) {
    let (server, client) = (w.spawn(), w.spawn());
    assert_eq!(listen(w, server, 10), None);
    let Response::Ok(port) = connect(w, client, 10, "localhost") else {
        panic!("connect failed")
    };
    assert_eq!(w.reply_for(server).unwrap().response(), Response::Ok(0));
    (server, client, port)
}

#[test]
fn listen_port_out_of_range_is_invalid_arg() {
    let mut w = World::new();
    let t = w.spawn();
    assert_eq!(
        listen(&mut w, t, 65_536),
        Some(error(SockError::InvalidArg))
    );
    assert_eq!(
        listen(&mut w, t, u32::MAX),
        Some(error(SockError::InvalidArg))
    );
}

#[test]
fn listen_on_a_used_port_is_access_denied() {
    let mut w = World::new();
    let (_, _, client_port) = connected_pair(&mut w);
    let (lister, other) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, lister, 20), None);
    for used in [10, client_port, 20] {
        assert_eq!(
            listen(&mut w, other, used),
            Some(error(SockError::AccessDenied)),
            "port {used}"
        );
    }
}

#[test]
fn listen_blocks_until_a_client_connects() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, server, 0), None);
    assert!(w.kernel.is_waiting(server));
    assert_eq!(
        connect(&mut w, client, 0, "127.0.0.1"),
        Response::Ok(65_535)
    );
    assert_eq!(w.reply_for(server).unwrap().response(), Response::Ok(0));
}

#[test]
fn listen_and_connect_fail_when_the_tasks_share_is_full() {
    let mut w = World::new();
    let greedy = w.spawn();
    for port in 0..=MAX_SOCKETS_PER_TASK as u32 {
        let server = w.spawn();
        assert_eq!(listen(&mut w, server, port), None);
        let expected = if port < MAX_SOCKETS_PER_TASK as u32 {
            Response::Ok(65_535 - port)
        } else {
            error(SockError::Fail)
        };
        assert_eq!(connect(&mut w, greedy, port, "localhost"), expected);
    }
    // Order of checks: a used port is still E_ACCESS_DENIED, a missing one E_NOTFOUND.
    assert_eq!(
        connect(&mut w, greedy, 30_000, "localhost"),
        error(SockError::NotFound)
    );
    assert_eq!(disconnect(&mut w, greedy, 65_535), Response::Ok(0));
    assert_eq!(
        connect(&mut w, greedy, MAX_SOCKETS_PER_TASK as u32, "localhost"),
        Response::Ok(65_535)
    );
}

#[test]
fn listen_and_connect_fail_when_the_socket_table_is_full() {
    let mut w = World::new();
    let clients: Vec<TaskId> = (0..MAX_SOCKETS / 2 / MAX_SOCKETS_PER_TASK)
        .map(|_| w.spawn())
        .collect();
    for port in 0..(MAX_SOCKETS / 2) as u32 {
        let server = w.spawn();
        assert_eq!(listen(&mut w, server, port), None);
        let client = clients[port as usize / MAX_SOCKETS_PER_TASK];
        assert!(matches!(
            connect(&mut w, client, port, "localhost"),
            Response::Ok(_)
        ));
    }
    assert_eq!(w.netd.socket_count(), MAX_SOCKETS);
    let late = w.spawn();
    assert_eq!(listen(&mut w, late, 40_000), Some(error(SockError::Fail)));
    assert_eq!(
        listen(&mut w, late, 10),
        Some(error(SockError::AccessDenied))
    );
}

#[test]
fn connect_bad_port_or_inexact_host_is_invalid_arg() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, server, 10), None);
    assert_eq!(
        connect(&mut w, client, 70_000, "localhost"),
        error(SockError::InvalidArg)
    );
    // Fix 5: the seed accepted any prefix of "localhost", even "".
    for host in [
        "",
        "l",
        "local",
        "localhos",
        "localhost.",
        "127.0.0",
        "127.0.0.1 ",
        "LOCALHOST",
    ] {
        assert_eq!(
            connect(&mut w, client, 10, host),
            error(SockError::InvalidArg),
            "{host:?}"
        );
    }
    assert!(
        w.kernel.is_waiting(server),
        "no bad connect reached the listener"
    );
}

#[test]
fn connect_to_nothing_is_not_found() {
    let mut w = World::new();
    let client = w.spawn();
    assert_eq!(
        connect(&mut w, client, 10, "localhost"),
        error(SockError::NotFound)
    );
}

#[test]
fn connect_to_a_connected_socket_or_a_client_port_is_wrong_state() {
    let mut w = World::new();
    let (_, _, client_port) = connected_pair(&mut w);
    let other = w.spawn();
    assert_eq!(
        connect(&mut w, other, 10, "localhost"),
        error(SockError::WrongState)
    );
    assert_eq!(
        connect(&mut w, other, client_port, "localhost"),
        error(SockError::WrongState)
    );
}

#[test]
fn connect_picks_the_highest_free_port_counting_down() {
    let mut w = World::new();
    let client = w.spawn();
    let mut expected = 65_535;
    for port in 0..3 {
        let server = w.spawn();
        listen(&mut w, server, port);
        assert_eq!(
            connect(&mut w, client, port, "localhost"),
            Response::Ok(expected)
        );
        expected -= 1;
    }
    assert_eq!(disconnect(&mut w, client, 65_535), Response::Ok(0));
    let server = w.spawn();
    listen(&mut w, server, 3);
    assert_eq!(
        connect(&mut w, client, 3, "localhost"),
        Response::Ok(65_535)
    );
    // A listener on the top port is skipped.
    let top = w.spawn();
    let _ = disconnect(&mut w, client, 65_535);
    listen(&mut w, top, 65_535);
    let server = w.spawn();
    listen(&mut w, server, 4);
    assert_eq!(
        connect(&mut w, client, 4, "localhost"),
        Response::Ok(65_532)
    );
}

#[test]
fn disconnect_checks_port_existence_and_owner_in_order() {
    let mut w = World::new();
    let (_, client, port) = connected_pair(&mut w);
    let stranger = w.spawn();
    assert_eq!(
        disconnect(&mut w, client, 65_536),
        error(SockError::InvalidArg)
    );
    assert_eq!(disconnect(&mut w, client, 11), error(SockError::NotFound));
    assert_eq!(
        disconnect(&mut w, stranger, port),
        error(SockError::AccessDenied)
    );
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
    assert_eq!(
        w.reply_for(server).unwrap().response(),
        error(RESET_BY_CLOSE)
    );
    // The reset socket was freed when its owner got -1030: no port leaks.
    assert_eq!(w.netd.socket_count(), 0);
    assert_eq!(
        recv(&mut w, server, 10, 16).map(|r| r.0),
        Some(error(SockError::NotFound))
    );
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
    assert!(matches!(
        connect(&mut w, client, 11, "localhost"),
        Response::Ok(_)
    ));
    w.reply_for(server2);
    assert_eq!(recv(&mut w, server, 10, 4), None);
    w.kill(client);
    // Fix 6: safe, and both peers learn the peer died.
    assert_eq!(
        w.reply_for(server).unwrap().response(),
        error(RESET_BY_DEATH)
    );
    assert_eq!(
        send(&mut w, server2, 11, b"hi"),
        Some(error(RESET_BY_DEATH))
    );
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn task_exit_withdraws_a_waiting_listen() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    listen(&mut w, server, 10);
    w.kill(server);
    assert_eq!(w.netd.socket_count(), 0);
    assert_eq!(
        connect(&mut w, client, 10, "localhost"),
        error(SockError::NotFound)
    );
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
    assert_eq!(
        disconnect(&mut w, successor, port),
        error(SockError::AccessDenied)
    );
}

#[test]
fn malformed_requests_are_invalid_arg() {
    let mut w = World::new();
    let t = w.spawn();
    let check = |w: &mut World, op: u32, bytes: &[u8], leases: Vec<FakeLease>| {
        let (action, reply) = w.call_raw(t, op, bytes, leases);
        assert_eq!(action, Action::None);
        assert_eq!(
            reply.expect("answered at once").response(),
            error(SockError::InvalidArg),
            "{bytes:?}"
        );
    };
    let mut buf = [0u8; 64];
    let good = libsock::proto::encode_request(&Request::Listen { port: 5 }, &mut buf)
        .unwrap()
        .to_vec();
    check(&mut w, libsock::proto::op::LISTEN, &[], vec![]);
    check(&mut w, libsock::proto::op::LISTEN, &good[..1], vec![]);
    check(&mut w, libsock::proto::op::CONNECT, &good, vec![]);
    check(
        &mut w,
        libsock::proto::op::LISTEN,
        &good,
        vec![FakeLease::read(b"x")],
    );
    let mut wrong_version = good.clone();
    wrong_version[0] ^= 0xff;
    check(&mut w, libsock::proto::op::LISTEN, &wrong_version, vec![]);
    let mut trailing = good.clone();
    trailing.push(0);
    check(&mut w, libsock::proto::op::LISTEN, &trailing, vec![]);
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn crash_is_honoured_only_from_the_supervisor() {
    let mut w = World::new();
    let (init, other) = (w.spawn(), w.spawn());
    let mut buf = [0u8; 8];
    let bytes = libsock::proto::encode_request(&Request::Crash, &mut buf)
        .unwrap()
        .to_vec();
    let (action, reply) = w.call_raw(other, libsock::proto::op::CRASH, &bytes, vec![]);
    assert_eq!(
        (action, reply.unwrap().response()),
        (Action::None, error(SockError::AccessDenied))
    );
    w.netd.set_supervisor(init);
    let (action, reply) = w.call_raw(init, libsock::proto::op::CRASH, &bytes, vec![]);
    assert_eq!((action, reply), (Action::Crash, None));
}

#[test]
fn list_pages_through_every_socket() {
    let mut w = World::new();
    let client = w.spawn();
    for port in 0..10 {
        let server = w.spawn();
        listen(&mut w, server, port);
        assert!(matches!(
            connect(&mut w, client, port, "localhost"),
            Response::Ok(_)
        ));
    }
    let mut seen = vec![];
    let mut cursor = Some(0);
    while let Some(start) = cursor {
        let Response::ListPage(page) = w
            .call(client, &Request::List { start_index: start }, vec![])
            .unwrap()
            .response()
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
    assert_eq!(
        (server_row.state, server_row.peer_port),
        (RowState::Connected, Some(65_535))
    );
}
