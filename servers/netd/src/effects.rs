//! What the core asks of the kernel. The netd binary implements [`Effects`]
//! with syscalls; host tests use `fake_kernel`.

use abi::{KernelError, LeaseCopyError, TaskId};

/// A lease as `lease_info` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseInfo {
    pub len: u64,
    /// `abi::lease_flags` bits.
    pub flags: u64,
}

/// The kernel calls the core makes. Every lease call names a caller that is
/// still blocked in its call to netd; the kernel refuses the others.
pub trait Effects {
    /// Answers a blocked caller. A caller that died meanwhile is ignored.
    fn reply(&mut self, to: TaskId, code: u32, bytes: &[u8]);

    /// Length and flags of lease `index` of a blocked caller.
    fn lease_info(&mut self, caller: TaskId, index: usize) -> Option<LeaseInfo>;

    /// Copies from a caller's lease into netd; returns the bytes copied.
    fn lease_read(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, KernelError>;

    /// Copies into a caller's lease; returns the bytes copied.
    fn lease_write(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: u64,
        bytes: &[u8],
    ) -> Result<usize, KernelError>;

    /// Copies straight from one caller's lease into another's. An error names
    /// the lease it is about, so the core blames the right caller.
    #[allow(clippy::too_many_arguments)]
    fn lease_copy(
        &mut self,
        src: TaskId,
        src_index: usize,
        src_offset: u64,
        dst: TaskId,
        dst_index: usize,
        dst_offset: u64,
        len: u64,
    ) -> Result<usize, LeaseCopyError>;

    /// Whether this incarnation of the task still runs.
    fn task_alive(&mut self, task: TaskId) -> bool;
}
