//! Run queues: one FIFO of task-table indices per priority level.
//!
//! `pop` takes the head of the most urgent non-empty level (0 first); within
//! a level tasks run in arrival order, so pushing the preempted task to the
//! back gives round-robin. A task may be queued at most once: `push_back`
//! refuses an index already present, so the kernel needs no "queued" flag of
//! its own and cannot run a task twice. Fixed capacity (`LEVEL_CAPACITY` per
//! level), no heap. A bit per possible index makes `push_back`'s duplicate
//! check and `contains` O(1) however many tasks are runnable (every wake-up
//! pushes, so a scan there would cost a step per runnable task); `remove`
//! and `priority_of`, used only when a task ends, scan the queued entries.

use crate::task_index::TaskIndex;

/// Number of priority levels; 0 is the most urgent.
pub const PRIORITY_LEVELS: usize = abi::PRIORITY_LEVELS as usize;
/// Most tasks one level can hold.
pub const LEVEL_CAPACITY: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The index is already in a run queue.
    AlreadyQueued,
    /// The priority is not below `PRIORITY_LEVELS`.
    BadPriority,
    /// That level holds `LEVEL_CAPACITY` tasks.
    LevelFull,
}

impl core::fmt::Display for QueueError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            QueueError::AlreadyQueued => "task already queued",
            QueueError::BadPriority => "no such priority level",
            QueueError::LevelFull => "run queue full",
        })
    }
}

/// A ring of task indices in arrival order.
struct Fifo {
    slots: [u16; LEVEL_CAPACITY],
    head: usize,
    len: usize,
}

impl Fifo {
    const fn new() -> Self {
        Fifo { slots: [0; LEVEL_CAPACITY], head: 0, len: 0 }
    }

    fn slot(&self, position: usize) -> usize {
        (self.head + position) % LEVEL_CAPACITY
    }

    fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.len).map(|position| self.slots[self.slot(position)])
    }

    fn push_back(&mut self, index: u16) -> Result<(), QueueError> {
        if self.len == LEVEL_CAPACITY {
            return Err(QueueError::LevelFull);
        }
        let tail = self.slot(self.len);
        self.slots[tail] = index;
        self.len += 1;
        Ok(())
    }

    fn pop_front(&mut self) -> Option<u16> {
        if self.len == 0 {
            return None;
        }
        let index = self.slots[self.head];
        self.head = self.slot(1);
        self.len -= 1;
        Some(index)
    }

    /// The head leaves and `index` joins the back: `push_back` then
    /// `pop_front` on a level that is not empty, without the full-level
    /// case (the caller has ruled it out).
    fn rotate(&mut self, index: u16) -> u16 {
        let head = self.slots[self.head];
        let tail = self.slot(self.len);
        self.slots[tail] = index;
        self.head = self.slot(1);
        head
    }

    /// Removes `index`, keeping the others in order.
    fn remove(&mut self, index: u16) -> bool {
        let Some(found) = self.iter().position(|queued| queued == index) else {
            return false;
        };
        for position in found..self.len - 1 {
            let (to, from) = (self.slot(position), self.slot(position + 1));
            self.slots[to] = self.slots[from];
        }
        self.len -= 1;
        true
    }
}

const INDEX_WORDS: usize = (u16::MAX as usize + 1) / 64;

pub struct RunQueues {
    levels: [Fifo; PRIORITY_LEVELS],
    /// Bit `level` is set while that level holds a task, so the most urgent
    /// one is found with one instruction.
    busy_levels: u8,
    /// Bit `index` is set while `index` is in some level.
    queued: [u64; INDEX_WORDS],
}

impl RunQueues {
    pub const fn new() -> Self {
        RunQueues { levels: [const { Fifo::new() }; PRIORITY_LEVELS], busy_levels: 0, queued: [0; INDEX_WORDS] }
    }

    /// Keeps `busy_levels` in step after `level` changed.
    fn note_level(&mut self, level: usize) {
        if self.levels[level].len == 0 {
            self.busy_levels &= !(1 << level);
        } else {
            self.busy_levels |= 1 << level;
        }
    }

    fn mark(&mut self, index: u16, queued: bool) {
        let (word, bit) = (index as usize / 64, index % 64);
        if queued {
            self.queued[word] |= 1 << bit;
        } else {
            self.queued[word] &= !(1 << bit);
        }
    }

    /// Queues task `index` behind the others of its `priority`.
    #[inline]
    pub fn push_back(&mut self, index: TaskIndex, priority: u8) -> Result<(), QueueError> {
        let index = index.get() as u16;
        let level = self.levels.get(priority as usize).ok_or(QueueError::BadPriority)?;
        if level.len == LEVEL_CAPACITY {
            return Err(QueueError::LevelFull);
        }
        if self.is_queued(index) {
            return Err(QueueError::AlreadyQueued);
        }
        self.levels[priority as usize].push_back(index)?;
        self.busy_levels |= 1 << priority;
        self.mark(index, true);
        Ok(())
    }

    /// Takes the next task to run: the oldest of the most urgent level.
    #[inline]
    pub fn pop(&mut self) -> Option<TaskIndex> {
        let level = self.highest_priority()? as usize;
        let index = self.levels[level].pop_front()?;
        self.note_level(level);
        self.mark(index, false);
        Some(TaskIndex::new(index))
    }

    /// `push_back(index, priority)` then `pop()`, in one step: what a
    /// task that blocks after waking `index` does when the head of the
    /// queues, not `index`, runs next. When `index` joins the most urgent
    /// level the head of that level leaves and nothing else changes.
    #[inline]
    pub fn push_back_then_pop(&mut self, index: TaskIndex, priority: u8) -> Result<TaskIndex, QueueError> {
        if self.highest_priority() != Some(priority) {
            self.push_back(index, priority)?;
            return Ok(self.pop().expect("a task was just queued"));
        }
        let raw = index.get() as u16;
        let level = &mut self.levels[priority as usize];
        if level.len == LEVEL_CAPACITY {
            return Err(QueueError::LevelFull);
        }
        if self.is_queued(raw) {
            return Err(QueueError::AlreadyQueued);
        }
        let head = self.levels[priority as usize].rotate(raw);
        self.mark(head, false);
        self.mark(raw, true);
        Ok(TaskIndex::new(head))
    }

    /// The task [`RunQueues::pop`] would take, left in its queue.
    #[inline(always)]
    pub fn peek(&self) -> Option<TaskIndex> {
        let level = &self.levels[self.highest_priority()? as usize];
        Some(TaskIndex::new(level.slots[level.head]))
    }

    /// Takes `index` out of whichever queue holds it; returns whether it was queued.
    pub fn remove(&mut self, index: TaskIndex) -> bool {
        let index = index.get() as u16;
        if !self.is_queued(index) {
            return false;
        }
        self.mark(index, false);
        let Some(level) = self.levels.iter_mut().position(|level| level.remove(index)) else {
            return false;
        };
        self.note_level(level);
        true
    }

    pub fn contains(&self, index: TaskIndex) -> bool {
        self.is_queued(index.get() as u16)
    }

    fn is_queued(&self, index: u16) -> bool {
        self.queued[index as usize / 64] & (1 << (index % 64)) != 0
    }

    /// The level `index` is queued at.
    pub fn priority_of(&self, index: TaskIndex) -> Option<u8> {
        let index = index.get() as u16;
        let level = self.levels.iter().position(|level| level.iter().any(|queued| queued == index))?;
        Some(level as u8)
    }

    /// The most urgent level with a waiting task: lets the kernel decide
    /// whether a newly woken task should preempt the running one.
    #[inline]
    pub fn highest_priority(&self) -> Option<u8> {
        match self.busy_levels {
            0 => None,
            busy => Some(busy.trailing_zeros() as u8),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks queued over all levels.
    pub fn len(&self) -> usize {
        self.levels.iter().map(|level| level.len).sum()
    }
}

impl Default for RunQueues {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    fn ix(slot: u16) -> TaskIndex {
        TaskIndex::new(slot)
    }

    fn drain(queues: &mut RunQueues) -> Vec<u16> {
        std::iter::from_fn(|| queues.pop()).map(|index| index.get() as u16).collect()
    }

    #[test]
    fn most_urgent_level_runs_first() {
        let mut queues = RunQueues::new();
        queues.push_back(ix(10), 3).unwrap();
        queues.push_back(ix(11), 1).unwrap();
        queues.push_back(ix(12), 0).unwrap();
        queues.push_back(ix(13), 2).unwrap();
        assert_eq!(queues.highest_priority(), Some(0));
        assert_eq!(drain(&mut queues), vec![12, 11, 13, 10]);
        assert!(queues.is_empty());
        assert_eq!(queues.highest_priority(), None);
    }

    #[test]
    fn round_robin_within_a_level() {
        let mut queues = RunQueues::new();
        for index in [1, 2, 3] {
            queues.push_back(ix(index), 2).unwrap();
        }
        let mut order = Vec::new();
        for _ in 0..7 {
            let running = queues.pop().unwrap();
            order.push(running.get() as u16);
            queues.push_back(running, 2).unwrap(); // preempted: back of the line
        }
        assert_eq!(order, vec![1, 2, 3, 1, 2, 3, 1]);
    }

    #[test]
    fn refuses_double_queueing_and_bad_priorities() {
        let mut queues = RunQueues::new();
        queues.push_back(ix(5), 1).unwrap();
        assert_eq!(queues.push_back(ix(5), 1), Err(QueueError::AlreadyQueued));
        assert_eq!(queues.push_back(ix(5), 0), Err(QueueError::AlreadyQueued));
        assert_eq!(queues.push_back(ix(6), PRIORITY_LEVELS as u8), Err(QueueError::BadPriority));
        assert_eq!(queues.len(), 1);
        assert_eq!(queues.priority_of(ix(5)), Some(1));
    }

    #[test]
    fn remove_keeps_the_others_in_order() {
        let mut queues = RunQueues::new();
        for index in 0..6 {
            queues.push_back(ix(index), 1).unwrap();
        }
        queues.pop();
        queues.push_back(ix(0), 1).unwrap(); // ring head is now mid-array
        assert!(queues.remove(ix(3)));
        assert!(!queues.remove(ix(3)));
        assert!(!queues.contains(ix(3)));
        assert_eq!(drain(&mut queues), vec![1, 2, 4, 5, 0]);
    }

    #[test]
    fn push_back_then_pop_is_both_in_one_step() {
        let mut queues = RunQueues::new();
        queues.push_back(ix(1), 2).unwrap();
        queues.push_back(ix(2), 2).unwrap();
        // Same level as the head: the head leaves, 3 waits behind 2.
        assert_eq!(queues.push_back_then_pop(ix(3), 2), Ok(ix(1)));
        // Less urgent: the head leaves, 4 waits on its own level.
        assert_eq!(queues.push_back_then_pop(ix(4), 3), Ok(ix(2)));
        // More urgent than every queued task: it leaves at once.
        assert_eq!(queues.push_back_then_pop(ix(5), 0), Ok(ix(5)));
        assert_eq!(queues.push_back_then_pop(ix(3), 2), Err(QueueError::AlreadyQueued));
        assert_eq!(queues.push_back_then_pop(ix(6), PRIORITY_LEVELS as u8), Err(QueueError::BadPriority));
        assert!(!queues.contains(ix(1)) && !queues.contains(ix(5)));
        assert_eq!(drain(&mut queues), vec![3, 4]);
    }

    #[test]
    fn push_back_then_pop_on_a_full_level_is_refused() {
        let mut queues = RunQueues::new();
        for index in 0..LEVEL_CAPACITY as u16 {
            queues.push_back(ix(index), 1).unwrap();
        }
        assert_eq!(queues.push_back_then_pop(ix(5000), 1), Err(QueueError::LevelFull));
        assert_eq!(queues.len(), LEVEL_CAPACITY);
        assert_eq!(queues.peek(), Some(ix(0)));
    }

    #[test]
    fn full_level_is_reported_and_others_still_work() {
        let mut queues = RunQueues::new();
        for index in 0..LEVEL_CAPACITY as u16 {
            queues.push_back(ix(index), 3).unwrap();
        }
        assert_eq!(queues.push_back(ix(5000), 3), Err(QueueError::LevelFull));
        queues.push_back(ix(5000), 0).unwrap();
        assert_eq!(queues.pop(), Some(ix(5000)));
        assert_eq!(queues.pop(), Some(ix(0)));
        queues.push_back(ix(5001), 3).unwrap();
        assert_eq!(queues.len(), LEVEL_CAPACITY);
    }

    proptest! {
        /// Behaves like one `VecDeque` per level with a uniqueness check.
        #[test]
        fn matches_a_deque_model(ops in prop::collection::vec((0u8..5, 0u16..12, 0u8..5), 1..200)) {
            let mut queues = RunQueues::new();
            let mut model: Vec<VecDeque<u16>> = vec![VecDeque::new(); PRIORITY_LEVELS];
            for (kind, index, priority) in ops {
                match kind {
                    0 | 1 => {
                        let queued = model.iter().any(|level| level.contains(&index));
                        let expected = if priority as usize >= PRIORITY_LEVELS {
                            Err(QueueError::BadPriority)
                        } else if queued {
                            Err(QueueError::AlreadyQueued)
                        } else {
                            model[priority as usize].push_back(index);
                            Ok(())
                        };
                        prop_assert_eq!(queues.push_back(ix(index), priority), expected);
                    }
                    2 => {
                        let expected = model.iter_mut().find_map(|level| level.pop_front()).map(ix);
                        prop_assert_eq!(queues.pop(), expected);
                    }
                    3 if index % 2 == 0 => {
                        // push_back then pop, in one step.
                        let queued = model.iter().any(|level| level.contains(&index));
                        let expected = if priority as usize >= PRIORITY_LEVELS {
                            Err(QueueError::BadPriority)
                        } else if queued {
                            Err(QueueError::AlreadyQueued)
                        } else {
                            model[priority as usize].push_back(index);
                            Ok(model.iter_mut().find_map(|level| level.pop_front()).map(ix).unwrap())
                        };
                        prop_assert_eq!(queues.push_back_then_pop(ix(index), priority), expected);
                    }
                    _ => {
                        let mut removed = false;
                        for level in &mut model {
                            if let Some(at) = level.iter().position(|&q| q == index) {
                                level.remove(at);
                                removed = true;
                            }
                        }
                        prop_assert_eq!(queues.remove(ix(index)), removed);
                    }
                }
                prop_assert_eq!(queues.len(), model.iter().map(VecDeque::len).sum::<usize>());
                let most_urgent = model.iter().position(|level| !level.is_empty());
                prop_assert_eq!(queues.highest_priority(), most_urgent.map(|level| level as u8));
                let head = model.iter().find_map(|level| level.front().copied()).map(ix);
                prop_assert_eq!(queues.peek(), head);
                for probe in 0u16..12 {
                    let queued = model.iter().any(|level| level.contains(&probe));
                    prop_assert_eq!(queues.contains(ix(probe)), queued);
                }
            }
        }
    }
}
