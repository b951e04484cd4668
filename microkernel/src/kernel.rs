//! The kernel's state: the task table, the queues, the registry, the
//! interrupt lines and the clock.
//!
//! The kernel runs with interrupts off and never blocks inside a call: a
//! syscall changes task states and returns, and `finish_entry` then picks
//! the frame to resume. So one entry at a time uses [`KERNEL`] (`instance`).
//! Its fields are private: task states change only through the named
//! transitions in `schedule` (who runs), `ipc` (who waits for whom) and
//! `lifecycle` (starting, ending, notifying), each of which keeps the
//! queues in step with the states.

mod cpu;
mod instance;
mod ipc;
mod lifecycle;
mod schedule;
mod task;

pub use instance::{Instance, Unavailable};
pub use task::{RecvWait, State, Task};

use crate::arch::paging::AddressSpace;
use abi::{CostCounters, ExitReason, KernelError, MAX_TASKS, TaskId};
use alloc::boxed::Box;
use alloc::vec::Vec;
use kcore::grants::{IrqGrant, IrqLines, PortRange};
use kcore::ipc::SenderQueues;
use kcore::names::{Registry, RegistryError};
use kcore::sched::RunQueues;
use kcore::task_index::TaskIndex;

/// Timer ticks a task runs before others of its priority get the CPU.
const TIME_SLICE_TICKS: u32 = 10;
const NAME_SLOTS: usize = 32;

pub struct Kernel {
    /// Fixed size, so that looking a slot up checks against a constant.
    tasks: Box<[Option<Box<Task>>; MAX_TASKS]>,
    generations: Vec<u16>,
    run_queues: RunQueues,
    /// Callers in `call`, waiting for their server to `recv`.
    senders: SenderQueues<MAX_TASKS>,
    current: TaskIndex,
    /// Run this task next, ahead of the queues (a server that just got a call).
    handoff: Option<TaskIndex>,
    need_resched: bool,
    slice_left: u32,
    names: Registry<NAME_SLOTS>,
    irq_lines: IrqLines,
    kernel_space_root: AddressSpace,
    now_ns: u64,
    /// Earliest timer deadline of any task, so most ticks scan nothing.
    next_deadline: u64,
    /// What the kernel has done since boot (`counters`).
    counters: CostCounters,
    /// The I/O ports the bitmap lets through now: the running task's.
    open_ports: Option<PortRange>,
    /// Whether `call` and `reply_recv` may take the IPC fast path
    /// (`syscall::fastpath`); the boot option `fastpath=off` clears it.
    fast_path: bool,
}

pub static KERNEL: Instance = Instance::new();

/// Where a task's slot is in the table. The kernel makes task indices only
/// below `MAX_TASKS`, a power of two, so the mask changes nothing; it lets
/// the compiler see that the position is in the table.
#[inline(always)]
fn table_position(index: TaskIndex) -> usize {
    const _: () = assert!(MAX_TASKS.is_power_of_two());
    index.get() & (MAX_TASKS - 1)
}

impl Kernel {
    pub fn new(kernel_space: AddressSpace, idle: Task, fast_path: bool) -> Self {
        let mut tasks: Box<[Option<Box<Task>>; MAX_TASKS]> = Box::new([const { None }; MAX_TASKS]);
        tasks[TaskIndex::IDLE.get()] = Some(Box::new(idle));
        Kernel {
            tasks,
            generations: alloc::vec![0; MAX_TASKS],
            run_queues: RunQueues::new(),
            senders: SenderQueues::new(),
            current: TaskIndex::IDLE,
            handoff: None,
            need_resched: false,
            slice_left: TIME_SLICE_TICKS,
            names: Registry::new(),
            irq_lines: IrqLines::new(),
            kernel_space_root: kernel_space,
            now_ns: 0,
            next_deadline: u64::MAX,
            counters: CostCounters::default(),
            open_ports: None,
            fast_path,
        }
    }

    /// Whether the IPC fast path is on.
    #[inline(always)]
    pub fn fast_path(&self) -> bool {
        self.fast_path
    }

    /// Counts a `reply_recv` the fast path carried.
    #[inline(always)]
    pub fn count_fast_reply(&mut self) {
        self.counters.fast_replies += 1;
    }

    /// Counts a syscall.
    #[inline(always)]
    pub fn count_syscall(&mut self) {
        self.counters.syscalls += 1;
    }

    /// Counts an entry that is not a syscall (an interrupt or exception).
    #[inline(always)]
    pub fn count_other_entry(&mut self) {
        self.counters.entries += 1;
    }

    /// What the kernel has done since boot.
    pub fn counters(&self) -> CostCounters {
        // Syscalls are counted once, as syscalls, to keep their path short.
        CostCounters { entries: self.counters.entries + self.counters.syscalls, ..self.counters }
    }

    #[inline]
    pub fn task(&self, index: TaskIndex) -> &Task {
        self.slot(index).expect("task slot in use")
    }

    #[inline]
    pub fn task_mut(&mut self, index: TaskIndex) -> &mut Task {
        self.tasks[table_position(index)].as_deref_mut().expect("task slot in use")
    }

    /// The task in a slot, if the slot is in use.
    #[inline]
    pub fn slot(&self, index: TaskIndex) -> Option<&Task> {
        self.tasks[table_position(index)].as_deref()
    }

    /// Two different tasks at once (a caller and its server).
    #[inline(always)]
    pub fn pair_mut(&mut self, a: TaskIndex, b: TaskIndex) -> (&mut Task, &mut Task) {
        let positions = [table_position(a), table_position(b)];
        let Ok([first, second]) = self.tasks.get_disjoint_mut(positions) else {
            panic!("a task is never its own peer");
        };
        (first.as_deref_mut().expect("task slot in use"), second.as_deref_mut().expect("task slot in use"))
    }

    /// The slot of the task running this kernel entry.
    #[inline]
    pub fn current_index(&self) -> TaskIndex {
        self.current
    }

    /// The slot of a live task with exactly this id (any state but Dead).
    /// The idle task is not addressable: it cannot be called, killed or
    /// named, so its slot can never be reaped.
    #[inline]
    pub fn resolve(&self, id: TaskId) -> Result<TaskIndex, KernelError> {
        // `TaskId::KERNEL` names slot 0xffff, past the table.
        let index = match TaskIndex::of(id) {
            Some(index) if index != TaskIndex::IDLE => index,
            _ => return Err(KernelError::NoSuchTask),
        };
        match self.slot(index) {
            Some(t) if t.id == id && !t.is_dead() => Ok(index),
            _ => Err(KernelError::PeerDied),
        }
    }

    pub fn live_tasks(&self) -> usize {
        self.tasks.iter().skip(1).flatten().filter(|t| !t.is_dead()).count()
    }

    /// Takes a free slot for a new task; the id carries the slot's next generation.
    pub fn allocate_slot(&mut self, build: impl FnOnce(TaskId) -> Task) -> Option<TaskId> {
        let index = TaskIndex::all().skip(1).find(|i| self.tasks[i.get()].is_none())?;
        let generation = &mut self.generations[index.get()];
        *generation = TaskId::generation_after(*generation);
        let id = index.id(*generation);
        self.tasks[index.get()] = Some(Box::new(build(id)));
        Some(id)
    }

    /// Whether a slot is free for a new task.
    pub fn has_free_slot(&self) -> bool {
        TaskIndex::all().skip(1).any(|i| self.tasks[i.get()].is_none())
    }

    /// An ended task waiting to be reaped, and how it ended.
    pub fn find_dead(&self) -> Option<(TaskIndex, ExitReason)> {
        TaskIndex::all().find_map(|i| match self.slot(i)?.state {
            State::Dead(reason) => Some((i, reason)),
            _ => None,
        })
    }

    /// Frees the slot of a dead task (init's `reap`).
    pub fn release_slot(&mut self, index: TaskIndex) {
        debug_assert!(self.task(index).is_dead());
        self.tasks[index.get()] = None;
    }

    /// Nanoseconds since the scheduler's timer started.
    pub fn now(&self) -> u64 {
        self.now_ns
    }

    pub fn lookup_name(&self, name: &[u8]) -> Option<TaskId> {
        self.names.lookup(name)
    }

    /// Binds a registry name to a live task.
    pub fn bind_name(&mut self, name: &[u8], task: TaskId) -> Result<(), RegistryError> {
        self.names.bind(name, task)
    }

    /// Gives an interrupt line to a live task (it stays masked until the
    /// caller unmasks it).
    pub fn grant_irq(&mut self, grant: IrqGrant, owner: TaskId) {
        self.irq_lines.grant(grant, owner);
    }

    /// The line `caller` acknowledges, if it owns it.
    pub fn acknowledged_irq(&self, irq: u64, caller: TaskId) -> Result<u8, KernelError> {
        self.irq_lines.acknowledged_by(irq, caller)
    }

    /// The owner of an interrupt line and the bits it posts.
    pub fn irq_owner(&self, line: u8) -> Option<(TaskId, u32)> {
        self.irq_lines.owner(line)
    }
}
