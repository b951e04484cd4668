//! Checks on blocking calls and what wakes them: a client connecting, a
//! message arriving, the peer taking the previous message, the peer closing
//! or dying, and data still pending when the peer closed.

use alloc::format;

use libsock::proto::RowState;
use libsock::{E_CONNECTION_RESET_BY_REMOTE, ResetReason, SockError};
use urt::proto::init::Ended;

use crate::roles::{LAST_WORDS, LATE};
use crate::suite::{Outcome, PATIENCE_MS, Suite, code, ensure, error, now_ms, success};

/// How long helpers wait before acting; a blocked call must last about as long.
const DELAY_MS: u64 = 300;
/// Timer and scheduling slack allowed when measuring a wait.
const SLACK_MS: u64 = 100;
const DELAY: &str = "300";

const PEER_CLOSED: SockError = SockError::ConnectionReset(ResetReason::PeerDisconnected);
const PEER_DIED: SockError = SockError::ConnectionReset(ResetReason::PeerDied);

pub fn run(suite: &mut Suite) {
    let outcome = listen_until_connected(suite);
    suite.check("listen blocks until a client connects, then returns 0", outcome);
    let outcome = recv_until_message(suite);
    suite.check("recv blocks until a message arrives", outcome);
    let outcome = send_until_taken(suite, b"two");
    suite.check("send blocks while the peer has not taken the previous message", outcome);
    let outcome = send_until_taken(suite, &[7u8; 8192]);
    suite.check("a send over 4 KiB returns once the peer has taken it", outcome);
    let outcome =
        blocked("delayclose", suite, |suite, local| error(suite.sockets.recv(local, &mut [0u8; 8]), PEER_CLOSED));
    suite.check("a blocked recv wakes with a reset when the peer disconnects", outcome);
    let outcome = blocked("delayclose", suite, |suite, local| {
        success(suite.sockets.send(local, b"queued"), "first send")?;
        error(suite.sockets.send(local, b"blocked"), PEER_CLOSED)
    });
    suite.check("a blocked send wakes with a reset when the peer disconnects", outcome);
    let outcome =
        blocked("delayexit", suite, |suite, local| error(suite.sockets.recv(local, &mut [0u8; 8]), PEER_DIED));
    suite.check("a blocked recv wakes with a reset (PeerDied) when the peer task exits", outcome);
    pending_then_reset(suite);
}

/// Measures `during` and checks it lasted about [`DELAY_MS`].
fn lasted(what: &str, during: impl FnOnce() -> Outcome) -> Outcome {
    let start = now_ms();
    during()?;
    let took = now_ms() - start;
    ensure(took + SLACK_MS >= DELAY_MS, || format!("{what} returned after {took} ms, before the peer acted"))
}

fn listen_until_connected(suite: &mut Suite) -> Outcome {
    let port = suite.port();
    let helper = suite.spawn(&["connect", &format!("{port}")])?;
    success(suite.sockets.listen(port), "listen")?;
    let row = suite.row(port)?;
    let connected = row.is_some_and(|r| r.peer_port.is_some());
    let _ = suite.sockets.disconnect(port);
    let ended = suite.wait_end(helper, PATIENCE_MS)?;
    ensure(connected, || format!("after listen: {row:?}"))?;
    ensure(ended == Ended::Exited(0), || format!("client helper ended {ended}"))
}

fn recv_until_message(suite: &mut Suite) -> Outcome {
    let port = suite.port();
    let (_, local) = suite.connect_helper("delaysend", port, &[DELAY])?;
    let mut buf = [0u8; 16];
    let outcome = lasted("recv", || {
        let (len, _) = success(suite.sockets.recv(local, &mut buf), "recv")?;
        ensure(&buf[..len] == LATE, || format!("got {:?}", &buf[..len]))
    });
    let _ = suite.sockets.disconnect(local);
    outcome
}

fn send_until_taken(suite: &mut Suite, second: &[u8]) -> Outcome {
    let port = suite.port();
    let (_, local) = suite.connect_helper("delayrecv", port, &[DELAY])?;
    let outcome = if second.len() > 16 {
        // A large message is its own wait: its send lasts until it is taken.
        lasted("send", || success(suite.sockets.send(local, second), "send"))
    } else {
        success(suite.sockets.send(local, b"one"), "first send")
            .and_then(|()| lasted("second send", || success(suite.sockets.send(local, second), "second send")))
    };
    let _ = suite.sockets.disconnect(local);
    outcome
}

/// Connects to helper `role` (which acts after [`DELAY_MS`]) and runs `during`,
/// which must block until the helper acts.
fn blocked(role: &str, suite: &mut Suite, during: impl FnOnce(&mut Suite, u16) -> Outcome) -> Outcome {
    let port = suite.port();
    let (helper, local) = suite.connect_helper(role, port, &[DELAY])?;
    let outcome = lasted("the call", || during(suite, local));
    let _ = suite.sockets.disconnect(local);
    let ended = suite.wait_end(helper, PATIENCE_MS)?;
    outcome?;
    ensure(ended == Ended::Exited(0), || format!("helper ended {ended}"))
}

fn pending_then_reset(suite: &mut Suite) {
    let port = suite.port();
    let connected = suite.connect_helper("sendclose", port, &[]).and_then(|(helper, local)| {
        let ended = suite.wait_end(helper, PATIENCE_MS)?;
        ensure(ended == Ended::Exited(0), || format!("helper ended {ended}"))?;
        Ok(local)
    });
    let local = match connected {
        Ok(local) => local,
        Err(why) => {
            suite.check("a message sent before the peer closed is still delivered", Err(why));
            return;
        }
    };
    let got = suite.sockets.send(local, b"too late");
    suite.check("send to a peer that closed: reset (PeerDisconnected)", error(got, PEER_CLOSED));
    let mut buf = [0u8; 32];
    let outcome = success(suite.sockets.recv(local, &mut buf), "recv")
        .and_then(|(len, _)| ensure(&buf[..len] == LAST_WORDS, || format!("got {:?}", &buf[..len])));
    suite.check("a message sent before the peer closed is still delivered", outcome);
    let got = suite.sockets.seed().recv(local.into(), &mut [0u8; 8], 8);
    suite.check("after the pending data, recv gives -1030", code(got, E_CONNECTION_RESET_BY_REMOTE));
    let got = suite.sockets.disconnect(local);
    suite.check("the reset socket was freed once recv reported it", error(got, SockError::NotFound));
    reset_then_disconnect(suite);
}

fn reset_then_disconnect(suite: &mut Suite) {
    let port = suite.port();
    let outcome = suite.connect_helper("delayclose", port, &["0"]).and_then(|(helper, local)| {
        suite.wait_end(helper, PATIENCE_MS)?;
        suite.wait_row(local, "the peer's close shows", |row| row.is_some_and(|r| r.state == RowState::Reset))?;
        success(suite.sockets.disconnect(local), "disconnect")?;
        suite.wait_row(local, "disconnect frees the socket", |row| row.is_none())
    });
    suite.check("netstat shows a reset socket; disconnect frees it", outcome);
}
