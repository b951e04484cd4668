//! Task identifiers: a table index plus a generation.

/// Names one incarnation of a task. The index picks a slot in the kernel's
/// task table; the generation goes up each time that slot is reused, so an
/// id kept after its task died is detectably stale and can never reach the
/// slot's next occupant. Generations stay below 2^15, so the raw id of a
/// task is always a positive C `int` (a C program's process id).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u32);

impl TaskId {
    /// The kernel itself, as the sender of notifications.
    pub const KERNEL: TaskId = TaskId(u32::MAX);

    pub const fn new(index: u16, generation: u16) -> Self {
        TaskId(((generation as u32) << 16) | index as u32)
    }

    pub const fn index(self) -> usize {
        (self.0 & 0xffff) as usize
    }

    pub const fn generation(self) -> u16 {
        (self.0 >> 16) as u16
    }

    pub const fn raw(self) -> u32 {
        self.0
    }

    pub const fn from_raw(raw: u32) -> Self {
        TaskId(raw)
    }

    /// Highest generation; the next one after it is 0 again.
    pub const MAX_GENERATION: u16 = 0x7fff;

    /// The generation a slot gets when it is reused after `generation`.
    pub const fn generation_after(generation: u16) -> u16 {
        generation.wrapping_add(1) & Self::MAX_GENERATION
    }

    /// The id the same slot gets when it is reused.
    pub const fn next_generation(self) -> Self {
        TaskId::new(self.index() as u16, Self::generation_after(self.generation()))
    }
}

impl core::fmt::Display for TaskId {
    /// Tasks are shown by index alone; the generation only guards staleness.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_index_and_generation() {
        let id = TaskId::new(513, 7);
        assert_eq!(id.index(), 513);
        assert_eq!(id.generation(), 7);
        assert_eq!(TaskId::from_raw(id.raw()), id);
        let next = id.next_generation();
        assert_eq!(next.index(), 513);
        assert_ne!(next, id);
        assert_eq!(TaskId::new(1, TaskId::MAX_GENERATION).next_generation().generation(), 0);
    }

    #[test]
    fn every_task_id_is_a_positive_c_int() {
        let last = TaskId::new(u16::MAX, TaskId::MAX_GENERATION);
        assert!(last.raw() as i32 > 0);
        assert_eq!(TaskId::generation_after(TaskId::MAX_GENERATION), 0);
    }
}
