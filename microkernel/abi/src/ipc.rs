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

/// A reply kept in the server's memory, for `reply2_recv` (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyMessage {
    /// The raw `TaskId` of the caller answered.
    pub caller: u32,
    pub code: u32,
    pub data: u64,
    pub len: u64,
}

impl Lease {
    /// Bytes of one entry in a lease table.
    pub const BYTES: usize = 24;

    /// The entry as it lies in a lease table (`repr(C)`, little-endian).
    #[inline]
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        let mut bytes = [0; Self::BYTES];
        for (chunk, field) in bytes.chunks_exact_mut(8).zip([self.addr, self.len, self.flags]) {
            chunk.copy_from_slice(&field.to_le_bytes());
        }
        bytes
    }

    #[inline]
    pub fn from_bytes(bytes: &[u8; Self::BYTES]) -> Self {
        let field = |i: usize| {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(word)
        };
        Lease { addr: field(0), len: field(1), flags: field(2) }
    }
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
    #[inline]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_table_entry_is_three_little_endian_words() {
        let lease = Lease { addr: 0x1122_3344_5566_7788, len: 24, flags: lease_flags::READ };
        let bytes = lease.to_bytes();
        assert_eq!(bytes[..8], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(bytes[8], 24);
        assert_eq!(bytes[16], 1);
        assert_eq!(Lease::from_bytes(&bytes), lease);
        assert_eq!(Lease::BYTES, core::mem::size_of::<Lease>());
    }
}
