//! What a switch changes besides the task it switches to, borrowed apart
//! from the task table: a fast path that holds both tasks of an exchange
//! switches to one of them without looking it up again.

use super::{Kernel, State, TIME_SLICE_TICKS, Task, table_position};
use crate::arch::{io_ports, trap};
use abi::CostCounters;
use alloc::boxed::Box;
use kcore::grants::PortRange;
use kcore::task_index::TaskIndex;

/// The running task's place and what a switch writes besides the task.
pub struct Cpu<'k> {
    current: &'k mut TaskIndex,
    need_resched: &'k mut bool,
    slice_left: &'k mut u32,
    counters: &'k mut CostCounters,
    open_ports: &'k mut Option<PortRange>,
}

/// The task table, apart from the rest.
type Tasks = [Option<Box<Task>>; abi::MAX_TASKS];

impl Kernel {
    /// The task table and the switch's state, borrowed apart.
    #[inline(always)]
    pub(super) fn tasks_and_cpu(&mut self) -> (&mut Tasks, Cpu<'_>) {
        let cpu = Cpu {
            current: &mut self.current,
            need_resched: &mut self.need_resched,
            slice_left: &mut self.slice_left,
            counters: &mut self.counters,
            open_ports: &mut self.open_ports,
        };
        (&mut self.tasks, cpu)
    }

    /// Two different tasks (the running one and its partner in IPC) and
    /// the switch's state at once.
    #[inline(always)]
    pub fn pair_and_cpu(&mut self, a: TaskIndex, b: TaskIndex) -> (&mut Task, &mut Task, Cpu<'_>) {
        let (tasks, cpu) = self.tasks_and_cpu();
        let Ok([first, second]) = tasks.get_disjoint_mut([table_position(a), table_position(b)]) else {
            panic!("a task is never its own peer");
        };
        (first.as_deref_mut().expect("task slot in use"), second.as_deref_mut().expect("task slot in use"), cpu)
    }
}

impl Cpu<'_> {
    /// Makes `next`, held as `task`, the running task: its I/O ports,
    /// address space, and the frame and FPU area the next entry saves into.
    #[inline(always)]
    pub(super) fn make_current(&mut self, next: TaskIndex, task: &mut Task) {
        // Tested before it is taken: most switches are between tasks
        // without ports, and then nothing is written.
        if self.open_ports.is_some()
            && let Some(ports) = self.open_ports.take()
        {
            io_ports::deny(ports);
        }
        *self.current = next;
        self.counters.switches += 1;
        if let Some(ports) = task.ports {
            io_ports::allow(ports);
            *self.open_ports = Some(ports);
        }
        if !task.space.is_active() {
            task.space.activate();
            self.counters.space_switches += 1;
        }
        // SAFETY: the task's box stays allocated while it is current: a
        // slot is only released by reap, which never targets the running
        // task. (The same task resuming keeps the pointers it has.)
        unsafe { trap::set_current(&mut task.frame, &mut task.fpu) };
    }

    /// [`Kernel::switch_direct`] to `next`, held as `task`.
    #[inline(always)]
    pub fn switch_direct(mut self, next: TaskIndex, task: &mut Task) -> *const trap::TrapFrame {
        debug_assert!(next != *self.current);
        // A reschedule another wake-up asked for changes nothing once the
        // running task has blocked; `choose_next` drops it the same way.
        *self.need_resched = false;
        *self.slice_left = TIME_SLICE_TICKS;
        self.make_current(next, task);
        task.state = State::Runnable;
        &task.frame
    }

    /// Counts a `call` the fast path delivered.
    #[inline(always)]
    pub fn count_fast_call(&mut self) {
        self.counters.fast_calls += 1;
    }
}
