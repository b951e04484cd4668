//! The IPC calls in registers: argument types that pack two values into one
//! register where the call needs more than six, and the results a caller
//! and a receiver get back. This file is the only place that packing is
//! written; the kernel, `urt` and the fuzzers all go through these types.

use crate::regs::register_args;
use crate::{ArgRegs, CopySide, JobId, LeaseCopyError, MessageHeader, Received, Register, ResultRegs, Results, TaskId};

/// Low half of a register.
#[inline]
const fn low(raw: u64) -> u32 {
    raw as u32
}

/// High half of a register.
#[inline]
const fn high(raw: u64) -> u32 {
    (raw >> 32) as u32
}

/// Two 32-bit values in one register, `low | high << 32`.
#[inline]
const fn pair(low: u32, high: u32) -> u64 {
    low as u64 | (high as u64) << 32
}

/// `call(dest | op << 32, request, request_len | lease_count << 32, reply,
/// reply_cap, lease_table)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallArgs {
    pub dest: TaskId,
    /// The operation code the server sees.
    pub operation: u32,
    pub request: u64,
    pub request_len: u32,
    pub lease_count: u32,
    pub reply: u64,
    pub reply_cap: u64,
    /// `lease_count` consecutive [`crate::Lease`] structs.
    pub lease_table: u64,
}

impl CallArgs {
    #[inline]
    pub fn to_regs(&self) -> ArgRegs {
        [
            pair(self.dest.raw(), self.operation),
            self.request,
            pair(self.request_len, self.lease_count),
            self.reply,
            self.reply_cap,
            self.lease_table,
        ]
    }

    #[inline]
    pub fn from_regs(regs: ArgRegs) -> Self {
        CallArgs {
            dest: TaskId::from_raw(low(regs[0])),
            operation: high(regs[0]),
            request: regs[1],
            request_len: low(regs[2]),
            lease_count: high(regs[2]),
            reply: regs[3],
            reply_cap: regs[4],
            lease_table: regs[5],
        }
    }
}

/// Names lease `index` of the call `caller` waits in: `caller | index << 32`
/// in one register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseRef {
    pub caller: TaskId,
    pub index: u32,
}

impl Register for LeaseRef {
    #[inline]
    fn from_reg(raw: u64) -> Self {
        LeaseRef { caller: TaskId::from_raw(low(raw)), index: high(raw) }
    }

    #[inline]
    fn to_reg(self) -> u64 {
        pair(self.caller.raw(), self.index)
    }
}

register_args! {
    /// `recv(buf, cap, mask, flags)`.
    pub struct RecvArgs {
        pub buf: u64 = 0,
        /// Values above `MAX_MESSAGE` count as `MAX_MESSAGE`.
        pub cap: u64 = 1,
        /// Notification bits that end the wait.
        pub mask: u32 = 2,
        /// `recv_flags` bits.
        pub flags: u64 = 3,
    }

    /// `reply(caller, code, data, len)`.
    pub struct ReplyArgs {
        pub caller: TaskId = 0,
        pub code: u32 = 1,
        pub data: u64 = 2,
        pub len: u64 = 3,
    }

    /// `lease_read(lease, offset, buf, len)` and `lease_write(...)`.
    pub struct LeaseAccessArgs {
        pub lease: LeaseRef = 0,
        pub offset: u64 = 1,
        /// The server's own buffer.
        pub buf: u64 = 2,
        pub len: u64 = 3,
    }

    /// `lease_copy(src, src_offset, dst, dst_offset, len)`.
    pub struct LeaseCopyArgs {
        pub src: LeaseRef = 0,
        pub src_offset: u64 = 1,
        pub dst: LeaseRef = 2,
        pub dst_offset: u64 = 3,
        pub len: u64 = 4,
    }
}

/// `reply_recv(caller | code << 32, data, len | cap << 32, buf, mask, flags)`:
/// a [`ReplyArgs`] and a [`RecvArgs`] in six registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyRecvArgs {
    pub caller: TaskId,
    pub code: u32,
    pub data: u64,
    pub len: u32,
    pub cap: u32,
    pub buf: u64,
    pub mask: u32,
    pub flags: u64,
}

impl ReplyRecvArgs {
    #[inline]
    pub fn to_regs(&self) -> ArgRegs {
        [
            pair(self.caller.raw(), self.code),
            self.data,
            pair(self.len, self.cap),
            self.buf,
            self.mask as u64,
            self.flags,
        ]
    }

    #[inline]
    pub fn from_regs(regs: ArgRegs) -> Self {
        ReplyRecvArgs {
            caller: TaskId::from_raw(low(regs[0])),
            code: high(regs[0]),
            data: regs[1],
            len: low(regs[2]),
            cap: high(regs[2]),
            buf: regs[3],
            mask: low(regs[4]),
            flags: regs[5],
        }
    }

    /// The reply half.
    #[inline]
    pub fn reply(&self) -> ReplyArgs {
        ReplyArgs { caller: self.caller, code: self.code, data: self.data, len: self.len as u64 }
    }

    /// The receive half.
    #[inline]
    pub fn recv(&self) -> RecvArgs {
        RecvArgs { buf: self.buf, cap: self.cap as u64, mask: self.mask, flags: self.flags }
    }
}

/// `reply2_recv(earlier, caller | code << 32, data, len | cap << 32, buf, mask)`:
/// a reply kept in memory (a [`crate::ReplyMessage`] at `earlier`), a later
/// reply and a receive (without flags) in six registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply2RecvArgs {
    /// Where the earlier reply lies.
    pub earlier: u64,
    pub caller: TaskId,
    pub code: u32,
    pub data: u64,
    pub len: u32,
    pub cap: u32,
    pub buf: u64,
    pub mask: u32,
}

impl Reply2RecvArgs {
    /// The later reply and the receive: `reply_recv`'s arguments without
    /// flags, one register further on.
    #[inline]
    fn later_and_recv(&self) -> ReplyRecvArgs {
        let Reply2RecvArgs { earlier: _, caller, code, data, len, cap, buf, mask } = *self;
        ReplyRecvArgs { caller, code, data, len, cap, buf, mask, flags: 0 }
    }

    #[inline]
    pub fn to_regs(&self) -> ArgRegs {
        let [first, data, lengths, buf, mask, _flags] = self.later_and_recv().to_regs();
        [self.earlier, first, data, lengths, buf, mask]
    }

    #[inline]
    pub fn from_regs(regs: ArgRegs) -> Self {
        let [earlier, first, data, lengths, buf, mask] = regs;
        let ReplyRecvArgs { caller, code, data, len, cap, buf, mask, .. } =
            ReplyRecvArgs::from_regs([first, data, lengths, buf, mask, 0]);
        Reply2RecvArgs { earlier, caller, code, data, len, cap, buf, mask }
    }

    /// The later reply.
    #[inline]
    pub fn later(&self) -> ReplyArgs {
        self.later_and_recv().reply()
    }

    /// The receive.
    #[inline]
    pub fn recv(&self) -> RecvArgs {
        self.later_and_recv().recv()
    }
}

impl From<crate::ReplyMessage> for ReplyArgs {
    #[inline]
    fn from(message: crate::ReplyMessage) -> Self {
        ReplyArgs { caller: TaskId::from_raw(message.caller), code: message.code, data: message.data, len: message.len }
    }
}

/// What `call` returns with `rax` = 0: `rdi` = the reply code, `rsi` = the
/// reply bytes copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallResult {
    /// The server's reply code.
    pub code: u32,
    /// Reply bytes copied into the caller's buffer.
    pub len: usize,
}

impl CallResult {
    #[inline]
    pub fn to_results(&self) -> Results {
        Results::with(0, [self.code as u64, self.len as u64])
    }

    #[inline]
    pub fn from_regs(regs: &ResultRegs) -> Self {
        CallResult { code: regs[0] as u32, len: regs[1] as usize }
    }
}

/// A lease's declared length and `lease_flags`: what `lease_info` returns
/// (`rax`, `rdi`), and what `recv` tells about a message's first lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseInfo {
    pub len: usize,
    /// `lease_flags` bits.
    pub flags: u64,
}

impl LeaseInfo {
    /// `lease_info`'s results.
    #[inline]
    pub fn to_results(&self) -> Results {
        Results::with(self.len as i64, [self.flags])
    }

    /// Decodes `lease_info`'s successful `rax` and result registers.
    #[inline]
    pub fn from_regs(rax: u64, regs: &ResultRegs) -> Self {
        LeaseInfo { len: rax as usize, flags: regs[0] }
    }
}

/// What `recv` and `reply_recv` return with `rax` = 0: a notification
/// (`rdi` = `TaskId::KERNEL`, `rsi` = the bits; nothing else written) or a
/// message (`rdi` = sender, `rsi` = bytes, `rdx` = operation | job << 32,
/// `r8` = lease count, `r9`/`r10` = lease 0's length and flags, 0 without
/// leases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvResult {
    pub received: Received,
    /// For a message with leases, its first one (saves a `lease_info`).
    pub first_lease: Option<LeaseInfo>,
}

impl RecvResult {
    #[inline]
    pub fn notification(bits: u32) -> Self {
        RecvResult { received: Received::Notification(bits), first_lease: None }
    }

    #[inline]
    pub fn to_results(&self) -> Results {
        match self.received {
            Received::Notification(bits) => Results::with(0, [TaskId::KERNEL.raw() as u64, bits as u64]),
            Received::Message(header) => {
                let first = self.first_lease.unwrap_or(LeaseInfo { len: 0, flags: 0 });
                Results::with(
                    0,
                    [
                        header.sender.raw() as u64,
                        header.len as u64,
                        pair(header.operation, header.job.raw()),
                        header.leases as u64,
                        first.len as u64,
                        first.flags,
                    ],
                )
            }
        }
    }

    #[inline]
    pub fn from_regs(regs: &ResultRegs) -> Self {
        let sender = TaskId::from_raw(regs[0] as u32);
        if sender == TaskId::KERNEL {
            return RecvResult::notification(regs[1] as u32);
        }
        let header = MessageHeader {
            sender,
            operation: low(regs[2]),
            job: JobId::new(high(regs[2])),
            len: regs[1] as usize,
            leases: regs[3] as usize,
        };
        let first_lease = (header.leases > 0).then_some(LeaseInfo { len: regs[4] as usize, flags: regs[5] });
        RecvResult { received: Received::Message(header), first_lease }
    }
}

/// `lease_copy`'s results: `rax` = bytes copied and `rdi` = 0, or the error
/// and in `rdi` the side it is about.
#[inline]
pub fn lease_copy_results(outcome: Result<u64, LeaseCopyError>) -> Results {
    match outcome {
        Ok(copied) => Results::with(copied as i64, [0]),
        Err(failed) => Results::with(failed.error.code(), [failed.side.register()]),
    }
}

/// Decodes `lease_copy`'s `rax` and `rdi`: the bytes copied, or the error and
/// its side. (A value of `rdi` that names no side, which this kernel never
/// returns with an error, counts as the source, like `check` turns an unknown
/// code into `BadArgument`.)
#[inline]
pub fn check_lease_copy(rax: i64, rdi: u64) -> Result<u64, LeaseCopyError> {
    crate::check(rax).map_err(|error| {
        let side = if rdi == CopySide::Destination.register() { CopySide::Destination } else { CopySide::Source };
        LeaseCopyError { side, error }
    })
}

#[cfg(test)]
mod tests;
