//! Argument types of the calls outside IPC, one register per field. Calls
//! with a single argument take it as is (`exit`'s status, a task id, an
//! address); `docs/abi.md` names each register.

use crate::TaskId;
use crate::regs::register_args;

register_args! {
    /// `log(text, len)`, `lookup(name, len)`: a byte string in the caller.
    pub struct BytesArgs {
        pub addr: u64 = 0,
        pub len: u64 = 1,
    }

    /// `read_log(buf, cap, offset)`.
    pub struct ReadLogArgs {
        pub buf: u64 = 0,
        pub cap: u64 = 1,
        /// Absolute byte offset in the log (bytes since boot).
        pub offset: u64 = 2,
    }

    /// `map(addr, len, flags)`.
    pub struct MapArgs {
        pub addr: u64 = 0,
        pub len: u64 = 1,
        /// `map_flags` bits.
        pub flags: u64 = 2,
    }

    /// `unmap(addr, len)`.
    pub struct UnmapArgs {
        pub addr: u64 = 0,
        pub len: u64 = 1,
    }

    /// `task_info(index, info)`.
    pub struct TaskInfoArgs {
        /// A task-table slot (any value: the kernel range-checks it).
        pub index: u64 = 0,
        /// Where the `TaskInfo` goes.
        pub info: u64 = 1,
    }

    /// `task_create(name, len, priority, job)`.
    pub struct TaskCreateArgs {
        pub name: u64 = 0,
        pub name_len: u64 = 1,
        /// Checked whole against `PRIORITY_LEVELS`.
        pub priority: u64 = 2,
        /// A `JobId`; values above `u32::MAX` are refused, not cut.
        pub job: u64 = 3,
    }

    /// `task_map(task, vaddr, mem_len, src, src_len, flags)`.
    pub struct TaskMapArgs {
        pub task: TaskId = 0,
        pub vaddr: u64 = 1,
        pub mem_len: u64 = 2,
        /// Bytes in init copied to the start of the new memory.
        pub src: u64 = 3,
        pub src_len: u64 = 4,
        /// `map_flags` bits.
        pub flags: u64 = 5,
    }

    /// `task_start(task, entry, stack_top, arg0, arg1)`.
    pub struct TaskStartArgs {
        pub task: TaskId = 0,
        pub entry: u64 = 1,
        pub stack_top: u64 = 2,
        /// The task's first `rdi`.
        pub arg0: u64 = 3,
        /// The task's first `rsi`.
        pub arg1: u64 = 4,
    }

    /// `bind(name, len, task)`.
    pub struct BindArgs {
        pub name: u64 = 0,
        pub name_len: u64 = 1,
        pub task: TaskId = 2,
    }

    /// `grant_ports(task, first, count)`.
    pub struct GrantPortsArgs {
        pub task: TaskId = 0,
        pub first: u64 = 1,
        pub count: u64 = 2,
    }

    /// `post(task, bits)`.
    pub struct PostArgs {
        pub task: TaskId = 0,
        /// Bits within `notify::POSTABLE`.
        pub bits: u64 = 1,
    }

    /// `grant_irq(task, irq, bit)`.
    pub struct GrantIrqArgs {
        pub task: TaskId = 0,
        /// Legacy interrupt line.
        pub irq: u64 = 1,
        /// Notification bit the interrupt posts.
        pub bit: u64 = 2,
    }
}

/// `read_log`'s results: bytes copied in `rax`, the next offset in `rdi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLogResult {
    pub copied: usize,
    /// The offset to read from next.
    pub next: u64,
}

impl ReadLogResult {
    #[inline]
    pub fn to_results(&self) -> crate::Results {
        crate::Results::with(self.copied as i64, [self.next])
    }

    /// Decodes a successful call's `rax` and result registers.
    #[inline]
    pub fn from_regs(rax: u64, regs: &crate::ResultRegs) -> Self {
        ReadLogResult { copied: rax as usize, next: regs[0] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_take_their_registers_in_order() {
        let map = MapArgs { addr: 0x40_0000, len: 8192, flags: 3 };
        assert_eq!(map.to_regs(), [0x40_0000, 8192, 3, 0, 0, 0]);
        assert_eq!(MapArgs::from_regs(map.to_regs()), map);
        let start = TaskStartArgs { task: TaskId::new(4, 2), entry: 1, stack_top: 2, arg0: 3, arg1: 4 };
        assert_eq!(start.to_regs(), [TaskId::new(4, 2).raw() as u64, 1, 2, 3, 4, 0]);
        assert_eq!(TaskStartArgs::from_regs(start.to_regs()), start);
    }

    #[test]
    fn a_task_id_argument_is_the_low_32_bits() {
        let regs = [7 | 0xffff_0000_0000_0000, 0x2000, 1, 0, 0, 0];
        assert_eq!(GrantPortsArgs::from_regs(regs).task, TaskId::from_raw(7));
    }

    #[test]
    fn read_log_results_round_trip() {
        let result = ReadLogResult { copied: 12, next: 4000 };
        let (rax, regs) = result.to_results().applied_to([0; 6]);
        assert_eq!(ReadLogResult::from_regs(rax as u64, &regs), result);
    }
}
