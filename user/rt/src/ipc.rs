//! Synchronous IPC: `call` blocks until the server replies; a server takes
//! calls and notifications with `recv` and answers with `reply`, possibly much
//! later (deferred reply). Bulk data moves through leases: buffers a caller
//! lends for the duration of one call, which the server reads or writes with
//! kernel-checked copies.

use core::marker::PhantomData;

use abi::{
    CallArgs, CallResult, KernelError, Lease, LeaseAccessArgs, LeaseCopyArgs, LeaseCopyError, LeaseRef, Received,
    RecvArgs, RecvResult, Register, ReplyArgs, ReplyRecvArgs, Sysnum, TaskId, check_lease_copy, lease_flags,
    recv_flags,
};

use crate::arch::syscall;
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

/// What a server answered: its reply code and the reply bytes copied.
pub type Reply = CallResult;

/// Sends `request` with operation `op` to `dest` and blocks for the reply.
#[inline]
pub fn call(dest: TaskId, op: u32, request: &[u8], reply: &mut [u8], loans: &[Loan<'_>]) -> Result<Reply, KernelError> {
    let args = CallArgs {
        dest,
        operation: op,
        request: request.as_ptr() as u64,
        // Clamped, so that an oversized request or table is refused, not cut.
        request_len: request.len().min(u32::MAX as usize) as u32,
        lease_count: loans.len().min(u32::MAX as usize) as u32,
        reply: reply.as_mut_ptr() as u64,
        reply_cap: reply.len() as u64,
        lease_table: loans.as_ptr() as u64,
    };
    // SAFETY: request, reply and the lease table are valid for their lengths;
    // `Loan` is a transparent `Lease` and each loan borrows its buffer for the
    // whole call, which does not return before the server is done with it.
    let regs = unsafe { invoke(Sysnum::Call, args.to_regs()) }?;
    Ok(CallResult::from_regs(&regs.results()))
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
    recv_with_flags(buf, mask, flags).map(|incoming| incoming.received)
}

#[inline]
fn recv_with_flags(buf: &mut [u8], mask: u32, flags: u64) -> Result<Incoming, KernelError> {
    let args = RecvArgs { buf: buf.as_mut_ptr() as u64, cap: buf.len() as u64, mask, flags };
    // SAFETY: `buf` is writable for its length.
    let regs = unsafe { invoke(Sysnum::Recv, args.to_regs()) }?;
    Ok(RecvResult::from_regs(&regs.results()))
}

/// The first lease of a received call, as the kernel describes it with the
/// message (what `lease_info(caller, 0)` would return).
pub type FirstLease = abi::LeaseInfo;

/// What a server's receive brought: a notification or a message, and for a
/// message with leases, its first lease.
pub type Incoming = RecvResult;

/// As [`recv`], also describing the message's first lease.
#[inline]
pub fn recv_incoming(buf: &mut [u8], mask: u32) -> Result<Incoming, KernelError> {
    recv_with_flags(buf, mask, 0)
}

/// [`reply`] to `caller`, then [`recv_incoming`], in one kernel entry. If the
/// caller sleeps after the reply and nothing is waiting for us, the caller
/// runs next, without a trip through the scheduler's queues. An error means
/// nothing happened, neither the reply nor the receive (typically
/// `PeerDied`: the caller is gone); a server then simply receives.
#[inline]
pub fn reply_recv(caller: TaskId, code: u32, data: &[u8], buf: &mut [u8], mask: u32) -> Result<Incoming, KernelError> {
    let args = ReplyRecvArgs {
        caller,
        code,
        data: data.as_ptr() as u64,
        // Clamped, so that an oversized `data` is refused rather than cut.
        len: data.len().min(u32::MAX as usize) as u32,
        cap: buf.len().min(abi::MAX_MESSAGE) as u32,
        buf: buf.as_mut_ptr() as u64,
        mask,
        flags: 0,
    };
    // SAFETY: `data` is readable and `buf` writable for their lengths.
    let regs = unsafe { invoke(Sysnum::ReplyRecv, args.to_regs()) }?;
    Ok(RecvResult::from_regs(&regs.results()))
}

/// A reply as a server keeps it for later: to whom, the code, the bytes.
#[derive(Clone, Copy, Debug)]
pub struct ReplyTo<'a> {
    pub caller: TaskId,
    pub code: u32,
    pub data: &'a [u8],
}

/// Two replies, `earlier` then `later`, then [`recv_incoming`], in one
/// kernel entry: `earlier`'s caller is woken as by [`reply`], `later`'s as by
/// [`reply_recv`]. An error means nothing happened, neither reply nor the
/// receive (typically `PeerDied`: one of the callers is gone); a server then
/// sends them one by one.
#[inline]
pub fn reply2_recv(
    earlier: ReplyTo<'_>,
    later: ReplyTo<'_>,
    buf: &mut [u8],
    mask: u32,
) -> Result<Incoming, KernelError> {
    let message = abi::ReplyMessage {
        caller: earlier.caller.raw(),
        code: earlier.code,
        data: earlier.data.as_ptr() as u64,
        len: earlier.data.len() as u64,
    };
    let args = abi::Reply2RecvArgs {
        earlier: &message as *const abi::ReplyMessage as u64,
        caller: later.caller,
        code: later.code,
        data: later.data.as_ptr() as u64,
        // Clamped, so that an oversized reply is refused rather than cut.
        len: later.data.len().min(u32::MAX as usize) as u32,
        cap: buf.len().min(abi::MAX_MESSAGE) as u32,
        buf: buf.as_mut_ptr() as u64,
        mask,
    };
    // SAFETY: `message` (which names `earlier.data`) and `later.data` are
    // readable and `buf` writable for their lengths, for the whole call.
    let regs = unsafe { invoke(Sysnum::Reply2Recv, args.to_regs()) }?;
    Ok(RecvResult::from_regs(&regs.results()))
}

/// Answers `caller` (who must be waiting for our reply) with `code` and `data`.
#[inline]
pub fn reply(caller: TaskId, code: u32, data: &[u8]) -> Result<(), KernelError> {
    let args = ReplyArgs { caller, code, data: data.as_ptr() as u64, len: data.len() as u64 };
    // SAFETY: `data` is readable for its length.
    unsafe { invoke(Sysnum::Reply, args.to_regs()) }.map(|_| ())
}

/// Copies lease `index` of waiting `caller`, from `offset`, into all of `buf`.
#[inline]
pub fn lease_read(caller: TaskId, index: usize, offset: usize, buf: &mut [u8]) -> Result<usize, KernelError> {
    let lease = lease_ref(caller, index);
    let args = LeaseAccessArgs { lease, offset: offset as u64, buf: buf.as_mut_ptr() as u64, len: buf.len() as u64 };
    // SAFETY: `buf` is writable for its length; the caller's side is checked
    // by the kernel.
    let regs = unsafe { invoke(Sysnum::LeaseRead, args.to_regs()) }?;
    Ok(regs.rax as usize)
}

/// Copies all of `data` into lease `index` of waiting `caller` at `offset`.
#[inline]
pub fn lease_write(caller: TaskId, index: usize, offset: usize, data: &[u8]) -> Result<usize, KernelError> {
    let lease = lease_ref(caller, index);
    let args = LeaseAccessArgs { lease, offset: offset as u64, buf: data.as_ptr() as u64, len: data.len() as u64 };
    // SAFETY: `data` is readable for its length.
    let regs = unsafe { invoke(Sysnum::LeaseWrite, args.to_regs()) }?;
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
#[inline]
pub fn lease_copy(src: LeaseAt, dst: LeaseAt, len: usize) -> Result<usize, LeaseCopyError> {
    let args = LeaseCopyArgs {
        src: lease_ref(src.caller, src.index),
        src_offset: src.offset as u64,
        dst: lease_ref(dst.caller, dst.index),
        dst_offset: dst.offset as u64,
        len: len as u64,
    };
    // SAFETY: no pointer into this task's memory.
    let regs = unsafe { syscall(Sysnum::LeaseCopy, args.to_regs()) };
    check_lease_copy(regs.rax, regs.rdi).map(|copied| copied as usize)
}

/// Length and `lease_flags` of lease `index` of waiting `caller`.
pub fn lease_info(caller: TaskId, index: usize) -> Result<(usize, u64), KernelError> {
    let args = [lease_ref(caller, index).to_reg(), 0, 0, 0, 0, 0];
    // SAFETY: no pointer arguments.
    let regs = unsafe { invoke(Sysnum::LeaseInfo, args) }?;
    let info = abi::LeaseInfo::from_regs(regs.rax as u64, &regs.results());
    Ok((info.len, info.flags))
}

/// A lease index beyond `u32` names no lease; it stays out of range rather
/// than wrapping onto a real one.
fn lease_ref(caller: TaskId, index: usize) -> LeaseRef {
    LeaseRef { caller, index: index.min(u32::MAX as usize) as u32 }
}
