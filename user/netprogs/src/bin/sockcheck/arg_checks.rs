//! Checks that need no peer: bad arguments (`E_INVALID_ARG`, the first check
//! of every call) and ports with no socket (`E_NOTFOUND`). They use the
//! seed's integer API, so they also check its codes.

use alloc::vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::{E_INVALID_ARG, E_NOTFOUND};

use crate::suite::{Suite, code};

pub fn run(suite: &mut Suite) {
    let free = i32::from(suite.port());
    let mut buf = [0u8; 8];
    let too_long = vec![0u8; MAX_MESSAGE_LEN as usize + 1];
    let checks: [(&str, i32, i32); 16] = {
        let mut seed = suite.sockets.seed();
        [
            ("listen(-1): E_INVALID_ARG", seed.listen(-1), E_INVALID_ARG),
            ("listen(65536): E_INVALID_ARG", seed.listen(65_536), E_INVALID_ARG),
            ("connect(-1): E_INVALID_ARG", seed.connect(-1, "localhost"), E_INVALID_ARG),
            ("connect(65536): E_INVALID_ARG", seed.connect(65_536, "localhost"), E_INVALID_ARG),
            ("connect to host example.com: E_INVALID_ARG", seed.connect(free, "example.com"), E_INVALID_ARG),
            ("connect to host \"\": E_INVALID_ARG", seed.connect(free, ""), E_INVALID_ARG),
            ("connect to host \"localhos\" (a prefix): E_INVALID_ARG", seed.connect(free, "localhos"), E_INVALID_ARG),
            ("send on port -1: E_INVALID_ARG", seed.send(-1, &buf, 1), E_INVALID_ARG),
            ("send with len -1: E_INVALID_ARG", seed.send(free, &buf, -1), E_INVALID_ARG),
            ("send of 64 KiB + 1: E_INVALID_ARG", seed.send(free, &too_long, too_long.len() as i32), E_INVALID_ARG),
            ("send with len past the buffer: E_INVALID_ARG", seed.send(free, &buf[..4], 8), E_INVALID_ARG),
            ("recv on port 65536: E_INVALID_ARG", seed.recv(65_536, &mut buf, 8), E_INVALID_ARG),
            ("recv with len 0: E_INVALID_ARG", seed.recv(free, &mut buf, 0), E_INVALID_ARG),
            ("recv with len -5: E_INVALID_ARG", seed.recv(free, &mut buf, -5), E_INVALID_ARG),
            ("disconnect(-1): E_INVALID_ARG", seed.disconnect(-1), E_INVALID_ARG),
            ("disconnect(65536): E_INVALID_ARG", seed.disconnect(65_536), E_INVALID_ARG),
        ]
    };
    for (name, got, want) in checks {
        suite.check(name, code(got, want));
    }
    let checks: [(&str, i32); 4] = {
        let mut seed = suite.sockets.seed();
        [
            ("connect to a port with no socket: E_NOTFOUND", seed.connect(free, "localhost")),
            ("send on a port with no socket: E_NOTFOUND", seed.send(free, b"x", 1)),
            ("recv on a port with no socket: E_NOTFOUND", seed.recv(free, &mut buf, 8)),
            ("disconnect a port with no socket: E_NOTFOUND", seed.disconnect(free)),
        ]
    };
    for (name, got) in checks {
        suite.check(name, code(got, E_NOTFOUND));
    }
}
