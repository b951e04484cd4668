//! Checks on connections and ownership: what `connect` returns, the states
//! netd reports, `E_ACCESS_DENIED` and `E_WRONG_STATE` in both directions
//! between two tasks, and sockets of tasks that end.

use alloc::format;

use libsock::proto::RowState;
use libsock::{ResetReason, SockError};
use urt::proto::init::Ended;

use crate::suite::{Outcome, Suite, ensure, error, success};

pub fn run(suite: &mut Suite) {
    let server = suite.port();
    let expected_local = suite.highest_free();
    let (helper, local) = match suite.connect_helper("hold", server, &[]) {
        Ok(pair) => pair,
        Err(why) => {
            suite.check("connect to a listening socket", Err(why));
            return;
        }
    };
    let outcome = expected_local
        .and_then(|want| ensure(local == want, || format!("got local port {local}, highest free was {want}")));
    suite.check("connect returns the highest free port", outcome);
    let outcome = own_row(suite, local, server);
    suite.check("netstat: the client socket is connected to the server's port", outcome);
    let outcome = peer_row(suite, server, local);
    suite.check("netstat: the server socket belongs to the other task", outcome);

    let taken = [
        ("listen on a connected server port: E_ACCESS_DENIED", server),
        ("listen on a client's local port: E_ACCESS_DENIED", local),
    ];
    for (name, port) in taken {
        // A wrong answer here would block: the check itself shows it.
        let got = suite.sockets.listen(port);
        suite.check(name, error(got, SockError::AccessDenied));
    }
    let got = suite.sockets.connect(server, "localhost");
    suite.check("connect to an already connected socket: E_WRONG_STATE", error(got, SockError::WrongState));
    let got = suite.sockets.connect(local, "127.0.0.1");
    suite.check("connect to a client's local port: E_WRONG_STATE", error(got, SockError::WrongState));

    let got = suite.sockets.send(server, b"not mine");
    suite.check("send on another task's socket: E_ACCESS_DENIED", error(got, SockError::AccessDenied));
    let got = suite.sockets.recv(server, &mut [0u8; 8]);
    suite.check("recv on another task's socket: E_ACCESS_DENIED", error(got, SockError::AccessDenied));
    let got = suite.sockets.disconnect(server);
    suite.check("disconnect another task's socket: E_ACCESS_DENIED", error(got, SockError::AccessDenied));
    let outcome = poke(suite, local);
    suite.check("a second task gets E_ACCESS_DENIED from all four calls on our socket", outcome);

    let outcome = success(suite.sockets.disconnect(local), "disconnect").and_then(|()| {
        let ended = suite.wait_end(helper, crate::suite::PATIENCE_MS)?;
        ensure(ended == Ended::Exited(0), || format!("helper ended {ended}"))
    });
    suite.check("disconnect wakes the peer's blocked recv with a reset", outcome);
    let got = suite.sockets.send(local, b"gone");
    suite.check("send after disconnect: E_NOTFOUND (freed at once)", error(got, SockError::NotFound));

    let outcome = withdrawn_listen(suite);
    suite.check("a killed task's waiting listen is withdrawn: E_NOTFOUND", outcome);
    let outcome = killed_owner(suite);
    suite.check("killing a task closes its sockets; peers get PeerDied", outcome);
}

fn own_row(suite: &mut Suite, local: u16, server: u16) -> Outcome {
    let row = suite.row(local)?.ok_or_else(|| format!("no socket on {local}"))?;
    suite.me = Some(row.owner);
    ensure(row.state == RowState::Connected && row.peer_port == Some(server), || format!("{row:?}"))
}

fn peer_row(suite: &mut Suite, server: u16, local: u16) -> Outcome {
    let row = suite.row(server)?.ok_or_else(|| format!("no socket on {server}"))?;
    let ok = row.state == RowState::Connected && row.peer_port == Some(local) && Some(row.owner) != suite.me;
    ensure(ok, || format!("{row:?}"))
}

fn poke(suite: &mut Suite, local: u16) -> Outcome {
    let port = format!("{local}");
    let helper = suite.spawn(&["poke", &port])?;
    let ended = suite.wait_end(helper, crate::suite::PATIENCE_MS)?;
    ensure(ended == Ended::Exited(0), || format!("helper ended {ended} (first code other than -1026)"))
}

fn withdrawn_listen(suite: &mut Suite) -> Outcome {
    let port = suite.port();
    let helper = suite.spawn(&["listenonly", &format!("{port}")])?;
    suite.wait_listening(port)?;
    let got = suite.sockets.listen(port);
    error(got, SockError::AccessDenied).map_err(|why| format!("listen on a listening port: {why}"))?;
    let ended = suite.kill(helper)?;
    ensure(ended == Ended::Killed, || format!("helper ended {ended}"))?;
    error(suite.sockets.connect(port, "localhost"), SockError::NotFound)
}

fn killed_owner(suite: &mut Suite) -> Outcome {
    const HELD: u16 = 3;
    let first = suite.ports(HELD);
    let helper = suite.spawn(&["chain", &format!("{first}"), &format!("{HELD}")])?;
    let mut locals = [0u16; HELD as usize];
    for (offset, local) in locals.iter_mut().enumerate() {
        let port = first + offset as u16;
        *local = netprogs::net::connect_retrying(&mut suite.sockets, port, "localhost", crate::suite::PATIENCE_MS)
            .map_err(|err| format!("connect {port}: {err}"))?;
    }
    let owner = suite.row(first)?.map(|r| r.owner);
    suite.kill(helper)?;
    let left = suite.rows()?.into_iter().filter(|r| Some(r.owner) == owner).count();
    ensure(left == 0, || format!("{left} sockets of the killed task remain"))?;
    for local in locals {
        let got = suite.sockets.recv(local, &mut [0u8; 8]);
        error(got, SockError::ConnectionReset(ResetReason::PeerDied))?;
    }
    // Told of the reset with nothing left to read, netd freed our ends.
    let kept = suite.rows()?.into_iter().filter(|r| locals.contains(&r.port)).count();
    ensure(kept == 0, || format!("{kept} reset sockets were not freed"))
}
