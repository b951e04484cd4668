//! libsock over the kernel: the [`Transport`] every sockbench task uses.

use abi::{KernelError, TaskId};
use libsock::{LeaseBuf, SockError, Sockets, Transport};
use urt::ipc::{Loan, call};
use urt::sys;

/// Registry name of the socket server.
const NETD: &str = "netd";

/// The socket calls of this task.
pub type Net = Sockets<Syscalls>;

pub fn sockets() -> Net {
    Sockets::new(Syscalls)
}

/// Socket calls made with the real syscalls.
pub struct Syscalls;

impl Transport for Syscalls {
    fn lookup_netd(&mut self) -> Option<TaskId> {
        sys::lookup(NETD).ok()
    }

    fn call(
        &mut self,
        dest: TaskId,
        operation: u32,
        request: &[u8],
        reply: &mut [u8],
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<(u32, usize), KernelError> {
        // libsock lends at most one buffer per call, so no table is built
        // (nor allocated) on the measured path.
        let answer = match leases {
            [] => call(dest, operation, request, reply, &[]),
            [LeaseBuf::Read(bytes)] => call(dest, operation, request, reply, &[Loan::read(bytes)]),
            [LeaseBuf::Write(bytes)] => {
                call(dest, operation, request, reply, &[Loan::write(bytes)])
            }
            _ => Err(KernelError::BadArgument),
        }?;
        Ok((answer.code, answer.len))
    }

    fn now_ms(&mut self) -> u64 {
        sys::now_ns() / urt::time::NS_PER_MS
    }

    fn sleep_ms(&mut self, ms: u64) {
        let _ = urt::sleep(ms);
    }
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
