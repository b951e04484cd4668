//! One test per rule of the socket contract (docs/socket-contract.md, sections 2 and 4),
//! named after the rule. Data-path rules are in `rule_tests_data.rs`, bad
//! buffers in `rule_tests_blame.rs`; closing,
//! task exit, ownership, malformed requests and listing in
//! `rule_tests_lifecycle.rs`.

#[path = "rule_tests_blame.rs"]
mod blame;
#[path = "rule_tests_data.rs"]
mod data;
#[path = "rule_tests_inline.rs"]
mod inline;
#[path = "rule_tests_lifecycle.rs"]
mod lifecycle;

use abi::{JobId, TaskId};
use libsock::limits::{MAX_SOCKETS, MAX_SOCKETS_PER_JOB, MAX_SOCKETS_PER_TASK};
use libsock::proto::{Request, Response, RowState};
use libsock::{ResetReason, SockError};

use crate::fake_kernel::{FakeLease, World};

pub(crate) fn listen(w: &mut World, task: TaskId, port: u32) -> Option<Response> {
    w.call(task, &Request::Listen { port }, vec![]).map(|r| r.response())
}

pub(crate) fn connect(w: &mut World, task: TaskId, port: u32, host: &str) -> Response {
    w.call(task, &Request::Connect { port, host }, vec![]).expect("connect never blocks").response()
}

pub(crate) fn disconnect(w: &mut World, task: TaskId, port: u32) -> Response {
    w.call(task, &Request::Disconnect { port }, vec![]).expect("disconnect never blocks").response()
}

pub(crate) fn send(w: &mut World, task: TaskId, port: u32, data: &[u8]) -> Option<Response> {
    let request = Request::Send { port, len: data.len() as u32 };
    w.call(task, &request, vec![FakeLease::read(data)]).map(|r| r.response())
}

/// A `recv` of up to `len` bytes: the response and the bytes written, if at once.
pub(crate) fn recv(w: &mut World, task: TaskId, port: u32, len: u32) -> Option<(Response, Vec<u8>)> {
    let reply = w.call(task, &Request::Recv { port, len }, vec![FakeLease::write(len as usize)])?;
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

pub(crate) const RESET_BY_CLOSE: SockError = SockError::ConnectionReset(ResetReason::PeerDisconnected);
pub(crate) const RESET_BY_DEATH: SockError = SockError::ConnectionReset(ResetReason::PeerDied);

/// A server on port 10 connected to a client; returns (server, client, client port).
pub(crate) fn connected_pair(w: &mut World) -> (TaskId, TaskId, u32) {
    let (server, client) = (w.spawn(), w.spawn());
    assert_eq!(listen(w, server, 10), None);
    let Response::Ok(port) = connect(w, client, 10, "localhost") else { panic!("connect failed") };
    assert_eq!(w.reply_for(server).unwrap().response(), Response::Ok(0));
    (server, client, port)
}

/// One connection: the listening side and the connecting side.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Link {
    pub server: TaskId,
    pub server_port: u32,
    pub client: TaskId,
    pub client_port: u32,
}

/// Connects `client` to a new listener of `server` on `port`.
pub(crate) fn link(w: &mut World, server: TaskId, client: TaskId, port: u32) -> Link {
    assert_eq!(listen(w, server, port), None, "listen on {port}");
    let Response::Ok(client_port) = connect(w, client, port, "localhost") else { panic!("connect to {port} failed") };
    assert_eq!(w.reply_for(server).unwrap().response(), Response::Ok(0));
    Link { server, server_port: port, client, client_port }
}

/// Brings `job` to its quota: tasks of the job connected to each other in
/// pairs, each task at its own limit. Listening ports start at `first_port`.
pub(crate) fn fill_job(w: &mut World, job: JobId, first_port: u32) -> Vec<Link> {
    let tasks: Vec<TaskId> = (0..MAX_SOCKETS_PER_JOB / MAX_SOCKETS_PER_TASK).map(|_| w.spawn_in(job)).collect();
    let mut links = Vec::new();
    let mut port = first_port;
    for pair in tasks.chunks(2) {
        for _ in 0..MAX_SOCKETS_PER_TASK {
            links.push(link(w, pair[0], pair[1], port));
            port += 1;
        }
    }
    assert_eq!(w.netd.job_socket_count(job), MAX_SOCKETS_PER_JOB);
    links
}

#[test]
fn listen_port_out_of_range_is_invalid_arg() {
    let mut w = World::new();
    let t = w.spawn();
    assert_eq!(listen(&mut w, t, 65_536), Some(error(SockError::InvalidArg)));
    assert_eq!(listen(&mut w, t, u32::MAX), Some(error(SockError::InvalidArg)));
}

#[test]
fn listen_on_a_used_port_is_access_denied() {
    let mut w = World::new();
    let (_, _, client_port) = connected_pair(&mut w);
    let (lister, other) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, lister, 20), None);
    for used in [10, client_port, 20] {
        assert_eq!(listen(&mut w, other, used), Some(error(SockError::AccessDenied)), "port {used}");
    }
}

#[test]
fn listen_blocks_until_a_client_connects() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, server, 0), None);
    assert!(w.kernel.is_waiting(server));
    assert_eq!(connect(&mut w, client, 0, "127.0.0.1"), Response::Ok(65_535));
    assert_eq!(w.reply_for(server).unwrap().response(), Response::Ok(0));
}

#[test]
fn listen_and_connect_fail_when_the_tasks_share_is_full() {
    let mut w = World::new();
    let greedy = w.spawn();
    for port in 0..=MAX_SOCKETS_PER_TASK as u32 {
        let server = w.spawn();
        assert_eq!(listen(&mut w, server, port), None);
        let expected =
            if port < MAX_SOCKETS_PER_TASK as u32 { Response::Ok(65_535 - port) } else { error(SockError::Fail) };
        assert_eq!(connect(&mut w, greedy, port, "localhost"), expected);
    }
    // Order of checks: a used port is still E_ACCESS_DENIED, a missing one E_NOTFOUND.
    assert_eq!(connect(&mut w, greedy, 30_000, "localhost"), error(SockError::NotFound));
    assert_eq!(disconnect(&mut w, greedy, 65_535), Response::Ok(0));
    assert_eq!(connect(&mut w, greedy, MAX_SOCKETS_PER_TASK as u32, "localhost"), Response::Ok(65_535));
}

#[test]
fn listen_and_connect_fail_when_the_socket_table_is_full() {
    let mut w = World::new();
    // The table holds several jobs at their quota.
    let jobs = MAX_SOCKETS / MAX_SOCKETS_PER_JOB;
    assert!(jobs >= 4);
    for k in 0..jobs {
        let job = w.new_job();
        fill_job(&mut w, job, (k * MAX_SOCKETS_PER_JOB / 2) as u32);
    }
    assert_eq!(w.netd.socket_count(), MAX_SOCKETS);
    let late = w.spawn();
    assert_eq!(listen(&mut w, late, 40_000), Some(error(SockError::Fail)));
    assert_eq!(listen(&mut w, late, 10), Some(error(SockError::AccessDenied)));
}

#[test]
fn connect_bad_port_or_inexact_host_is_invalid_arg() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    assert_eq!(listen(&mut w, server, 10), None);
    assert_eq!(connect(&mut w, client, 70_000, "localhost"), error(SockError::InvalidArg));
    // Fix 5: the seed accepted any prefix of "localhost", even "".
    for host in ["", "l", "local", "localhos", "localhost.", "127.0.0", "127.0.0.1 ", "LOCALHOST"] {
        assert_eq!(connect(&mut w, client, 10, host), error(SockError::InvalidArg), "{host:?}");
    }
    assert!(w.kernel.is_waiting(server), "no bad connect reached the listener");
}

#[test]
fn connect_to_nothing_is_not_found() {
    let mut w = World::new();
    let client = w.spawn();
    assert_eq!(connect(&mut w, client, 10, "localhost"), error(SockError::NotFound));
}

#[test]
fn connect_to_a_connected_socket_or_a_client_port_is_wrong_state() {
    let mut w = World::new();
    let (_, _, client_port) = connected_pair(&mut w);
    let other = w.spawn();
    assert_eq!(connect(&mut w, other, 10, "localhost"), error(SockError::WrongState));
    assert_eq!(connect(&mut w, other, client_port, "localhost"), error(SockError::WrongState));
}

#[test]
fn connect_picks_the_highest_free_port_counting_down() {
    let mut w = World::new();
    let client = w.spawn();
    let mut expected = 65_535;
    for port in 0..3 {
        let server = w.spawn();
        listen(&mut w, server, port);
        assert_eq!(connect(&mut w, client, port, "localhost"), Response::Ok(expected));
        expected -= 1;
    }
    assert_eq!(disconnect(&mut w, client, 65_535), Response::Ok(0));
    let server = w.spawn();
    listen(&mut w, server, 3);
    assert_eq!(connect(&mut w, client, 3, "localhost"), Response::Ok(65_535));
    // A listener on the top port is skipped.
    let top = w.spawn();
    let _ = disconnect(&mut w, client, 65_535);
    listen(&mut w, top, 65_535);
    let server = w.spawn();
    listen(&mut w, server, 4);
    assert_eq!(connect(&mut w, client, 4, "localhost"), Response::Ok(65_532));
}
