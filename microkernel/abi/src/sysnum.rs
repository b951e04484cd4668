//! Syscall numbers. A task puts the number in `rax` and the arguments in
//! `rdi, rsi, rdx, r10, r8, r9` ([`crate::ArgRegs`]), then executes
//! `syscall`. The kernel answers in `rax` (a result, or a negative
//! [`crate::KernelError`]) and, for calls that return more, in the first of
//! `rdi, rsi, rdx, r8, r9, r10` ([`crate::ResultRegs`]). Each call's argument
//! and result types say which; `docs/abi.md` has one section per call.

macro_rules! sysnums {
    ($($(#[$doc:meta])* $name:ident = $num:expr,)*) => {
        #[repr(u64)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Sysnum {
            $($(#[$doc])* $name = $num,)*
        }

        impl Sysnum {
            pub const ALL: &'static [Sysnum] = &[$(Sysnum::$name,)*];
        }

        impl TryFrom<u64> for Sysnum {
            type Error = crate::KernelError;

            /// An unknown number is an error returned to the task, never a fault.
            fn try_from(raw: u64) -> Result<Self, Self::Error> {
                match raw {
                    $($num => Ok(Sysnum::$name),)*
                    _ => Err(crate::KernelError::NoSuchCall),
                }
            }
        }
    };
}

sysnums! {
    /// `exit(status)`: ends the calling task.
    Exit = 0,
    /// `yield()`: gives up the rest of the time slice.
    Yield = 1,
    /// `log(ptr, len)`: appends a line to the kernel log.
    Log = 2,
    /// `read_log(ptr, len, offset) -> copied; rdi = next offset`: reads the kernel log.
    ReadLog = 3,
    /// `now() -> ns`: nanoseconds since boot.
    Now = 4,
    /// `set_timer(deadline_ns)`: posts `notify::TIMER` once `now()` passes it; 0 cancels.
    SetTimer = 5,
    /// `map(addr, len, flags)`: maps zeroed memory into the caller.
    Map = 6,
    /// `unmap(addr, len)`: unmaps the caller's memory and frees its frames.
    Unmap = 7,
    /// `stats(ptr)`: writes a [`crate::KernelStats`].
    Stats = 8,
    /// `task_info(index, ptr)`: writes the [`crate::TaskInfo`] of a task slot.
    TaskInfo = 9,
    /// `call(dest | op << 32, req, req_len | leases << 32, reply, reply_cap, lease_table)`.
    Call = 10,
    /// `recv(buf, cap, notification_mask, flags)`: next message or notification.
    Recv = 11,
    /// `reply(caller, code, ptr, len)`: answers a caller waiting in `call`.
    Reply = 12,
    /// `lease_read(caller | index << 32, offset, buf, len) -> copied`.
    LeaseRead = 13,
    /// `lease_write(caller | index << 32, offset, buf, len) -> copied`.
    LeaseWrite = 14,
    /// `lease_copy(src | index << 32, src_offset, dst | index << 32, dst_offset, len) -> copied; rdi = 0`,
    /// or on an error the side it is about (`CopySide`).
    LeaseCopy = 15,
    /// `lease_info(caller | index << 32) -> len; rdi = flags`.
    LeaseInfo = 16,
    /// `lookup(name, len) -> task id`: asks the name registry.
    Lookup = 17,
    /// `subscribe_exits()`: asks for `notify::TASK_EXIT` whenever any task ends.
    SubscribeExits = 18,
    /// `task_alive(id) -> 0 | 1`: whether this incarnation still runs.
    TaskAlive = 19,
    /// `task_create(name, len, priority) -> id` (init only).
    TaskCreate = 20,
    /// `task_map(task, vaddr, mem_len, src, src_len, flags)` (init only).
    TaskMap = 21,
    /// `task_start(task, entry, stack_top, arg0, arg1)` (init only).
    TaskStart = 22,
    /// `task_kill(task)` (init only).
    TaskKill = 23,
    /// `reap(ptr)`: writes the [`crate::ExitRecord`] of one ended task (init only).
    Reap = 24,
    /// `bind(name, len, task)`: binds a registry name (init only).
    Bind = 25,
    /// `grant_ports(task, first, count)`: lets a task use I/O ports (init only).
    GrantPorts = 26,
    /// `grant_irq(task, irq, notification_bit)` (init only).
    GrantIrq = 27,
    /// `irq_ack(irq)`: unmasks an IRQ the caller was granted, after handling it.
    IrqAck = 28,
    /// `poweroff()`: ends the machine with status 0 (init only).
    Poweroff = 29,
    /// `reply_recv(caller | code << 32, ptr, len | cap << 32, buf, notification_mask, flags)`:
    /// `reply` then `recv` in one entry (a server's loop).
    ReplyRecv = 30,
    /// `task_fork(task) -> id`: a copy of a task waiting for the caller's reply (init only).
    TaskFork = 31,
    /// `task_fault(task)`: ends a task as faulted, with an injected fault (init only).
    TaskFault = 32,
    /// `post(task, bits)`: posts notification bits of `notify::POSTABLE` to a task.
    Post = 33,
    /// `counters(ptr)`: writes the kernel's [`crate::CostCounters`].
    Counters = 34,
    /// `reply2_recv(earlier: *ReplyMessage, caller | code << 32, ptr, len | cap << 32, buf,
    /// notification_mask)`: two replies, then `recv`, in one entry.
    Reply2Recv = 35,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_unknown_is_an_error() {
        for (i, s) in Sysnum::ALL.iter().enumerate() {
            assert_eq!(*s as u64, i as u64, "numbers are dense");
            assert_eq!(Sysnum::try_from(*s as u64), Ok(*s));
        }
        assert_eq!(Sysnum::try_from(9999), Err(crate::KernelError::NoSuchCall));
    }
}
