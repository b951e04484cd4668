//! Checks on the extensions: many clients per port, timeouts, non-blocking
//! calls, and `poll` over many ports. Each check connects the suite to its
//! own `listen_queue` socket where one task is enough, and to a helper where
//! another task must act while the suite waits.

use alloc::format;
use alloc::vec::Vec;

use libsock::limits::MAX_BACKLOG;
use libsock::poll::{PollEntry, flags};
use libsock::{E_TIMEOUT, E_WOULD_BLOCK, ResetReason, SockError, Wait};
use urt::proto::init::Ended;

use crate::roles::LATE;
use crate::suite::{Outcome, PATIENCE_MS, Suite, code, ensure, error, now_ms, success};

/// The timeout the timed checks ask for, and the slack they allow after it.
const TIMEOUT_MS: u32 = 100;
const SLACK_MS: u64 = 100;

pub fn run(suite: &mut Suite) {
    let outcome = many_clients(suite);
    suite.check("listen_queue serves many clients, each on its own port", outcome);
    let outcome = full_backlog(suite);
    suite.check("connect to a full backlog fails with E_FAIL", outcome);
    let outcome = accept_after_reset(suite);
    suite.check("accept after the client reset gives its data, then -1030", outcome);
    let outcome = recv_timeout(suite);
    suite.check("recv with a 100 ms timeout: -1031 after 100 ms, nothing lost", outcome);
    let outcome = would_block(suite);
    suite.check("non-blocking recv, accept and send return -1032", outcome);
    let outcome = send_timeout(suite);
    suite.check("a send that times out queues nothing", outcome);
    let outcome = poll_32(suite);
    suite.check("poll over 32 ports wakes on exactly the ready one", outcome);
    let outcome = poll_closed_and_timeout(suite);
    suite.check("poll reports a closed port at once and times out with 0", outcome);
}

/// Runs `check` on a `listen_queue` socket and `count` connections of the
/// suite to it (listener, [(client port, accepted port)]), then closes them
/// all, also those made before a failed connect.
fn with_connections(
    suite: &mut Suite,
    count: usize,
    check: impl FnOnce(&mut Suite, u16, &[(u16, u16)]) -> Outcome,
) -> Outcome {
    let listener = suite.port();
    success(suite.sockets.listen_queue(listener, MAX_BACKLOG), "listen_queue")?;
    let mut pairs = Vec::new();
    let outcome = connect_to(suite, listener, count, &mut pairs).and_then(|()| check(suite, listener, &pairs));
    for &(client, accepted) in &pairs {
        let _ = suite.sockets.disconnect(client);
        let _ = suite.sockets.disconnect(accepted);
    }
    let _ = suite.sockets.disconnect(listener);
    outcome
}

/// `count` connections of the suite to `listener`, each accepted, added to
/// `pairs` as they are made (a connection whose accept fails is closed).
fn connect_to(suite: &mut Suite, listener: u16, count: usize, pairs: &mut Vec<(u16, u16)>) -> Outcome {
    for _ in 0..count {
        let client = success(suite.sockets.connect(listener, "localhost"), "connect")?;
        let (accepted, remote) = match success(suite.sockets.accept(listener), "accept") {
            Ok(accepted) => accepted,
            Err(e) => {
                let _ = suite.sockets.disconnect(client);
                return Err(e);
            }
        };
        pairs.push((client, accepted));
        ensure(remote == client, || format!("accept named client {remote}, not {client}"))?;
    }
    Ok(())
}

fn many_clients(suite: &mut Suite) -> Outcome {
    with_connections(suite, 3, |suite, listener, pairs| {
        for (i, &(client, _)) in pairs.iter().enumerate() {
            success(suite.sockets.send(client, format!("client {i}").as_bytes()), "send")?;
        }
        for (i, &(_, accepted)) in pairs.iter().enumerate().rev() {
            let mut buf = [0u8; 16];
            let (len, _) = success(suite.sockets.recv(accepted, &mut buf), "recv")?;
            let want = format!("client {i}");
            ensure(&buf[..len] == want.as_bytes(), || format!("connection {i} got another's message"))?;
        }
        let row = suite.row(listener)?;
        ensure(row.is_some(), || format!("port {listener} stopped listening"))
    })
}

fn full_backlog(suite: &mut Suite) -> Outcome {
    let port = suite.port();
    success(suite.sockets.listen_queue(port, 1), "listen_queue")?;
    let first = success(suite.sockets.connect(port, "localhost"), "first connect");
    let second = suite.sockets.connect(port, "localhost");
    let _ = suite.sockets.disconnect(port);
    if let Ok(first) = first {
        let _ = suite.sockets.disconnect(first);
    }
    error(second, SockError::Fail)
}

fn accept_after_reset(suite: &mut Suite) -> Outcome {
    let port = suite.port();
    success(suite.sockets.listen_queue(port, 2), "listen_queue")?;
    let client = success(suite.sockets.connect(port, "localhost"), "connect")?;
    success(suite.sockets.send(client, b"bye"), "send")?;
    success(suite.sockets.disconnect(client), "disconnect")?;
    let outcome = (|| {
        let (accepted, _) = success(suite.sockets.accept(port), "accept")?;
        let mut buf = [0u8; 8];
        let (len, _) = success(suite.sockets.recv(accepted, &mut buf), "recv")?;
        ensure(&buf[..len] == b"bye", || "the data before the reset was lost".into())?;
        error(suite.sockets.recv(accepted, &mut buf), SockError::ConnectionReset(ResetReason::PeerDisconnected))
    })();
    let _ = suite.sockets.disconnect(port);
    outcome
}

fn recv_timeout(suite: &mut Suite) -> Outcome {
    with_connections(suite, 1, |suite, _, pairs| {
        let (client, accepted) = pairs[0];
        let start = now_ms();
        let timed_out = suite.sockets.recv_wait(accepted, &mut [0u8; 8], Wait::Ms(TIMEOUT_MS));
        let took = now_ms() - start;
        code(timed_out.map_or_else(SockError::code, |_| 0), E_TIMEOUT)?;
        ensure(took >= u64::from(TIMEOUT_MS), || format!("timed out after {took} ms"))?;
        ensure(took <= u64::from(TIMEOUT_MS) + SLACK_MS, || format!("took {took} ms"))?;
        success(suite.sockets.send(client, b"later"), "send")?;
        let mut buf = [0u8; 8];
        let (len, _) = success(suite.sockets.recv(accepted, &mut buf), "recv after the timeout")?;
        ensure(&buf[..len] == b"later", || "the later message was lost".into())
    })
}

fn would_block(suite: &mut Suite) -> Outcome {
    with_connections(suite, 1, |suite, listener, pairs| {
        let (client, accepted) = pairs[0];
        let recv = suite.sockets.recv_wait(accepted, &mut [0u8; 8], Wait::NonBlocking);
        code(recv.map_or_else(SockError::code, |_| 0), E_WOULD_BLOCK)?;
        success(suite.sockets.set_nonblocking(accepted, true), "set_nonblocking")?;
        error(suite.sockets.recv(accepted, &mut [0u8; 8]), SockError::WouldBlock)?;
        error(suite.sockets.accept_wait(listener, Wait::NonBlocking), SockError::WouldBlock)?;
        success(suite.sockets.send(client, b"full"), "send")?;
        error(suite.sockets.send_wait(client, b"more", Wait::NonBlocking), SockError::WouldBlock)
    })
}

fn send_timeout(suite: &mut Suite) -> Outcome {
    with_connections(suite, 1, |suite, _, pairs| {
        let (client, accepted) = pairs[0];
        success(suite.sockets.send(client, b"one"), "send")?;
        error(suite.sockets.send_wait(client, b"two", Wait::Ms(TIMEOUT_MS)), SockError::Timeout)?;
        let mut buf = [0u8; 8];
        let (len, _) = success(suite.sockets.recv(accepted, &mut buf), "recv")?;
        ensure(&buf[..len] == b"one", || "the first message changed".into())?;
        error(suite.sockets.recv_wait(accepted, &mut buf, Wait::NonBlocking), SockError::WouldBlock)
    })
}

/// 31 connections to itself and one to a helper that sends after a delay:
/// the poll blocks until then and reports that one alone.
fn poll_32(suite: &mut Suite) -> Outcome {
    with_connections(suite, 31, |suite, _, pairs| {
        let port = suite.port();
        let (helper, local) = suite.connect_helper("delaysend", port, &["200"])?;
        let mut entries: Vec<PollEntry> =
            pairs.iter().map(|&(_, accepted)| PollEntry::new(accepted, flags::READABLE)).collect();
        entries.insert(17, PollEntry::new(local, flags::READABLE));
        let start = now_ms();
        let ready = success(suite.sockets.poll(&mut entries, Wait::Forever), "poll")?;
        let took = now_ms() - start;
        let woken: Vec<usize> = (0..entries.len()).filter(|&i| entries[i].ready != 0).collect();
        let mut buf = [0u8; 8];
        let (len, _) = success(suite.sockets.recv(local, &mut buf), "recv")?;
        let _ = suite.sockets.disconnect(local);
        let ended = suite.wait_end(helper, PATIENCE_MS)?;
        ensure(ready == 1 && woken == [17], || format!("{ready} ready: {woken:?}"))?;
        ensure(entries[17].ready == flags::READABLE, || format!("flags {:#x}", entries[17].ready))?;
        ensure(took + SLACK_MS >= 200, || format!("poll returned after {took} ms"))?;
        ensure(&buf[..len] == LATE, || "not the helper's message".into())?;
        ensure(ended == Ended::Exited(0), || format!("helper ended {ended}"))
    })
}

fn poll_closed_and_timeout(suite: &mut Suite) -> Outcome {
    with_connections(suite, 1, |suite, listener, pairs| {
        let (client, accepted) = pairs[0];
        success(suite.sockets.disconnect(client), "disconnect")?;
        let mut entries = [PollEntry::new(client, flags::READABLE), PollEntry::new(accepted, flags::READABLE)];
        let ready = success(suite.sockets.poll(&mut entries, Wait::Forever), "poll")?;
        ensure(ready == 2, || format!("{ready} ready"))?;
        ensure(entries[0].ready == flags::CLOSED, || format!("closed port: {:#x}", entries[0].ready))?;
        ensure(entries[1].ready & flags::RESET != 0, || format!("reset port: {:#x}", entries[1].ready))?;
        let mut quiet = [PollEntry::new(listener, flags::ACCEPTABLE)];
        let start = now_ms();
        let ready = success(suite.sockets.poll(&mut quiet, Wait::Ms(TIMEOUT_MS)), "poll")?;
        let took = now_ms() - start;
        ensure(ready == 0 && took >= u64::from(TIMEOUT_MS), || format!("{ready} ready after {took} ms"))
    })
}
