//! The tasks init started: who spawned each, which job it belongs to, how it
//! ended, and who waits for it; and which job holds the console.
//!
//! A **job** is a program the shell starts together with every task it
//! starts, at any depth. Each job may have at most [`JOB_TASKS_MAX`] tasks
//! that are running or ended but not yet collected, so no program can take
//! the task slots, or init's memory, that another job needs.
//!
//! An ended task's record is kept until its parent collects it (`wait` for
//! it, `wait_any`, or `poll` for background children); when the parent is
//! gone, or init itself started the task, nobody can collect it and the
//! record goes at once.
//! The table never grows past [`RECORDS_MAX`]: it is allocated whole when
//! init starts, so a spawn is refused with `NoMemory` rather than making
//! init allocate when memory may be gone.

use alloc::vec::Vec;

use abi::{JobId, KernelError, MAX_TASKS, TASK_NAME_MAX, TaskId};
use urt::proto::init::Ended;

/// Tasks one job may have at once, running or awaiting collection.
pub const JOB_TASKS_MAX: usize = 160;
/// Task slots no job but the system job may take: init, the console, netd
/// and the shell can always restart, and the shell start a program to stop
/// the others, however many tasks other jobs hold.
pub const SYSTEM_TASK_RESERVE: usize = 32;
/// Running tasks all jobs but the system job may have together.
pub const USER_TASKS_MAX: usize = MAX_TASKS - 1 - SYSTEM_TASK_RESERVE;
/// Records init keeps at most: every task slot, and as many ended tasks
/// awaiting collection.
pub const RECORDS_MAX: usize = 2 * MAX_TASKS;

/// A task name as the kernel stores it, kept without the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; TASK_NAME_MAX],
    len: u8,
}

impl Name {
    /// The name cut to `TASK_NAME_MAX` bytes on a character boundary.
    pub fn new(name: &str) -> Self {
        let mut len = name.len().min(TASK_NAME_MAX);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0u8; TASK_NAME_MAX];
        bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
        Name { bytes, len: len as u8 }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("?")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: TaskId,
    pub name: Name,
    /// Who spawned it; `None` for tasks init started on its own.
    pub parent: Option<TaskId>,
    pub job: JobId,
    /// The task the shell started to make this job: when it ends, the job
    /// no longer holds the console.
    pub leads_job: bool,
    /// Spawned without the foreground flag: reported by `poll`.
    pub background: bool,
    pub ended: Option<Ended>,
}

/// What init must do after a task ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AfterEnd {
    /// The caller waiting for this task, to be answered now.
    pub waiter: Option<TaskId>,
    /// The waiter waits for any of its children (`wait_any`): its answer
    /// names the child.
    pub any_child: bool,
    /// The foreground job lost its leader: the console goes back to the
    /// system job (the shell), and the job's other tasks lose their input.
    pub console_back: bool,
    /// The ended task was a background child kept for this parent's
    /// `poll`: the parent may want to hear of it now.
    pub to_poll: Option<TaskId>,
}

/// What a waiting parent waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaited {
    Child(TaskId),
    AnyChild,
}

#[derive(Debug)]
pub struct Tasks {
    records: Vec<Record>,
    /// (waiting caller, what it waits for); at most one per record.
    waiters: Vec<(TaskId, Awaited)>,
    /// The job whose tasks read the console.
    foreground: JobId,
    /// The number the next new job gets (never the system job's).
    next_job: u32,
}

impl Default for Tasks {
    fn default() -> Self {
        Self::new()
    }
}

impl Tasks {
    /// An empty table with all the room it will ever use.
    pub fn new() -> Self {
        Tasks {
            records: Vec::with_capacity(RECORDS_MAX),
            waiters: Vec::with_capacity(RECORDS_MAX),
            foreground: JobId::SYSTEM,
            next_job: 1,
        }
    }

    pub fn get(&self, id: TaskId) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }

    /// The job of a task init knows.
    pub fn job_of(&self, id: TaskId) -> Option<JobId> {
        self.get(id).map(|r| r.job)
    }

    /// The job whose tasks read the console.
    pub fn foreground(&self) -> JobId {
        self.foreground
    }

    pub fn set_foreground(&mut self, job: JobId) {
        self.foreground = job;
    }

    /// A number for a new job, not used by any task init knows.
    pub fn new_job(&mut self) -> JobId {
        loop {
            let job = JobId::new(self.next_job);
            self.next_job = self.next_job.checked_add(1).unwrap_or(1);
            if !self.records.iter().any(|r| r.job == job) {
                return job;
            }
        }
    }

    /// Tasks of `job` running or awaiting collection.
    pub fn job_tasks(&self, job: JobId) -> usize {
        self.records.iter().filter(|r| r.job == job).count()
    }

    /// Writes the running tasks of `job` into `out`; returns how many. A job
    /// other than the system job never has more than [`JOB_TASKS_MAX`].
    pub fn running_in(&self, job: JobId, out: &mut [TaskId]) -> usize {
        let running = self.records.iter().filter(|r| r.job == job && r.ended.is_none());
        let mut count = 0;
        for (slot, record) in out.iter_mut().zip(running) {
            *slot = record.id;
            count += 1;
        }
        count
    }

    /// Whether one more task of `job` may be started: within the job's
    /// quota (the system job has none) and the table's room.
    pub fn admit(&self, job: JobId) -> Result<(), KernelError> {
        let over_quota = !job.is_system()
            && (self.job_tasks(job) >= JOB_TASKS_MAX || self.running_outside_system() >= USER_TASKS_MAX);
        if over_quota || self.records.len() >= RECORDS_MAX {
            return Err(KernelError::NoMemory);
        }
        Ok(())
    }

    /// Running tasks of every job but the system job: each holds a kernel
    /// task slot.
    fn running_outside_system(&self) -> usize {
        self.records.iter().filter(|r| !r.job.is_system() && r.ended.is_none()).count()
    }

    /// Records a started task. Fails only when [`Tasks::admit`] would have.
    pub fn add(&mut self, record: Record) -> Result<(), KernelError> {
        if self.records.len() >= RECORDS_MAX {
            return Err(KernelError::NoMemory);
        }
        self.records.push(record);
        Ok(())
    }

    fn running(&self, id: TaskId) -> bool {
        self.get(id).is_some_and(|r| r.ended.is_none())
    }

    /// Records that `id` ended and says what init must do about it. The
    /// record stays for its parent to collect unless it is answered or
    /// nobody can collect it.
    pub fn ended(&mut self, id: TaskId, how: Ended) -> AfterEnd {
        // A dead task waits for nothing and collects nothing; its running
        // children are nobody's now, so that a later task given the same id
        // (ids repeat after many reuses of a slot) never inherits them.
        self.waiters.retain(|&(waiter, _)| waiter != id);
        self.records.retain(|r| !(r.parent == Some(id) && r.ended.is_some()));
        for orphan in self.records.iter_mut().filter(|r| r.parent == Some(id)) {
            orphan.parent = None;
        }

        let Some(index) = self.records.iter().position(|r| r.id == id) else {
            return AfterEnd::default();
        };
        let record = self.records[index];
        let console_back = record.leads_job && record.job == self.foreground && !record.job.is_system();
        if console_back {
            self.foreground = JobId::SYSTEM;
        }
        let waiter = self.waiters.iter().position(|&(waiter, awaited)| {
            awaited == Awaited::Child(id) || (awaited == Awaited::AnyChild && record.parent == Some(waiter))
        });
        if let Some(at) = waiter {
            let (waiter, awaited) = self.waiters.swap_remove(at);
            self.records.swap_remove(index);
            return AfterEnd {
                waiter: Some(waiter),
                any_child: awaited == Awaited::AnyChild,
                console_back,
                to_poll: None,
            };
        }
        let collectable = record.parent.is_some_and(|p| self.running(p));
        if collectable {
            self.records[index].ended = Some(how);
        } else {
            self.records.swap_remove(index);
        }
        let to_poll = record.parent.filter(|_| collectable && record.background);
        AfterEnd { waiter: None, any_child: false, console_back, to_poll }
    }

    /// `caller` waits for its child: `Some` if it already ended (the record is
    /// collected), `None` if the answer comes when it ends.
    pub fn wait(&mut self, caller: TaskId, child: TaskId) -> Result<Option<Ended>, KernelError> {
        let index =
            self.records.iter().position(|r| r.id == child && r.parent == Some(caller)).ok_or(KernelError::NotFound)?;
        if let Some(how) = self.records[index].ended {
            self.records.swap_remove(index);
            return Ok(Some(how));
        }
        if self.waiters.iter().any(|&(_, awaited)| awaited == Awaited::Child(child)) {
            return Err(KernelError::BadArgument);
        }
        self.add_waiter(caller, Awaited::Child(child))?;
        Ok(None)
    }

    /// `caller` waits for any of its children: `Some` with the first that
    /// already ended (its record is collected), `None` if the answer comes
    /// when one ends; `NotFound` if it has no children.
    pub fn wait_any(&mut self, caller: TaskId) -> Result<Option<(TaskId, Ended)>, KernelError> {
        if let Some(index) = self.records.iter().position(|r| r.parent == Some(caller) && r.ended.is_some()) {
            let record = self.records.remove(index);
            return Ok(record.ended.map(|how| (record.id, how)));
        }
        if !self.records.iter().any(|r| r.parent == Some(caller)) {
            return Err(KernelError::NotFound);
        }
        if self.waiters.iter().any(|&(waiter, _)| waiter == caller) {
            return Err(KernelError::BadArgument);
        }
        self.add_waiter(caller, Awaited::AnyChild)?;
        Ok(None)
    }

    fn add_waiter(&mut self, caller: TaskId, awaited: Awaited) -> Result<(), KernelError> {
        // Room for one waiter per record was reserved at start.
        if self.waiters.len() >= self.waiters.capacity() {
            return Err(KernelError::NoMemory);
        }
        self.waiters.push((caller, awaited));
        Ok(())
    }

    /// Whether `ancestor` started `task`, or started a task that did, at any
    /// depth (as far as init still has records of the tasks between).
    pub fn is_descendant(&self, task: TaskId, ancestor: TaskId) -> bool {
        let mut current = task;
        // Every step moves to another record, so the chain is no longer than the table.
        for _ in 0..self.records.len() {
            match self.get(current).and_then(|r| r.parent) {
                Some(parent) if parent == ancestor => return true,
                Some(parent) => current = parent,
                None => return false,
            }
        }
        false
    }

    /// Collects the oldest ended background child of `caller`.
    pub fn poll(&mut self, caller: TaskId) -> Option<Record> {
        let index = self.records.iter().position(|r| r.parent == Some(caller) && r.background && r.ended.is_some())?;
        Some(self.records.remove(index))
    }
}

#[cfg(test)]
mod tests;
