//! Task-table slots.

use abi::{MAX_TASKS, TaskId};

/// A slot of the kernel's task table: the index half of a `TaskId`. The
/// kernel's are below `MAX_TASKS`; the queues here take any `u16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskIndex(u16);

impl TaskIndex {
    /// Slot 0, the idle task: never queued, never addressable by an id.
    pub const IDLE: TaskIndex = TaskIndex(0);

    pub const fn new(slot: u16) -> Self {
        TaskIndex(slot)
    }

    /// The slot `id` names, if it is one of the table's.
    #[inline]
    pub const fn of(id: TaskId) -> Option<Self> {
        if id.index() < MAX_TASKS { Some(TaskIndex(id.index() as u16)) } else { None }
    }

    /// A slot number a task passed, if it is one of the table's.
    #[inline]
    pub const fn from_slot(slot: u64) -> Option<Self> {
        if slot < MAX_TASKS as u64 { Some(TaskIndex(slot as u16)) } else { None }
    }

    /// The position in the task table.
    #[inline]
    pub const fn get(self) -> usize {
        self.0 as usize
    }

    /// The id of this slot's task of `generation`.
    #[inline]
    pub const fn id(self, generation: u16) -> TaskId {
        TaskId::new(self.0, generation)
    }

    /// Every slot of the table, idle's first.
    pub fn all() -> impl Iterator<Item = TaskIndex> {
        (0..MAX_TASKS as u16).map(TaskIndex)
    }
}

impl core::fmt::Display for TaskIndex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slots_of_the_table_are_indices() {
        assert_eq!(TaskIndex::of(TaskId::new(5, 9)), Some(TaskIndex::new(5)));
        assert_eq!(TaskIndex::of(TaskId::new(MAX_TASKS as u16, 0)), None);
        assert_eq!(TaskIndex::of(TaskId::KERNEL), None);
        assert_eq!(TaskIndex::from_slot(MAX_TASKS as u64 - 1).map(TaskIndex::get), Some(MAX_TASKS - 1));
        assert_eq!(TaskIndex::from_slot(u64::MAX), None);
        assert_eq!(TaskIndex::new(7).id(3), TaskId::new(7, 3));
        assert_eq!(TaskIndex::all().count(), MAX_TASKS);
    }
}
