//! What the core asks of the kernel while it handles an event: lease copies,
//! liveness and the time. Answers are not among them: they are returned (see
//! [`crate::Handled`]). The netd binary implements [`Effects`] with
//! syscalls; host tests use `fake_kernel`.

use abi::{KernelError, LeaseCopyError, TaskId};
use urt::ipc::LeaseAt;

/// The kernel calls the core makes. Every lease call names a caller that is
/// still blocked in its call to netd; the kernel refuses the others.
pub trait Effects {
    /// Copies from a caller's lease into netd; returns the bytes copied.
    fn lease_read(&mut self, caller: TaskId, index: usize, offset: usize, buf: &mut [u8])
    -> Result<usize, KernelError>;

    /// Copies into a caller's lease; returns the bytes copied.
    fn lease_write(&mut self, caller: TaskId, index: usize, offset: usize, bytes: &[u8]) -> Result<usize, KernelError>;

    /// Copies `len` bytes straight from one caller's lease into another's. An
    /// error names the lease it is about, so the core blames the right caller.
    fn lease_copy(&mut self, from: LeaseAt, to: LeaseAt, len: usize) -> Result<usize, LeaseCopyError>;

    /// Whether this incarnation of the task still runs.
    fn task_alive(&mut self, task: TaskId) -> bool;

    /// The kernel's clock, in ns: asked only by calls that wait with a timeout.
    fn now_ns(&mut self) -> u64;
}
