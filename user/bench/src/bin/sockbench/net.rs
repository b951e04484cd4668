//! The socket calls every sockbench task uses, and connecting to a helper
//! that may not listen yet.

use libsock::{KernelTransport, SockError, Sockets};
use urt::sys;

/// The socket calls of this task: the same library and transport every
/// program uses, so the figures are what programs get.
pub type Net = Sockets<KernelTransport>;

pub fn sockets() -> Net {
    libsock::system()
}

/// How long a task keeps trying to reach a listener that is not there yet.
const CONNECT_PATIENCE_NS: u64 = 5_000_000_000;

/// Connects to `port`, retrying (with a yield) while nobody listens there
/// yet (no socket, or one still connected to an earlier client); returns the
/// local port and how many attempts were refused.
pub fn connect_retrying(net: &mut Net, port: u16) -> Result<(u16, u32), SockError> {
    let deadline = sys::now_ns() + CONNECT_PATIENCE_NS;
    let mut refused = 0;
    loop {
        match net.connect(port, "localhost") {
            Err(SockError::NotFound | SockError::WrongState) if sys::now_ns() < deadline => {
                refused += 1;
                sys::yield_now();
            }
            other => return other.map(|local| (local, refused)),
        }
    }
}
