//! The per-task limit: a task may own 64 sockets; beyond that `connect` and
//! `listen` fail with `E_FAIL`, and closing one makes room again. The
//! number to open is measured from what this task already owns.

use alloc::format;
use alloc::vec::Vec;

use libsock::SockError;
use libsock::limits::{MAX_SOCKETS, MAX_SOCKETS_PER_TASK};
use netprogs::net::connect_retrying;

use crate::suite::{PATIENCE_MS, Suite, ensure, error, success};

pub fn run(suite: &mut Suite) {
    suite.drop_all();
    let owned = suite.my_rows().map_or(0, |rows| rows.len());
    let room = MAX_SOCKETS_PER_TASK - owned;
    let total = suite.rows().map_or(0, |rows| rows.len());
    if total + 2 * room + 2 > MAX_SOCKETS {
        suite.check("the per-task limit", Err(format!("the table holds {total} sockets: no room to reach the limit")));
        return;
    }
    let first = suite.ports(room as u16);
    let mut locals = Vec::new();
    let outcome = suite.spawn(&["chain", &format!("{first}"), &format!("{room}")]).and_then(|_| {
        for offset in 0..room as u16 {
            let local = connect_retrying(&mut suite.sockets, first + offset, "localhost", PATIENCE_MS)
                .map_err(|err| format!("connect number {}: {err}", owned + locals.len() + 1))?;
            locals.push(local);
        }
        Ok(())
    });
    suite.check("a task may own 64 sockets", outcome);

    let spare = suite.port();
    let got = suite.spawn_listener(spare).map(|_| suite.sockets.connect(spare, "localhost"));
    suite.check("connect past 64 sockets: E_FAIL", got.and_then(|got| error(got, SockError::Fail)));
    let free = suite.port();
    // With room to spare this listen would block: the limit must answer first.
    let got = suite.sockets.listen(free);
    suite.check("listen past 64 sockets: E_FAIL", error(got, SockError::Fail));

    let outcome = match locals.pop() {
        Some(one) => success(suite.sockets.disconnect(one), "disconnect")
            .and_then(|()| success(suite.sockets.connect(spare, "localhost"), "connect"))
            .map(|local| locals.push(local)),
        None => Err("no socket to close".into()),
    };
    suite.check("closing one socket makes room for the next", outcome);
    suite.kill_helpers();
    suite.drop_all();
    let left = suite.my_rows().map_or(usize::MAX, |rows| rows.len());
    suite.check("after disconnecting all, the task owns no socket", ensure(left == 0, || format!("{left} left")));
}
