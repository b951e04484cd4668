//! The fuzzer's model of the task table: which ids are its own, live,
//! dead or stale, and what the kernel must answer for each.

use alloc::vec::Vec;

use abi::{MAX_TASKS, TaskId};

use super::Rng;

/// What the fuzzer learnt about the task table before starting.
#[derive(Clone, Debug, Default)]
pub struct Tasks {
    /// The fuzzer itself, when it could be told apart.
    pub me: Option<TaskId>,
    /// Other tasks that run: never sent a request the kernel could deliver.
    pub live: Vec<TaskId>,
    /// Ended tasks, not yet reaped.
    pub dead: Vec<TaskId>,
    /// Empty slots (which a new task could take).
    pub empty_slots: Vec<u16>,
}

/// What the kernel must make of a task id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdClass {
    NoSuchTask,
    Dead,
    Me,
    Live,
    Unknown,
}

impl Tasks {
    pub fn classify(&self, raw: u32) -> IdClass {
        let id = TaskId::from_raw(raw);
        if id == TaskId::KERNEL || id.index() == 0 || id.index() >= MAX_TASKS {
            return IdClass::NoSuchTask;
        }
        if self.me == Some(id) {
            return IdClass::Me;
        }
        if self.live.contains(&id) {
            return IdClass::Live;
        }
        let same_slot = |t: &TaskId| t.index() == id.index();
        if self.dead.contains(&id) || self.me.iter().chain(&self.live).any(same_slot) {
            return IdClass::Dead;
        }
        IdClass::Unknown
    }

    /// A task id: ours, a live one, a dead or stale one, an empty slot's,
    /// or one that can never name a task.
    pub fn pick(&self, rng: &mut Rng) -> u32 {
        let live = |rng: &mut Rng| self.live.get(rng.below(self.live.len() as u64) as usize).copied();
        let id = match rng.below(8) {
            0 => self.me,
            1 | 2 => live(rng),
            3 => self.dead.get(rng.below(self.dead.len() as u64) as usize).copied(),
            4 => live(rng).map(|t| TaskId::new(t.index() as u16, t.generation().wrapping_add(1 + rng.below(9) as u16))),
            5 => self
                .empty_slots
                .get(rng.below(self.empty_slots.len() as u64) as usize)
                .map(|&slot| TaskId::new(slot, rng.below(4) as u16)),
            _ => None,
        };
        id.map(TaskId::raw).unwrap_or_else(|| {
            let (past_table, any) = (MAX_TASKS as u32 + rng.below(1000) as u32, rng.next_u64() as u32);
            rng.pick(&[0, u32::MAX, 256, 0xffff, 0x0001_0000, past_table, any])
        })
    }
}
