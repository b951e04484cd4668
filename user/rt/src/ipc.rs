//! Synchronous IPC: `call` blocks until the server replies; a server takes
//! calls and notifications with `recv` and answers with `reply`, possibly much
//! later (deferred reply). Bulk data moves through leases: buffers a caller
//! lends for the duration of one call, which the server reads or writes with
//! kernel-checked copies.

use core::marker::PhantomData;

use abi::{
    check_lease_copy, lease_flags, lease_ref, recv_flags, JobId, KernelError, Lease, LeaseCopyError, MessageHeader, Received,
    Sysnum, TaskId,
};

use crate::arch::{syscall, Regs};
use crate::sys::invoke;

/// A buffer lent to the server of one call. It borrows the buffer for as long
/// as the loan exists, and `call` blocks until the reply, so the server can
/// never touch memory Rust has given to someone else.
#[repr(transparent)]
#[derive(Debug)]
pub struct Loan<'a> {
    lease: Lease,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl<'a> Loan<'a> {
    /// The server may read `buf`.
    pub fn read(buf: &'a [u8]) -> Self {
        Self::new(buf.as_ptr() as u64, buf.len(), lease_flags::READ)
    }

    /// The server may write `buf`.
    pub fn write(buf: &'a mut [u8]) -> Self {
        Self::new(buf.as_mut_ptr() as u64, buf.len(), lease_flags::WRITE)
    }

    /// The server may read and write `buf`.
    pub fn read_write(buf: &'a mut [u8]) -> Self {
        Self::new(buf.as_mut_ptr() as u64, buf.len(), lease_flags::READ | lease_flags::WRITE)
    }

    /// Two leases of the same bytes, READ then WRITE, for a server that
    /// copies within `buf` from one lease to the other (`lease_copy`, which
    /// moves overlapping ranges like `memmove`).
    pub fn read_and_write(buf: &'a mut [u8]) -> [Self; 2] {
        let (addr, len) = (buf.as_mut_ptr() as u64, buf.len());
        [Self::new(addr, len, lease_flags::READ), Self::new(addr, len, lease_flags::WRITE)]
    }

    fn new(addr: u64, len: usize, flags: u64) -> Self {
        Loan { lease: Lease { addr, len: len as u64, flags }, _borrow: PhantomData }
    }
}

/// What a server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The server's reply code.
    pub code: u32,
    /// Reply bytes copied into the caller's buffer.
    pub len: usize,
}

/// Sends `request` with operation `op` to `dest` and blocks for the reply.
pub fn call(
    dest: TaskId,
    op: u32,
    request: &[u8],
    reply: &mut [u8],
    loans: &[Loan<'_>],
) -> Result<Reply, KernelError> {
    let args = [
        dest.raw() as u64 | (op as u64) << 32,
        request.as_ptr() as u64,
        request.len() as u64 | (loans.len() as u64) << 32,
        reply.as_mut_ptr() as u64,
        reply.len() as u64,
        loans.as_ptr() as u64,
    ];
    // SAFETY: request, reply and the lease table are valid for their lengths;
    // `Loan` is a transparent `Lease` and each loan borrows its buffer for the
    // whole call, which does not return before the server is done with it.
    let regs = unsafe { invoke(Sysnum::Call, args) }?;
    Ok(Reply { code: regs.rdi as u32, len: regs.rsi as usize })
}

/// Waits for a message (into `buf`) or for a notification bit in `mask`.
pub fn recv(buf: &mut [u8], mask: u32) -> Result<Received, KernelError> {
    recv_with(buf, mask, 0)
}

/// Waits for notification bits in `mask` only; messages stay queued.
pub fn recv_notifications(mask: u32) -> Result<u32, KernelError> {
    match recv_with(&mut [], mask, recv_flags::NOTIFICATIONS_ONLY)? {
        Received::Notification(bits) => Ok(bits),
        // The kernel never delivers a message with NOTIFICATIONS_ONLY.
        Received::Message(_) => Err(KernelError::BadArgument),
    }
}

fn recv_with(buf: &mut [u8], mask: u32, flags: u64) -> Result<Received, KernelError> {
    let args = [buf.as_mut_ptr() as u64, buf.len() as u64, mask as u64, flags, 0, 0];
    // SAFETY: `buf` is writable for its length.
    let regs = unsafe { invoke(Sysnum::Recv, args) }?;
    Ok(incoming(&regs).received)
}

/// The first lease of a received call, as the kernel describes it with the
/// message (what `lease_info(caller, 0)` would return).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstLease {
    pub len: usize,
    /// `abi::lease_flags` bits.
    pub flags: u64,
}

/// What a server's receive brought: a notification or a message, and for a
/// message with leases, its first lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incoming {
    pub received: Received,
    pub first_lease: Option<FirstLease>,
}

fn incoming(regs: &Regs) -> Incoming {
    let sender = TaskId::from_raw(regs.rdi as u32);
    if sender == TaskId::KERNEL {
        return Incoming { received: Received::Notification(regs.rsi as u32), first_lease: None };
    }
    let header = MessageHeader {
        sender,
        operation: regs.rdx as u32,
        job: JobId::new((regs.rdx >> 32) as u32),
        len: regs.rsi as usize,
        leases: regs.r8 as usize,
    };
    let first_lease = (header.leases > 0).then_some(FirstLease { len: regs.r9 as usize, flags: regs.r10 });
    Incoming { received: Received::Message(header), first_lease }
}

/// As [`recv`], also describing the message's first lease.
pub fn recv_incoming(buf: &mut [u8], mask: u32) -> Result<Incoming, KernelError> {
    let args = [buf.as_mut_ptr() as u64, buf.len() as u64, mask as u64, 0, 0, 0];
    // SAFETY: `buf` is writable for its length.
    let regs = unsafe { invoke(Sysnum::Recv, args) }?;
    Ok(incoming(&regs))
}

/// [`reply`] to `caller`, then [`recv_incoming`], in one kernel entry. If the
/// caller sleeps after the reply and nothing is waiting for us, the caller
/// runs next, without a trip through the scheduler's queues. An error means
/// nothing happened, neither the reply nor the receive (typically
/// `PeerDied`: the caller is gone); a server then simply receives.
pub fn reply_recv(caller: TaskId, code: u32, data: &[u8], buf: &mut [u8], mask: u32) -> Result<Incoming, KernelError> {
    let args = [
        caller.raw() as u64 | (code as u64) << 32,
        data.as_ptr() as u64,
        // Clamped, so that an oversized `data` is refused rather than cut and
        // the capacity never spills into the length.
        data.len().min(u32::MAX as usize) as u64 | (buf.len().min(abi::MAX_MESSAGE) as u64) << 32,
        buf.as_mut_ptr() as u64,
        mask as u64,
        0,
    ];
    // SAFETY: `data` is readable and `buf` writable for their lengths.
    let regs = unsafe { invoke(Sysnum::ReplyRecv, args) }?;
    Ok(incoming(&regs))
}

/// Answers `caller` (who must be waiting for our reply) with `code` and `data`.
pub fn reply(caller: TaskId, code: u32, data: &[u8]) -> Result<(), KernelError> {
    let args = [caller.raw() as u64, code as u64, data.as_ptr() as u64, data.len() as u64, 0, 0];
    // SAFETY: `data` is readable for its length.
    unsafe { invoke(Sysnum::Reply, args) }.map(|_| ())
}

/// Copies lease `index` of waiting `caller`, from `offset`, into all of `buf`.
pub fn lease_read(caller: TaskId, index: usize, offset: usize, buf: &mut [u8]) -> Result<usize, KernelError> {
    let args = [lease_ref(caller, index), offset as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0];
    // SAFETY: `buf` is writable for its length; the caller's side is checked
    // by the kernel.
    let regs = unsafe { invoke(Sysnum::LeaseRead, args) }?;
    Ok(regs.rax as usize)
}

/// Copies all of `data` into lease `index` of waiting `caller` at `offset`.
pub fn lease_write(caller: TaskId, index: usize, offset: usize, data: &[u8]) -> Result<usize, KernelError> {
    let args = [lease_ref(caller, index), offset as u64, data.as_ptr() as u64, data.len() as u64, 0, 0];
    // SAFETY: `data` is readable for its length.
    let regs = unsafe { invoke(Sysnum::LeaseWrite, args) }?;
    Ok(regs.rax as usize)
}

/// One end of a lease-to-lease copy: a waiting caller, its lease index, an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseAt {
    pub caller: TaskId,
    pub index: usize,
    pub offset: usize,
}

/// Copies `len` bytes straight from one caller's READ lease into another's
/// WRITE lease, without passing through this task's memory. An error says
/// which lease it is about, so a server can tell whose buffer failed.
pub fn lease_copy(src: LeaseAt, dst: LeaseAt, len: usize) -> Result<usize, LeaseCopyError> {
    let args = [
        lease_ref(src.caller, src.index),
        src.offset as u64,
        lease_ref(dst.caller, dst.index),
        dst.offset as u64,
        len as u64,
        0,
    ];
    // SAFETY: no pointer into this task's memory.
    let regs = unsafe { syscall(Sysnum::LeaseCopy, args) };
    check_lease_copy(regs.rax, regs.rdi).map(|copied| copied as usize)
}

/// Length and `lease_flags` of lease `index` of waiting `caller`.
pub fn lease_info(caller: TaskId, index: usize) -> Result<(usize, u64), KernelError> {
    // SAFETY: no pointer arguments.
    let regs = unsafe { invoke(Sysnum::LeaseInfo, [lease_ref(caller, index), 0, 0, 0, 0, 0]) }?;
    Ok((regs.rax as usize, regs.rdi))
}
