//! Starting and ending tasks, notifications, and device grants.

use super::{Kernel, State, Task};
use crate::arch::trap::TrapFrame;
use crate::arch::{io_ports, pic, serial};
use crate::{klog, kprintln, mem};
use abi::{CallResult, ExitReason, KernelError, RecvResult, Results, TaskId};
use alloc::vec::Vec;
use kcore::grants::PortRange;
use kcore::ipc::notification_wakes;
use kcore::task_index::TaskIndex;

impl Kernel {
    /// Starts a created task from `frame`; `BadArgument` if it was started
    /// before.
    pub fn start_task(&mut self, index: TaskIndex, frame: TrapFrame) -> Result<(), KernelError> {
        let task = self.task_mut(index);
        if task.state != State::Created {
            return Err(KernelError::BadArgument);
        }
        task.frame = frame;
        self.make_runnable(index);
        Ok(())
    }

    /// Makes a runnable copy of `source`, which waits in a `call` for the
    /// supervisor: its memory (charged to its job), registers and FPU
    /// state. The copy's `call` returns code 0 with no bytes, which is how a
    /// forked child tells itself from its parent.
    pub fn fork_task(&mut self, source: TaskIndex) -> Result<TaskId, KernelError> {
        let parent = self.task(source);
        let (job, priority, frame, fpu) = (parent.job(), parent.priority(), parent.frame, parent.fpu);
        let mut name = [0u8; abi::TASK_NAME_MAX];
        let name_len = parent.name_bytes().len();
        name[..name_len].copy_from_slice(parent.name_bytes());
        let mut frames = mem::JobFrames(job);
        let space = parent.space().copy_user(&mut frames).ok_or(KernelError::NoMemory)?;
        let mut space = Some(space);
        let child = self.allocate_slot(|id| {
            Task::new(id, &name[..name_len], priority, job, space.take().expect("a slot is built once"))
        });
        let Some(child) = child else {
            if let Some(unused) = space {
                unused.destroy(&mut frames);
            }
            return Err(KernelError::NoMemory);
        };
        let index = TaskIndex::of(child).expect("a fresh id names a slot");
        let task = self.task_mut(index);
        task.frame = frame;
        task.fpu = fpu;
        task.frame.set_results(&CallResult { code: 0, len: 0 }.to_results());
        self.make_runnable(index);
        Ok(child)
    }

    /// Posts notification bits; wakes the task if it waits for any of them.
    pub fn notify(&mut self, index: TaskIndex, bits: u32) {
        let task = self.task_mut(index);
        if task.is_dead() {
            return;
        }
        task.pending |= bits;
        if let Some(delivered) = notification_wakes(&task.state, task.pending) {
            task.pending &= !delivered;
            task.set_results(&RecvResult::notification(delivered).to_results());
            self.make_runnable(index);
        }
    }

    /// Ends a task: wakes everyone waiting on it with PeerDied, frees its
    /// memory, and tells init (and exit subscribers).
    pub fn end_task(&mut self, index: TaskIndex, reason: ExitReason) {
        let (id, old_state) = {
            let task = self.task(index);
            (task.id, task.state)
        };
        if matches!(old_state, State::Dead(_)) {
            return;
        }
        self.run_queues.remove(index);
        if self.handoff == Some(index) {
            self.handoff = None;
        }
        self.senders.remove(index);
        let mut waiters = self.reply_waiters_of(id);
        while let Some(sender) = self.senders.pop_front(index) {
            waiters.push(sender);
        }
        for waiter in waiters {
            self.task_mut(waiter).set_results(&Results::error(KernelError::PeerDied));
            self.make_runnable(waiter);
        }
        if index == self.current
            && let Some(ports) = self.open_ports.take()
        {
            io_ports::deny(ports);
        }
        self.irq_lines.release(id, |line| pic::set_masked(line, true));
        self.names.unbind_task(id);
        let task = self.task_mut(index);
        task.state = State::Dead(reason);
        task.timer_deadline = 0;
        let job = task.job();
        let space = task.take_space_at_end();
        if space.is_active() {
            self.kernel_space_root.activate();
            self.counters.space_switches += 1;
        }
        space.destroy(&mut mem::JobFrames(job));
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

    fn reply_waiters_of(&self, server: TaskId) -> Vec<TaskIndex> {
        TaskIndex::all().filter(|&i| self.slot(i).is_some_and(|t| t.state == State::ReplyBlocked(server))).collect()
    }

    fn announce_exit(&mut self, ended: TaskIndex) {
        let listeners: Vec<TaskIndex> = TaskIndex::all()
            .filter(|&i| {
                self.slot(i)
                    .is_some_and(|t| i != ended && !t.is_dead() && (t.is_supervisor || t.wants_exit_notifications))
            })
            .collect();
        for listener in listeners {
            self.notify(listener, abi::notify::TASK_EXIT);
        }
        if self.task(ended).is_supervisor {
            crate::panic::fatal(format_args!("init ended: {:?}", self.task(ended).state));
        }
    }

    /// Lets `index` use `ports` (replacing an earlier grant).
    pub fn grant_ports(&mut self, index: TaskIndex, ports: PortRange) {
        if serial::among(ports) {
            klog::release_serial();
        }
        // The bitmap holds the running task's grant: swap it now, or the
        // old range would stay open to every task after the next switch.
        if index == self.current {
            if let Some(old) = self.open_ports.take() {
                io_ports::deny(old);
            }
            io_ports::allow(ports);
            self.open_ports = Some(ports);
        }
        self.task_mut(index).ports = Some(ports);
    }
}
