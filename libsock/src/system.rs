//! The [`Transport`] of a real task: the kernel's name registry, IPC `call`
//! with leases, its clock and its timer, through the user runtime.
//!
//! [`system`] gives a ready [`Sockets`] for a program. A kernel `PeerDied`
//! from `call` is passed on unchanged; [`Sockets`] turns it into a reset with
//! reason `NetdRestarted`.

use abi::{KernelError, MAX_LEASES, TaskId};
use urt::ipc::{self, Loan};

use crate::client::{LeaseBuf, Sockets, Transport};

/// Registry name under which init binds netd.
pub const NETD_NAME: &str = "netd";

const NS_PER_MS: u64 = 1_000_000;

/// The socket calls of the running task.
pub fn system() -> Sockets<KernelTransport> {
    Sockets::new(KernelTransport)
}

/// Lends one buffer for the length of a call.
fn loan<'a>(lease: &'a mut LeaseBuf<'_>) -> Loan<'a> {
    match lease {
        LeaseBuf::Read(bytes) => Loan::read(bytes),
        LeaseBuf::Write(bytes) => Loan::write(bytes),
        LeaseBuf::ReadWrite(bytes) => Loan::read_write(bytes),
    }
}

/// Reaches netd through the kernel's syscalls.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelTransport;

impl Transport for KernelTransport {
    fn lookup_netd(&mut self) -> Option<TaskId> {
        urt::sys::lookup(NETD_NAME).ok()
    }

    #[inline]
    fn call(
        &mut self,
        dest: TaskId,
        operation: u32,
        request: &[u8],
        reply: &mut [u8],
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<(u32, usize), KernelError> {
        // The five calls lend at most one buffer: those shapes build no
        // table on the hot path.
        let answer = match leases {
            [] => ipc::call(dest, operation, request, reply, &[]),
            [only] => ipc::call(dest, operation, request, reply, &[loan(only)]),
            _ if leases.len() > MAX_LEASES => return Err(KernelError::BadArgument),
            _ => {
                let count = leases.len();
                let mut loans: [Loan<'_>; MAX_LEASES] = core::array::from_fn(|_| Loan::read(&[]));
                for (slot, lease) in loans.iter_mut().zip(leases.iter_mut()) {
                    *slot = loan(lease);
                }
                ipc::call(dest, operation, request, reply, &loans[..count])
            }
        }?;
        Ok((answer.code, answer.len.min(reply.len())))
    }

    fn now_ms(&mut self) -> u64 {
        urt::now_ns() / NS_PER_MS
    }

    fn watch_console(&mut self, netd: TaskId) -> Result<bool, KernelError> {
        urt::io::watch_input(netd, crate::proto::CONSOLE_SIGNAL)
    }

    fn sleep_ms(&mut self, ms: u64) {
        // The timer fails only if the kernel refuses it; yielding keeps the
        // caller's polling loop from spinning hot in that case.
        if urt::sleep(ms).is_err() {
            urt::sys::yield_now();
        }
    }
}
