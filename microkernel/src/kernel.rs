//! The kernel's state and the scheduler's switch: who runs next, and what
//! happens when a task becomes runnable, blocks or ends.
//!
//! The kernel runs with interrupts off and never blocks inside a call: a
//! syscall changes task states and returns, and `finish_entry` then picks
//! the frame to resume. So one lock around [`Kernel`] is never contended.

use crate::arch::paging::AddressSpace;
use crate::arch::{gdt, pic, trap};
use crate::task::{State, Task};
use crate::{klog, kprintln, mem};
use abi::{ExitReason, FaultInfo, KernelError, TaskId, MAX_TASKS};
use alloc::boxed::Box;
use alloc::vec::Vec;
use kcore::grants::{IrqLines, PortRange};
use kcore::names::Registry;
use kcore::ipc::{notification_wakes, SenderQueues};
use kcore::resume;
use kcore::sched::RunQueues;
use spin::Mutex;

pub const IDLE: usize = 0;
/// Timer ticks a task runs before others of its priority get the CPU.
const TIME_SLICE_TICKS: u32 = 10;
const NAME_SLOTS: usize = 32;

pub struct Kernel {
    /// Fixed size, so that looking a slot up checks against a constant.
    pub tasks: Box<[Option<Box<Task>>; MAX_TASKS]>,
    generations: Vec<u16>,
    run_queues: RunQueues,
    /// Callers in `call`, waiting for their server to `recv`.
    pub senders: SenderQueues<MAX_TASKS>,
    pub current: usize,
    /// Run this task next, ahead of the queues (a server that just got a call).
    handoff: Option<usize>,
    need_resched: bool,
    slice_left: u32,
    pub names: Registry<NAME_SLOTS>,
    pub irq_lines: IrqLines,
    pub kernel_space_root: AddressSpace,
    pub now_ns: u64,
    /// Earliest timer deadline of any task, so most ticks scan nothing.
    next_deadline: u64,
}

pub static KERNEL: Mutex<Option<Kernel>> = Mutex::new(None);

impl Kernel {
    pub fn new(kernel_space: AddressSpace, idle: Task) -> Self {
        let mut tasks: Box<[Option<Box<Task>>; MAX_TASKS]> = Box::new([const { None }; MAX_TASKS]);
        tasks[IDLE] = Some(Box::new(idle));
        Kernel {
            tasks,
            generations: alloc::vec![0; MAX_TASKS],
            run_queues: RunQueues::new(),
            senders: SenderQueues::new(),
            current: IDLE,
            handoff: None,
            need_resched: false,
            slice_left: TIME_SLICE_TICKS,
            names: Registry::new(),
            irq_lines: IrqLines::new(),
            kernel_space_root: kernel_space,
            now_ns: 0,
            next_deadline: u64::MAX,
        }
    }

    pub fn task(&self, index: usize) -> &Task {
        self.tasks[index].as_deref().expect("task slot in use")
    }

    pub fn task_mut(&mut self, index: usize) -> &mut Task {
        self.tasks[index].as_deref_mut().expect("task slot in use")
    }

    /// Two different tasks at once (a caller and its server).
    pub fn pair_mut(&mut self, a: usize, b: usize) -> (&mut Task, &mut Task) {
        assert_ne!(a, b, "a task is never its own peer");
        let (low, high) = self.tasks.split_at_mut(a.max(b));
        let (first, second) = (low[a.min(b)].as_deref_mut(), high[0].as_deref_mut());
        let (first, second) = (first.expect("task slot in use"), second.expect("task slot in use"));
        if a < b { (first, second) } else { (second, first) }
    }

    pub fn current(&mut self) -> &mut Task {
        let current = self.current;
        self.task_mut(current)
    }

    /// The slot of a live task with exactly this id (any state but Dead).
    /// The idle task is not addressable: it cannot be called, killed or
    /// named, so its slot can never be reaped.
    pub fn resolve(&self, id: TaskId) -> Result<usize, KernelError> {
        let index = id.index();
        if index == IDLE || index >= MAX_TASKS || id == TaskId::KERNEL {
            return Err(KernelError::NoSuchTask);
        }
        match self.tasks[index].as_deref() {
            Some(t) if t.id == id && !t.is_dead() => Ok(index),
            _ => Err(KernelError::PeerDied),
        }
    }

    pub fn live_tasks(&self) -> usize {
        self.tasks.iter().skip(1).flatten().filter(|t| !t.is_dead()).count()
    }

    /// Takes a free slot for a new task; the id carries the slot's next generation.
    pub fn allocate_slot(&mut self, build: impl FnOnce(TaskId) -> Task) -> Option<TaskId> {
        let index = (1..MAX_TASKS).find(|&i| self.tasks[i].is_none())?;
        self.generations[index] = self.generations[index].wrapping_add(1);
        let id = TaskId::new(index as u16, self.generations[index]);
        self.tasks[index] = Some(Box::new(build(id)));
        Some(id)
    }

    /// Frees the slot of a dead task (init's `reap`).
    pub fn release_slot(&mut self, index: usize) {
        self.tasks[index] = None;
    }

    pub fn make_runnable(&mut self, index: usize) {
        let priority = {
            let task = self.task_mut(index);
            task.state = State::Runnable;
            task.priority
        };
        if index == self.current {
            return;
        }
        if self.run_queues.push_back(index as u16, priority).is_err() {
            panic!("run queue rejected task {index}");
        }
        if self.current == IDLE || priority < self.task(self.current).priority {
            self.need_resched = true;
        }
    }

    /// Runs `index` right after this entry (it was made runnable by a call
    /// the current task is now blocked in).
    pub fn hand_off_to(&mut self, index: usize) {
        self.task_mut(index).state = State::Runnable;
        self.handoff = Some(index);
    }

    /// The current task just blocked after waking `index` (a server that
    /// replied, then found nothing to receive): `index` runs next, on the
    /// server's time, without passing through the queues, unless a task of
    /// its priority or a more urgent one is already waiting there. Tasks
    /// woken earlier (by earlier replies) so still run first, in order.
    pub fn run_woken_next(&mut self, index: usize) {
        let priority = self.task(index).priority;
        match self.run_queues.highest_priority() {
            Some(waiting) if waiting <= priority => self.make_runnable(index),
            _ => self.hand_off_to(index),
        }
    }

    pub fn yield_current(&mut self) {
        self.need_resched = true;
    }

    /// Posts notification bits; wakes the task if it waits for any of them.
    pub fn notify(&mut self, index: usize, bits: u32) {
        let task = self.task_mut(index);
        if task.is_dead() {
            return;
        }
        task.pending |= bits;
        if let Some(delivered) = notification_wakes(&task.state, task.pending) {
            task.pending &= !delivered;
            task.frame.set_results(&abi::RecvResult::notification(delivered).to_results());
            self.make_runnable(index);
        }
    }

    /// Ends a task: wakes everyone waiting on it with PeerDied, frees its
    /// memory, and tells init (and exit subscribers).
    pub fn end_task(&mut self, index: usize, reason: ExitReason) {
        let (id, old_state) = {
            let task = self.task(index);
            (task.id, task.state)
        };
        if matches!(old_state, State::Dead(_)) {
            return;
        }
        self.run_queues.remove(index as u16);
        if self.handoff == Some(index) {
            self.handoff = None;
        }
        self.senders.remove(index);
        let mut waiters = self.reply_waiters_of(id);
        while let Some(sender) = self.senders.pop_front(index) {
            waiters.push(sender);
        }
        for waiter in waiters {
            self.task_mut(waiter).frame.set_results(&abi::Results::error(KernelError::PeerDied));
            self.make_runnable(waiter);
        }
        if let Some(ports) = self.task(index).ports {
            if index == self.current {
                gdt::set_io_access(ports.first(), ports.count(), false);
            }
        }
        self.irq_lines.release(id, |line| pic::set_masked(line, true));
        self.names.unbind_task(id.raw());
        let task = self.task_mut(index);
        task.state = State::Dead(reason);
        task.timer_deadline = 0;
        let job = task.job;
        if let Some(space) = task.space.take() {
            if space.is_active() {
                self.kernel_space_root.activate();
            }
            space.destroy(&mut mem::JobFrames(job));
        }
        if let ExitReason::Fault(f) = reason {
            kprintln!(
                "task {} ({}) {} at {:#x}, rip {:#x}, killed",
                index,
                self.task(index).name(),
                abi::exception_name(f.vector),
                f.address,
                f.rip
            );
        }
        if index == self.current {
            self.need_resched = true;
        }
        self.announce_exit(index);
    }

    fn reply_waiters_of(&self, server: TaskId) -> Vec<usize> {
        self.tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_deref().filter(|t| t.state == State::ReplyBlocked(server)).map(|_| i))
            .collect()
    }

    fn announce_exit(&mut self, ended: usize) {
        let listeners: Vec<usize> = self
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let t = t.as_deref()?;
                (i != ended && !t.is_dead() && (t.is_supervisor || t.wants_exit_notifications)).then_some(i)
            })
            .collect();
        for listener in listeners {
            self.notify(listener, abi::notify::TASK_EXIT);
        }
        if self.task(ended).is_supervisor {
            crate::panic::fatal(format_args!("init ended: {:?}", self.task(ended).state));
        }
    }

    /// One timer tick: time, timers, time slices.
    pub fn tick(&mut self) {
        self.now_ns += 1_000_000_000 / abi::TICK_HZ;
        if self.now_ns >= self.next_deadline {
            self.fire_timers();
        }
        if self.current != IDLE {
            self.slice_left = self.slice_left.saturating_sub(1);
            if self.slice_left == 0 {
                self.need_resched = true;
            }
        }
    }

    pub fn set_timer(&mut self, index: usize, deadline: u64) {
        self.task_mut(index).timer_deadline = deadline;
        if deadline != 0 {
            self.next_deadline = self.next_deadline.min(deadline);
        }
    }

    fn fire_timers(&mut self) {
        let now = self.now_ns;
        let mut next = u64::MAX;
        for index in 0..MAX_TASKS {
            let Some(task) = self.tasks[index].as_deref_mut() else { continue };
            match task.timer_deadline {
                0 => {}
                d if d <= now => {
                    task.timer_deadline = 0;
                    self.notify(index, abi::notify::TIMER);
                }
                d => next = next.min(d),
            }
        }
        self.next_deadline = next;
    }

    /// Picks the task to resume at the end of this kernel entry and makes
    /// its address space, FPU area and I/O ports current. A task whose saved
    /// `rip` or `rsp` is not canonical is never handed to `iretq` (which
    /// would fault in ring 0): it ends with the fault it stands for, and
    /// another task is picked.
    pub fn finish_entry(&mut self) -> *const trap::TrapFrame {
        loop {
            let next = self.switch_to_next();
            let frame = &self.task(next).frame;
            let unresumable = if frame.from_user() { resume::unresumable(frame.rip, frame.rsp) } else { None };
            let Some(vector) = unresumable else {
                return &self.task(next).frame;
            };
            let fault = FaultInfo { vector, address: 0, rip: frame.rip, error_code: 0 };
            self.end_task(next, ExitReason::Fault(fault));
        }
    }

    /// Chooses the task to run next and switches to it; returns its slot.
    fn switch_to_next(&mut self) -> usize {
        let previous = self.current;
        let still_runnable = self.task(previous).state == State::Runnable;
        let next = if let Some(next) = self.handoff.take() {
            if still_runnable && previous != IDLE {
                self.requeue(previous);
            }
            next
        } else if still_runnable && !self.need_resched {
            previous
        } else {
            if still_runnable && previous != IDLE {
                self.requeue(previous);
            }
            self.run_queues.pop().map(usize::from).unwrap_or(IDLE)
        };
        self.need_resched = false;
        if next != previous {
            self.slice_left = TIME_SLICE_TICKS;
            self.switch(previous, next);
            let task = self.task_mut(next);
            // SAFETY: the task's box stays allocated while it is current: a
            // slot is only released by reap, which never targets the running
            // task. (The same task resuming keeps the pointers it has.)
            unsafe { trap::set_current(&mut task.frame, &mut task.fpu) };
        }
        next
    }

    fn requeue(&mut self, index: usize) {
        let priority = self.task(index).priority;
        if self.run_queues.push_back(index as u16, priority).is_err() {
            panic!("run queue rejected task {index}");
        }
    }

    fn switch(&mut self, previous: usize, next: usize) {
        if let Some(Some(prev)) = self.tasks.get(previous).map(|t| t.as_deref()) {
            if let Some(ports) = prev.ports {
                gdt::set_io_access(ports.first(), ports.count(), false);
            }
        }
        let next_task = self.task(next);
        if let Some(ports) = next_task.ports {
            gdt::set_io_access(ports.first(), ports.count(), true);
        }
        if let Some(space) = &next_task.space {
            if !space.is_active() {
                space.activate();
            }
        }
        self.current = next;
    }

    pub fn grant_ports(&mut self, index: usize, ports: PortRange) {
        const COM1: u16 = 0x3f8;
        if ports.overlaps(COM1, 8) {
            klog::release_serial();
        }
        // The bitmap holds the running task's grant: swap it now, or the
        // old range would stay open to every task after the next switch.
        if index == self.current {
            if let Some(old) = self.task(index).ports {
                gdt::set_io_access(old.first(), old.count(), false);
            }
            gdt::set_io_access(ports.first(), ports.count(), true);
        }
        self.task_mut(index).ports = Some(ports);
    }
}
