//! Who runs: tasks becoming runnable, hand-offs, time slices, timers, and
//! the switch at the end of every kernel entry. The rules themselves are
//! `kcore::next_task`'s.

use super::{Kernel, State, TIME_SLICE_TICKS};
use crate::arch::trap;
use abi::{ExitReason, FaultInfo};
use kcore::next_task::{Outgoing, choose_next, preempts, woken_runs_next};
use kcore::task_index::TaskIndex;

impl Kernel {
    /// `index` can run: it joins its level's queue (unless it is the task
    /// running now), and takes the CPU at the end of this entry if it is
    /// more urgent than the running task.
    pub fn make_runnable(&mut self, index: TaskIndex) {
        if index == self.current {
            self.mark_runnable(index);
            return;
        }
        let priority = self.enqueue(index);
        let running = (self.current != TaskIndex::IDLE).then(|| self.task(self.current).priority);
        if preempts(priority, running) {
            self.need_resched = true;
        }
    }

    /// Runs `index` right after this entry (it was made runnable by a call
    /// the current task is now blocked in).
    #[inline]
    pub fn hand_off_to(&mut self, index: TaskIndex) {
        self.task_mut(index).state = State::Runnable;
        self.handoff = Some(index);
    }

    /// The current task just blocked after waking `index` (a server that
    /// replied, then found nothing to receive): `index` runs next, on the
    /// server's time, without passing through the queues, unless a task of
    /// its priority or a more urgent one is already waiting there. Tasks
    /// woken earlier (by earlier replies) so still run first, in order.
    #[inline]
    pub fn run_woken_next(&mut self, index: TaskIndex) {
        if woken_runs_next(self.run_queues.highest_priority(), self.task(index).priority) {
            self.hand_off_to(index);
        } else {
            self.make_runnable(index);
        }
    }

    /// The most urgent priority a task waits with in the run queues.
    #[inline]
    pub fn most_urgent_queued(&self) -> Option<u8> {
        self.run_queues.highest_priority()
    }

    /// Whether a blocked task's saved registers can be resumed as they are
    /// (else `finish_entry` ends it with the fault they stand for).
    #[inline(always)]
    pub fn resumable(&self, index: TaskIndex) -> bool {
        self.task(index).resumable()
    }

    /// The running task just blocked, making `next` (its partner in IPC)
    /// runnable: `next` runs now, and this returns the frame to resume.
    /// This is what `finish_entry` does with `next` as the hand-off, without
    /// the queues: a blocked task is not queued, the hand-off goes first,
    /// and nothing else was asked of the scheduler in an entry that takes
    /// this way but the wake-ups before it. `next` must be [`Kernel::resumable`].
    #[inline(always)]
    pub fn switch_direct(&mut self, next: TaskIndex) -> *const trap::TrapFrame {
        let previous = self.current;
        debug_assert!(self.handoff.is_none());
        debug_assert!(self.task(previous).state != State::Runnable && next != previous);
        let (tasks, cpu) = self.tasks_and_cpu();
        let task = tasks[super::table_position(next)].as_deref_mut().expect("task slot in use");
        cpu.switch_direct(next, task)
    }

    /// The task at the head of the run queues (the one `finish_entry`
    /// would take from them), if its saved registers can be resumed.
    #[inline(always)]
    pub fn resumable_queue_head(&self) -> Option<TaskIndex> {
        let head = self.run_queues.peek()?;
        if self.resumable(head) { Some(head) } else { None }
    }

    /// The running task just blocked after waking `woken`, which does not
    /// run next: `woken` joins its queue and the head of the queues runs
    /// now. This is `make_runnable` then `finish_entry` for a blocked task
    /// (a blocked task is not queued, and a reschedule it may ask for is
    /// what happens anyway); the head must be [`Kernel::resumable`] and not
    /// less urgent than `woken`.
    #[inline]
    pub fn queue_and_switch(&mut self, woken: TaskIndex) -> *const trap::TrapFrame {
        debug_assert!(woken != self.current);
        let priority = self.mark_runnable(woken);
        let Ok(next) = self.run_queues.push_back_then_pop(woken, priority) else {
            panic!("run queue rejected task {woken}");
        };
        self.switch_direct(next)
    }

    /// The running task just blocked after waking `queued` and `next`:
    /// `queued` joins its queue and `next` runs now. This is `make_runnable`
    /// for both, then `finish_entry` for a blocked task, when `next` would
    /// head the queues (nothing as urgent waits there, and `queued` is not
    /// more urgent); `next` must be [`Kernel::resumable`].
    #[inline]
    pub fn queue_and_run(&mut self, queued: TaskIndex, next: TaskIndex) -> *const trap::TrapFrame {
        debug_assert!(queued != next && queued != self.current);
        self.enqueue(queued);
        self.switch_direct(next)
    }

    /// `index` may run; returns its priority.
    #[inline(always)]
    fn mark_runnable(&mut self, index: TaskIndex) -> u8 {
        let task = self.task_mut(index);
        task.state = State::Runnable;
        task.priority
    }

    /// `index`, not the running task, may run and joins its level's queue;
    /// returns its priority. A task is queued at most once and a level
    /// holds every task, so the queues never refuse it.
    #[inline(always)]
    fn enqueue(&mut self, index: TaskIndex) -> u8 {
        let priority = self.mark_runnable(index);
        if self.run_queues.push_back(index, priority).is_err() {
            panic!("run queue rejected task {index}");
        }
        priority
    }

    /// The running task just blocked and woke nobody: the head of the run
    /// queues runs now. This is `finish_entry` for a blocked task without a
    /// hand-off; a task must wait in the queues, and the head must be
    /// [`Kernel::resumable`].
    #[inline]
    pub fn switch_to_queue_head(&mut self) -> *const trap::TrapFrame {
        let next = self.run_queues.pop().expect("a task waits in the run queues");
        self.switch_direct(next)
    }

    /// The current task gives up the rest of its time slice.
    pub fn yield_current(&mut self) {
        self.need_resched = true;
    }

    /// One timer tick: time, timers, time slices.
    pub fn tick(&mut self) {
        self.now_ns += 1_000_000_000 / abi::TICK_HZ;
        if self.now_ns >= self.next_deadline {
            self.fire_timers();
        }
        if self.current != TaskIndex::IDLE {
            self.slice_left = self.slice_left.saturating_sub(1);
            if self.slice_left == 0 {
                self.need_resched = true;
            }
        }
    }

    /// Posts `notify::TIMER` to `index` once the clock passes `deadline`
    /// (0 cancels).
    pub fn set_timer(&mut self, index: TaskIndex, deadline: u64) {
        self.task_mut(index).timer_deadline = deadline;
        if deadline != 0 {
            self.next_deadline = self.next_deadline.min(deadline);
        }
    }

    fn fire_timers(&mut self) {
        let now = self.now_ns;
        let mut next = u64::MAX;
        for index in TaskIndex::all() {
            let Some(task) = self.tasks[index.get()].as_deref_mut() else { continue };
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
    #[inline(always)]
    pub fn finish_entry(&mut self) -> *const trap::TrapFrame {
        // The most common end: the running task goes on. This is
        // `choose_next`'s first rule, without its bookkeeping.
        if self.handoff.is_none() && !self.need_resched {
            let task = self.task(self.current);
            if task.state == State::Runnable && task.resumable() {
                return &task.frame;
            }
        }
        self.choose_and_switch()
    }

    /// The general end of an entry: the scheduler's choice.
    #[inline(never)]
    fn choose_and_switch(&mut self) -> *const trap::TrapFrame {
        loop {
            let next = self.switch_to_next();
            let Some(vector) = self.task(next).unresumable() else {
                return &self.task(next).frame;
            };
            let (rip, _) = self.task(next).frame.resume_point();
            let fault = FaultInfo { vector, address: 0, rip, error_code: 0 };
            self.end_task(next, ExitReason::Fault(fault));
        }
    }

    /// Chooses the task to run next and switches to it; returns its slot.
    #[inline]
    fn switch_to_next(&mut self) -> TaskIndex {
        let previous = self.current;
        let outgoing = Outgoing { index: previous, runnable: self.task(previous).state == State::Runnable };
        let handoff = self.handoff.take();
        let tasks = &self.tasks;
        let priority =
            |index: TaskIndex| tasks[super::table_position(index)].as_deref().expect("task slot in use").priority;
        let Ok(next) = choose_next(&mut self.run_queues, outgoing, handoff, self.need_resched, priority) else {
            panic!("run queue rejected task {previous}");
        };
        self.need_resched = false;
        if next != previous {
            self.slice_left = TIME_SLICE_TICKS;
            self.switch(next);
        }
        next
    }

    /// Makes `next` the running task: its I/O ports, address space, and
    /// the frame and FPU area the next entry saves into. Returns the task.
    #[inline(never)]
    fn switch(&mut self, next: TaskIndex) -> &mut super::Task {
        self.switch_inline(next)
    }

    /// [`Kernel::switch`], inlined into the fast path's switches.
    #[inline(always)]
    fn switch_inline(&mut self, next: TaskIndex) -> &mut super::Task {
        let (tasks, mut cpu) = self.tasks_and_cpu();
        let task = tasks[super::table_position(next)].as_deref_mut().expect("task slot in use");
        cpu.make_current(next, task);
        task
    }
}
