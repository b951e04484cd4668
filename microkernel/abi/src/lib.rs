//! The kernel's application binary interface, defined once for both sides.
//!
//! The kernel and every user-space crate import these types, so a syscall
//! number, an error code, the layout of a lease or the registers a call's
//! arguments and results travel in can never disagree between the two.
//! `docs/abi.md` documents each call.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod args;
mod error;
mod ipc;
mod ipc_regs;
mod job;
mod regs;
mod sysnum;
mod task_id;

pub use args::*;
pub use error::{KernelError, check};
pub use ipc::*;
pub use ipc_regs::*;
pub use job::{JOB_FRAME_SHARE, JobId, SYSTEM_RESERVE_FRAMES};
pub use regs::{ArgRegs, Register, ResultRegs, Results};
pub use sysnum::Sysnum;
pub use task_id::TaskId;

/// Size of a page and of a physical frame.
pub const PAGE_SIZE: usize = 4096;

/// User space ends here, one page below the end of the lower canonical half
/// (0x8000_0000_0000); the kernel owns the upper half. The page in between is
/// never mapped: `syscall` in the last two bytes of a mapped page would save
/// the next address as its return address, and returning to a non-canonical
/// one faults in ring 0 on real CPUs.
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;
/// Lowest address a task may map (page zero and the first 4 MiB stay unmapped
/// so that null-pointer dereferences fault).
pub const USER_START: u64 = 0x0000_0000_0040_0000;

/// Where the kernel maps the boot image (read-only) into init.
pub const BOOT_IMAGE_VADDR: u64 = 0x0000_1000_0000_0000;
/// The page into which a task's start arguments are copied.
pub const ARGS_VADDR: u64 = 0x0000_7fff_ff00_0000;
/// Top of the initial user stack (grows down).
pub const STACK_TOP: u64 = 0x0000_7fff_fff0_0000;
/// Size of the initial user stack.
pub const STACK_SIZE: u64 = 128 * 1024;

/// Timer interrupt frequency: one scheduler tick per millisecond.
pub const TICK_HZ: u64 = 1000;

/// Task table size: at most this many tasks exist at once (idle included).
pub const MAX_TASKS: usize = 512;

/// Longest task name the kernel stores.
pub const TASK_NAME_MAX: usize = 16;
/// Longest registry name.
pub const SERVICE_NAME_MAX: usize = 16;

/// Scheduling priorities: 0 is the most urgent. Idle runs below all of them.
pub const PRIORITY_LEVELS: u8 = 4;

/// Longest range one `map`, `unmap` or `task_map` covers: 64 MiB, so that one
/// call (the kernel runs with interrupts off) cannot hold the CPU for long.
pub const MAX_MAP: u64 = 64 << 20;

/// Memory mapping permission bits (`map`, `task_map`).
pub mod map_flags {
    pub const WRITE: u64 = 1 << 0;
    pub const EXEC: u64 = 1 << 1;
}

/// What the `stats` call reports.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    pub free_frames: u64,
    pub used_frames: u64,
    pub tasks: u64,
    /// Frames the caller's job holds.
    pub job_frames: u64,
    /// Most frames a job other than the system job may hold.
    pub job_frame_limit: u64,
}

/// What the kernel has done since boot, as `counters` reports it: the
/// costs that an instruction count (QEMU's icount) hides, for a reader who
/// wants to judge a figure on real hardware.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CostCounters {
    /// Kernel entries of every kind: syscalls, interrupts, CPU exceptions.
    pub entries: u64,
    /// Of those, syscalls.
    pub syscalls: u64,
    /// Times the CPU went from one task to another (the idle task included).
    pub switches: u64,
    /// Address-space switches: writes of CR3.
    pub space_switches: u64,
    /// `call`s the IPC fast path delivered (see `docs/ipc.md`).
    pub fast_calls: u64,
    /// `reply_recv`s the IPC fast path carried.
    pub fast_replies: u64,
}

impl CostCounters {
    /// What happened between `earlier` and `self`, field by field.
    pub fn since(&self, earlier: &CostCounters) -> CostCounters {
        CostCounters {
            entries: self.entries.wrapping_sub(earlier.entries),
            syscalls: self.syscalls.wrapping_sub(earlier.syscalls),
            switches: self.switches.wrapping_sub(earlier.switches),
            space_switches: self.space_switches.wrapping_sub(earlier.space_switches),
            fast_calls: self.fast_calls.wrapping_sub(earlier.fast_calls),
            fast_replies: self.fast_replies.wrapping_sub(earlier.fast_replies),
        }
    }
}

/// One row of the task list (`task_info`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: u32,
    pub state: u32,
    pub priority: u32,
    pub name_len: u32,
    pub name: [u8; TASK_NAME_MAX],
}

/// `TaskInfo::state` values.
pub mod task_state {
    pub const RUNNABLE: u32 = 0;
    pub const SEND_BLOCKED: u32 = 1;
    pub const REPLY_BLOCKED: u32 = 2;
    pub const RECV_BLOCKED: u32 = 3;
    pub const DEAD: u32 = 4;

    pub fn name(state: u32) -> &'static str {
        match state {
            RUNNABLE => "run",
            SEND_BLOCKED => "send",
            REPLY_BLOCKED => "reply",
            RECV_BLOCKED => "recv",
            DEAD => "dead",
            _ => "?",
        }
    }
}

/// How a task ended, as init learns it from `reap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// The task called `exit` with this status.
    Exited(i32),
    /// Init killed it.
    Killed,
    /// A CPU exception ended it.
    Fault(FaultInfo),
}

/// Which CPU exception killed a task, where.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultInfo {
    pub vector: u8,
    /// CR2 for a page fault, else 0.
    pub address: u64,
    pub rip: u64,
    pub error_code: u64,
}

/// Raw layout of an exit record as `reap` writes it to user memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExitRecord {
    pub task: u32,
    /// 0 = exited, 1 = killed, 2 = fault.
    pub kind: u32,
    pub status: i64,
    pub vector: u64,
    pub address: u64,
    pub rip: u64,
    pub error_code: u64,
}

impl ExitRecord {
    pub fn reason(&self) -> ExitReason {
        match self.kind {
            0 => ExitReason::Exited(self.status as i32),
            1 => ExitReason::Killed,
            _ => ExitReason::Fault(FaultInfo {
                vector: self.vector as u8,
                address: self.address,
                rip: self.rip,
                error_code: self.error_code,
            }),
        }
    }

    pub fn new(task: TaskId, reason: ExitReason) -> Self {
        let mut record = ExitRecord { task: task.raw(), ..Default::default() };
        match reason {
            ExitReason::Exited(status) => record.status = status as i64,
            ExitReason::Killed => record.kind = 1,
            ExitReason::Fault(f) => {
                record.kind = 2;
                record.vector = f.vector as u64;
                record.address = f.address;
                record.rip = f.rip;
                record.error_code = f.error_code;
            }
        }
        record
    }
}

// The sizes `docs/abi.md` promises for the structs that cross the boundary
// in memory: a change to any of them is a change of the ABI.
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<TaskId>() == 4);
    assert!(size_of::<JobId>() == 4);
    assert!(size_of::<Lease>() == 24);
    assert!(size_of::<ReplyMessage>() == 24);
    assert!(size_of::<KernelStats>() == 40);
    assert!(size_of::<CostCounters>() == 48);
    assert!(size_of::<TaskInfo>() == 32);
    assert!(size_of::<ExitRecord>() == 48);
};

/// The vector of the fault init injects with `task_fault`: no CPU raises it.
pub const INJECTED_FAULT: u8 = 0xff;

/// Human name of a CPU exception vector, for fault reports.
pub fn exception_name(vector: u8) -> &'static str {
    match vector {
        0 => "divide error",
        1 => "debug",
        2 => "non-maskable interrupt",
        3 => "breakpoint",
        4 => "overflow",
        5 => "bound range exceeded",
        6 => "invalid opcode",
        7 => "device not available",
        8 => "double fault",
        10 => "invalid TSS",
        11 => "segment not present",
        12 => "stack-segment fault",
        13 => "general protection fault",
        14 => "page fault",
        16 => "x87 floating-point error",
        17 => "alignment check",
        18 => "machine check",
        19 => "SIMD floating-point error",
        20 => "virtualization exception",
        21 => "control protection exception",
        INJECTED_FAULT => "injected fault",
        _ => "reserved exception",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_record_round_trip() {
        let id = TaskId::new(7, 3);
        for reason in [
            ExitReason::Exited(-4),
            ExitReason::Killed,
            ExitReason::Fault(FaultInfo { vector: 14, address: 0, rip: 0x401a2c, error_code: 4 }),
        ] {
            let rec = ExitRecord::new(id, reason);
            assert_eq!(rec.reason(), reason);
            assert_eq!(TaskId::from_raw(rec.task), id);
        }
    }

    #[test]
    fn every_vector_has_a_name() {
        assert_eq!(exception_name(14), "page fault");
        assert_eq!(exception_name(0), "divide error");
        assert_eq!(exception_name(200), "reserved exception");
    }
}
