//! The extensions, one test per rule: many clients per port (`listen_queue`,
//! `accept`), timeouts (`E_TIMEOUT`) and non-blocking calls
//! (`E_WOULD_BLOCK`). `poll` is in `poll_tests.rs`.

use abi::TaskId;
use libsock::SockError;
use libsock::limits::MAX_BACKLOG;
use libsock::proto::{Request, Response, RowState, Wait};

use crate::fake_kernel::{FakeLease, World};
use crate::rule_tests::{RESET_BY_CLOSE, connect, connected_pair, disconnect, error, piece, recv, send};

pub(crate) fn listen_queue(w: &mut World, task: TaskId, port: u32, backlog: u32) -> Response {
    w.call(task, &Request::ListenQueue { port, backlog }, vec![]).expect("listen_queue never blocks").response()
}

pub(crate) fn accept(w: &mut World, task: TaskId, port: u32, wait: Wait) -> Option<Response> {
    w.call(task, &Request::Accept { port, wait }, vec![]).map(|r| r.response())
}

pub(crate) fn recv_wait(w: &mut World, task: TaskId, port: u32, len: u32, wait: Wait) -> Option<(Response, Vec<u8>)> {
    let reply = w.call(task, &Request::RecvWait { port, len, wait }, vec![FakeLease::write(len as usize)])?;
    Some((reply.response(), reply.leases[0].data.clone()))
}

pub(crate) fn send_wait(w: &mut World, task: TaskId, port: u32, data: &[u8], wait: Wait) -> Option<Response> {
    let request = Request::SendWait { port, len: data.len() as u32, wait };
    w.call(task, &request, vec![FakeLease::read(data)]).map(|r| r.response())
}

/// Connects `client` to the queue on `port`; returns its local port.
fn client_of(w: &mut World, client: TaskId, port: u32) -> u32 {
    match connect(w, client, port, "localhost") {
        Response::Ok(local) => local,
        other => panic!("connect: {other:?}"),
    }
}

fn accepted(response: Option<Response>) -> (u32, u32) {
    match response {
        Some(Response::Accepted { port, remote }) => (port, remote),
        other => panic!("expected a connection, got {other:?}"),
    }
}

const TIMEOUT: Option<Response> = Some(Response::Error(SockError::Timeout));
const WOULD_BLOCK: Option<Response> = Some(Response::Error(SockError::WouldBlock));

#[test]
fn a_queue_serves_many_clients_each_on_its_own_port() {
    let mut w = World::new();
    let server = w.spawn();
    assert_eq!(listen_queue(&mut w, server, 7, 8), Response::Ok(0));
    let clients: Vec<TaskId> = (0..3).map(|_| w.spawn()).collect();
    let locals: Vec<u32> = clients.iter().map(|&c| client_of(&mut w, c, 7)).collect();
    let mut conns = Vec::new();
    for &local in &locals {
        let (port, remote) = accepted(accept(&mut w, server, 7, Wait::Forever));
        assert_eq!(remote, local, "accepted oldest first, with the client's port");
        conns.push(port);
    }
    for (i, (&client, &local)) in clients.iter().zip(&locals).enumerate() {
        assert_eq!(send(&mut w, client, local, format!("from {i}").as_bytes()), Some(Response::Ok(0)));
    }
    for (i, &conn) in conns.iter().enumerate().rev() {
        let (bytes, _) = piece(recv(&mut w, server, conn, 16).unwrap());
        assert_eq!(bytes, format!("from {i}").as_bytes(), "no message crosses connections");
        assert_eq!(send(&mut w, server, conn, b"back"), Some(Response::Ok(0)));
    }
    for (&client, &local) in clients.iter().zip(&locals) {
        assert_eq!(piece(recv(&mut w, client, local, 8).unwrap()).0, b"back");
    }
    let listening = w.netd.rows().find(|r| r.port == 7).unwrap();
    assert_eq!(listening.state, RowState::Listening, "the queue keeps listening");
}

#[test]
fn accept_waits_for_a_client_and_the_client_may_send_before_it() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    listen_queue(&mut w, server, 7, 1);
    assert_eq!(accept(&mut w, server, 7, Wait::Forever), None);
    let local = client_of(&mut w, client, 7);
    let (conn, remote) = accepted(w.reply_for(server).map(|r| r.response()));
    assert_eq!(remote, local);
    let other = w.spawn();
    let second = client_of(&mut w, other, 7);
    assert_eq!(send(&mut w, other, second, b"early"), Some(Response::Ok(0)));
    let (conn2, _) = accepted(accept(&mut w, server, 7, Wait::Forever));
    assert_ne!(conn, conn2);
    assert_eq!(piece(recv(&mut w, server, conn2, 8).unwrap()).0, b"early");
}

#[test]
fn a_full_backlog_fails_connect_and_a_plain_listen_keeps_one_client() {
    let mut w = World::new();
    let server = w.spawn();
    listen_queue(&mut w, server, 7, 2);
    let (a, b, c) = (w.spawn(), w.spawn(), w.spawn());
    client_of(&mut w, a, 7);
    client_of(&mut w, b, 7);
    assert_eq!(connect(&mut w, c, 7, "localhost"), error(SockError::Fail));
    accept(&mut w, server, 7, Wait::Forever).unwrap();
    client_of(&mut w, c, 7);
    // The seed's listen: its one client, then no more.
    let (_, _, _) = connected_pair(&mut w);
    let late = w.spawn();
    assert_eq!(connect(&mut w, late, 10, "localhost"), error(SockError::WrongState));
    assert_eq!(listen_queue(&mut w, server, 8, 0), error(SockError::InvalidArg));
    assert_eq!(listen_queue(&mut w, server, 8, MAX_BACKLOG + 1), error(SockError::InvalidArg));
}

#[test]
fn accept_after_a_reset_returns_the_connection_with_its_data() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    listen_queue(&mut w, server, 7, 4);
    let local = client_of(&mut w, client, 7);
    send(&mut w, client, local, b"bye");
    disconnect(&mut w, client, local);
    let (conn, remote) = accepted(accept(&mut w, server, 7, Wait::NonBlocking));
    assert_eq!(remote, local);
    assert_eq!(piece(recv(&mut w, server, conn, 8).unwrap()).0, b"bye");
    assert_eq!(recv(&mut w, server, conn, 8).map(|r| r.0), Some(error(RESET_BY_CLOSE)));
}

#[test]
fn closing_the_queue_resets_the_clients_still_waiting_and_frees_everything() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    listen_queue(&mut w, server, 7, 4);
    let local = client_of(&mut w, client, 7);
    assert_eq!(recv(&mut w, client, local, 8), None);
    assert_eq!(disconnect(&mut w, server, 7), Response::Ok(0));
    assert_eq!(w.reply_for(client).unwrap().response(), error(RESET_BY_CLOSE));
    assert_eq!(w.netd.socket_count(), 0);
    // And an owner's death frees its queue, accepted or not.
    listen_queue(&mut w, server, 7, 4);
    let (x, y) = (w.spawn(), w.spawn());
    client_of(&mut w, x, 7);
    client_of(&mut w, y, 7);
    accept(&mut w, server, 7, Wait::Forever).unwrap();
    w.kill(server);
    assert_eq!(w.netd.rows().filter(|r| r.state != RowState::Reset).count(), 0);
}

#[test]
fn a_recv_times_out_not_before_its_deadline_and_loses_nothing() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv_wait(&mut w, server, 10, 8, Wait::Ms(100)), None);
    w.advance_ms(99);
    assert!(w.reply_for(server).is_none(), "not before 100 ms");
    w.advance_ms(1);
    assert_eq!(w.reply_for(server).map(|r| r.response()), TIMEOUT);
    assert_eq!(w.netd.next_deadline(), None);
    send(&mut w, client, port, b"later");
    assert_eq!(piece(recv(&mut w, server, 10, 8).unwrap()).0, b"later");
    // A zero timeout and a non-blocking call answer at once.
    assert_eq!(recv_wait(&mut w, server, 10, 8, Wait::Ms(0)).map(|r| r.0), TIMEOUT);
    assert_eq!(recv_wait(&mut w, server, 10, 8, Wait::NonBlocking).map(|r| r.0), WOULD_BLOCK);
}

#[test]
fn a_message_before_the_deadline_wins_and_the_timer_then_does_nothing() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv_wait(&mut w, server, 10, 8, Wait::Ms(50)), None);
    assert_eq!(w.netd.next_deadline(), Some(50_000_000));
    send(&mut w, client, port, b"in time");
    assert_eq!(w.reply_for(server).unwrap().response(), Response::Received { len: 7, more: false });
    assert_eq!(w.netd.next_deadline(), None, "the answered wait left no deadline");
    w.advance_ms(100);
    assert_eq!(w.kernel.stray_replies, 0);
}

#[test]
fn a_send_waiting_for_room_times_out_or_would_block_and_queues_nothing() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    send(&mut w, client, port, b"one");
    assert_eq!(send_wait(&mut w, client, port, b"two", Wait::NonBlocking), WOULD_BLOCK);
    assert_eq!(send_wait(&mut w, client, port, b"two", Wait::Ms(20)), None);
    w.advance_ms(20);
    assert_eq!(w.reply_for(client).map(|r| r.response()), TIMEOUT);
    assert_eq!(piece(recv(&mut w, server, 10, 8).unwrap()).0, b"one");
    assert_eq!(recv_wait(&mut w, server, 10, 8, Wait::NonBlocking).map(|r| r.0), WOULD_BLOCK);
}

#[test]
fn a_large_send_is_withdrawn_at_its_timeout_only_if_nothing_was_taken() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    let big = vec![5u8; 10_000];
    assert_eq!(send_wait(&mut w, client, port, &big, Wait::Ms(10)), None);
    w.advance_ms(10);
    assert_eq!(w.reply_for(client).map(|r| r.response()), TIMEOUT);
    assert_eq!(recv_wait(&mut w, server, 10, 8, Wait::NonBlocking).map(|r| r.0), WOULD_BLOCK);
    // Once the receiver has begun, the message completes whatever the timeout.
    assert_eq!(send_wait(&mut w, client, port, &big, Wait::Ms(10)), None);
    assert_eq!(piece(recv(&mut w, server, 10, 4000).unwrap()).1, true);
    w.advance_ms(50);
    assert!(w.reply_for(client).is_none());
    assert_eq!(piece(recv(&mut w, server, 10, 8000).unwrap()).0.len(), 6000);
    assert_eq!(w.reply_for(client).unwrap().response(), Response::Ok(0));
}

#[test]
fn a_listen_or_accept_that_times_out_leaves_no_waiter_behind() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    assert!(w.call(server, &Request::ListenWait { port: 10, wait: Wait::Ms(30) }, vec![]).is_none());
    w.advance_ms(30);
    assert_eq!(w.reply_for(server).map(|r| r.response()), TIMEOUT);
    assert_eq!(connect(&mut w, client, 10, "localhost"), error(SockError::NotFound), "the port is free");
    let nonblocking = Request::ListenWait { port: 10, wait: Wait::NonBlocking };
    assert_eq!(w.call(server, &nonblocking, vec![]).map(|r| r.response()), Some(error(SockError::InvalidArg)));
    listen_queue(&mut w, server, 7, 1);
    assert_eq!(accept(&mut w, server, 7, Wait::NonBlocking), WOULD_BLOCK);
    assert_eq!(accept(&mut w, server, 7, Wait::Ms(5)), None);
    w.advance_ms(5);
    assert_eq!(w.reply_for(server).map(|r| r.response()), TIMEOUT);
    client_of(&mut w, client, 7);
    accepted(accept(&mut w, server, 7, Wait::Forever));
}

#[test]
fn the_timer_is_set_for_the_earliest_of_many_waits() {
    let mut w = World::new();
    let (a, _, _) = connected_pair(&mut w);
    let (b, c) = (w.spawn(), w.spawn());
    listen_queue(&mut w, b, 7, 1);
    let _ = c;
    assert_eq!(recv_wait(&mut w, a, 10, 8, Wait::Ms(300)), None);
    assert_eq!(accept(&mut w, b, 7, Wait::Ms(100)), None);
    assert_eq!(w.netd.next_deadline(), Some(100_000_000));
    w.advance_ms(100);
    assert_eq!(w.reply_for(b).map(|r| r.response()), TIMEOUT);
    assert_eq!(w.netd.next_deadline(), Some(300_000_000));
}

#[test]
fn a_server_serves_more_clients_than_its_own_quota_within_its_jobs() {
    use libsock::limits::{MAX_SOCKETS_PER_JOB, MAX_SOCKETS_PER_TASK};
    let mut w = World::new();
    let server = w.spawn();
    listen_queue(&mut w, server, 7, MAX_BACKLOG);
    let mut served = 0;
    while served < MAX_SOCKETS_PER_TASK + 8 {
        let client = w.spawn();
        client_of(&mut w, client, 7);
        accepted(accept(&mut w, server, 7, Wait::NonBlocking));
        served += 1;
    }
    // Its own sockets still stop at the task's quota: the listener and these.
    for port in 1..MAX_SOCKETS_PER_TASK as u32 {
        assert_eq!(listen_queue(&mut w, server, 1000 + port, 1), Response::Ok(0), "port {port}");
    }
    assert_eq!(listen_queue(&mut w, server, 999, 1), error(SockError::Fail));
    assert!(w.netd.job_socket_count(w.kernel.job_of(server)) < MAX_SOCKETS_PER_JOB);
    w.kill(server);
    assert_eq!(w.netd.job_socket_count(w.kernel.job_of(server)), 0);
}
