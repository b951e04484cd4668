//! The tasks init started: who spawned each, whether it holds the console's
//! foreground, how it ended, and who waits for it.
//!
//! An ended task's record is kept until its parent collects it (`wait`, or
//! `poll` for background children); when the parent is gone, or init itself
//! started the task, nobody can collect it and the record goes at once.

use alloc::string::String;
use alloc::vec::Vec;

use abi::{KernelError, TaskId};
use urt::proto::init::Ended;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: TaskId,
    pub name: String,
    /// Who spawned it; `None` for tasks init started on its own.
    pub parent: Option<TaskId>,
    /// It receives console input.
    pub foreground: bool,
    /// Spawned without the foreground flag: reported by `poll`.
    pub background: bool,
    pub ended: Option<Ended>,
}

#[derive(Debug, Default)]
pub struct Tasks {
    records: Vec<Record>,
    /// (waiting caller, child it waits for).
    waiters: Vec<(TaskId, TaskId)>,
}

impl Tasks {
    pub const fn new() -> Self {
        Tasks { records: Vec::new(), waiters: Vec::new() }
    }

    pub fn add(&mut self, record: Record) {
        self.records.push(record);
    }

    pub fn get(&self, id: TaskId) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }

    fn running(&self, id: TaskId) -> bool {
        self.get(id).is_some_and(|r| r.ended.is_none())
    }

    /// Whether a running task is in the foreground.
    pub fn is_foreground(&self, id: TaskId) -> bool {
        self.get(id).is_some_and(|r| r.ended.is_none() && r.foreground)
    }

    /// Running foreground tasks (to tell a restarted console).
    pub fn foreground(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.records.iter().filter(|r| r.ended.is_none() && r.foreground).map(|r| r.id)
    }

    /// Records that `id` ended; returns the caller waiting for it, which
    /// must now be answered. The record stays for its parent to collect
    /// unless it is answered or nobody can collect it.
    pub fn ended(&mut self, id: TaskId, how: Ended) -> Option<TaskId> {
        // A dead task waits for nothing and collects nothing.
        self.waiters.retain(|&(waiter, _)| waiter != id);
        self.records.retain(|r| !(r.parent == Some(id) && r.ended.is_some()));

        let index = self.records.iter().position(|r| r.id == id)?;
        if let Some(at) = self.waiters.iter().position(|&(_, child)| child == id) {
            let (waiter, _) = self.waiters.swap_remove(at);
            self.records.swap_remove(index);
            return Some(waiter);
        }
        let collectable = self.records[index].parent.is_some_and(|p| self.running(p));
        if collectable {
            self.records[index].ended = Some(how);
        } else {
            self.records.swap_remove(index);
        }
        None
    }

    /// `caller` waits for its child: `Some` if it already ended (the record is
    /// collected), `None` if the answer comes when it ends.
    pub fn wait(&mut self, caller: TaskId, child: TaskId) -> Result<Option<Ended>, KernelError> {
        let index = self
            .records
            .iter()
            .position(|r| r.id == child && r.parent == Some(caller))
            .ok_or(KernelError::NotFound)?;
        if let Some(how) = self.records[index].ended {
            self.records.swap_remove(index);
            return Ok(Some(how));
        }
        if self.waiters.iter().any(|&(_, c)| c == child) {
            return Err(KernelError::BadArgument);
        }
        self.waiters.push((caller, child));
        Ok(None)
    }

    /// Collects the oldest ended background child of `caller`.
    pub fn poll(&mut self, caller: TaskId) -> Option<Record> {
        let index = self
            .records
            .iter()
            .position(|r| r.parent == Some(caller) && r.background && r.ended.is_some())?;
        Some(self.records.remove(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHELL: TaskId = TaskId::new(3, 0);
    const A: TaskId = TaskId::new(4, 0);
    const B: TaskId = TaskId::new(5, 0);
    const C: TaskId = TaskId::new(6, 0);

    fn record(id: TaskId, parent: Option<TaskId>, background: bool) -> Record {
        Record { id, name: "prog".into(), parent, foreground: !background, background, ended: None }
    }

    fn table() -> Tasks {
        let mut t = Tasks::new();
        t.add(record(SHELL, None, false));
        t
    }

    #[test]
    fn a_waiter_is_answered_when_the_child_ends() {
        let mut t = table();
        t.add(record(A, Some(SHELL), false));
        assert_eq!(t.wait(SHELL, A), Ok(None));
        assert_eq!(t.ended(A, Ended::Exited(3)), Some(SHELL));
        assert!(t.get(A).is_none());
        assert_eq!(t.wait(SHELL, A), Err(KernelError::NotFound));
    }

    #[test]
    fn an_ended_child_waits_to_be_collected() {
        let mut t = table();
        t.add(record(A, Some(SHELL), false));
        assert_eq!(t.ended(A, Ended::Killed), None);
        assert!(!t.is_foreground(A));
        assert_eq!(t.wait(SHELL, A), Ok(Some(Ended::Killed)));
        assert!(t.get(A).is_none());
    }

    #[test]
    fn only_the_parent_may_wait() {
        let mut t = table();
        t.add(record(A, Some(SHELL), false));
        t.add(record(B, Some(A), false));
        assert_eq!(t.wait(SHELL, B), Err(KernelError::NotFound));
        assert_eq!(t.wait(A, B), Ok(None));
        assert_eq!(t.wait(A, B), Err(KernelError::BadArgument));
    }

    #[test]
    fn poll_reports_background_children_once_in_order() {
        let mut t = table();
        t.add(record(A, Some(SHELL), true));
        t.add(record(B, Some(SHELL), true));
        t.add(record(C, Some(SHELL), false));
        assert!(t.poll(SHELL).is_none());
        t.ended(B, Ended::Fault);
        t.ended(A, Ended::Exited(0));
        t.ended(C, Ended::Exited(1));
        let first = t.poll(SHELL).unwrap();
        assert_eq!((first.id, first.ended), (A, Some(Ended::Exited(0))));
        assert_eq!(t.poll(SHELL).unwrap().id, B);
        assert!(t.poll(SHELL).is_none(), "foreground children are waited for, not polled");
    }

    #[test]
    fn orphans_and_init_started_tasks_are_dropped_when_they_end() {
        let mut t = table();
        t.add(record(A, Some(SHELL), true));
        t.add(record(B, Some(A), true));
        t.add(record(C, Some(A), true));
        t.ended(C, Ended::Exited(0));
        assert!(t.get(C).is_some());
        t.ended(A, Ended::Exited(0));
        assert!(t.get(C).is_none(), "its parent died before collecting it");
        t.ended(B, Ended::Exited(0));
        assert!(t.get(B).is_none());
        assert_eq!(t.ended(SHELL, Ended::Exited(0)), None);
        assert!(t.get(SHELL).is_none());
    }

    #[test]
    fn a_dead_waiter_is_forgotten() {
        let mut t = table();
        t.add(record(A, Some(SHELL), false));
        t.add(record(B, Some(A), false));
        assert_eq!(t.wait(A, B), Ok(None));
        t.ended(A, Ended::Killed);
        assert_eq!(t.ended(B, Ended::Exited(0)), None);
        assert_eq!(t.foreground().collect::<Vec<_>>(), [SHELL]);
    }
}
