//! The IPC message header, leases and notification bits.

use crate::{JobId, KernelError, TaskId};

/// Largest request or reply copied through the kernel. Bulk data travels in
/// leases instead.
pub const MAX_MESSAGE: usize = 256;
/// Most leases one call may carry.
pub const MAX_LEASES: usize = 4;
/// Longest lease (and so the longest single lease copy): 1 MiB.
pub const MAX_LEASE_LEN: u64 = 1 << 20;

/// A buffer lent by a caller for the duration of one call.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lease {
    pub addr: u64,
    pub len: u64,
    pub flags: u64,
}

/// `Lease::flags` bits.
pub mod lease_flags {
    /// The server may read the buffer.
    pub const READ: u64 = 1 << 0;
    /// The server may write the buffer.
    pub const WRITE: u64 = 1 << 1;
}

/// Which end of a `lease_copy` an error is about. The kernel returns it in
/// `rdi` with every result: 0 on success, else the side whose caller, lease
/// index, right, bounds or memory made the copy fail.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopySide {
    /// The source lease (read from).
    Source = 1,
    /// The destination lease (written to).
    Destination = 2,
}

impl CopySide {
    /// The value of `rdi` that names this side.
    pub const fn register(self) -> u64 {
        self as u64
    }
}

/// A failed `lease_copy`: the error, and the lease it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseCopyError {
    pub side: CopySide,
    pub error: KernelError,
}

/// Decodes `lease_copy`'s `rax` and `rdi`: the bytes copied, or the error and
/// its side. (A value of `rdi` that names no side, which this kernel never
/// returns with an error, counts as the source, like `check` turns an unknown
/// code into `BadArgument`.)
pub fn check_lease_copy(rax: i64, rdi: u64) -> Result<u64, LeaseCopyError> {
    crate::check(rax).map_err(|error| {
        let side = if rdi == CopySide::Destination.register() { CopySide::Destination } else { CopySide::Source };
        LeaseCopyError { side, error }
    })
}

/// Notification bits a task receives in `recv`.
pub mod notify {
    /// The deadline set with `set_timer` passed.
    pub const TIMER: u32 = 1 << 0;
    /// Some task ended (for tasks that called `subscribe_exits`, and init).
    pub const TASK_EXIT: u32 = 1 << 1;
    /// Bits 2..7: any task may post them to any other with `post`; their
    /// meaning is agreed between the tasks, and a receiver treats one as a
    /// hint to look again, never as proof.
    pub const POSTABLE: u32 = 0xfc;
    /// Bits from here up are free for interrupts (`grant_irq`).
    pub const FIRST_IRQ_BIT: u32 = 8;
}

/// `recv` flag bits.
pub mod recv_flags {
    /// Take only notifications; leave messages queued (used by `sleep`).
    pub const NOTIFICATIONS_ONLY: u64 = 1 << 0;
}

/// What `recv` delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A call: `len` bytes in the buffer, from `sender`, who now waits for a reply.
    Message(MessageHeader),
    /// Notification bits that were pending and in the mask (now cleared).
    Notification(u32),
}

/// The kernel-stamped header of a received call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageHeader {
    /// Stamped by the kernel: a task cannot pretend to be another.
    pub sender: TaskId,
    /// The sender's job, stamped by the kernel like `sender`.
    pub job: JobId,
    /// The operation code the caller chose (`call`'s `op`).
    pub operation: u32,
    /// Bytes of the request copied into the buffer.
    pub len: usize,
    /// Leases the caller attached.
    pub leases: usize,
}

/// Packs a task id with a lease index into one register.
pub const fn lease_ref(task: TaskId, index: usize) -> u64 {
    task.raw() as u64 | ((index as u64) << 32)
}

/// Splits [`lease_ref`].
pub const fn split_lease_ref(raw: u64) -> (TaskId, u64) {
    (TaskId::from_raw(raw as u32), raw >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_refs_round_trip() {
        let id = TaskId::new(3, 9);
        assert_eq!(split_lease_ref(lease_ref(id, 2)), (id, 2));
    }

    #[test]
    fn lease_copy_results_name_the_failing_side() {
        assert_eq!(check_lease_copy(4096, 0), Ok(4096));
        let bad = KernelError::BadAddress;
        for side in [CopySide::Source, CopySide::Destination] {
            assert_eq!(check_lease_copy(bad.code(), side.register()), Err(LeaseCopyError { side, error: bad }));
        }
    }
}
