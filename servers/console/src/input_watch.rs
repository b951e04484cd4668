//! Tasks that asked to be told when console input waits for them
//! (`WATCH_INPUT`), so that a program can wait for the console and for other
//! things at once in one place: it asks the console to post a notification
//! bit to a task of its choosing (netd, whose `poll` it then waits in), and
//! the console posts it once, when a read would no longer wait.
//!
//! A read would not wait when a line (or end of input) typed ahead is
//! ready for the foreground, or at once for a task outside the foreground,
//! whose reads end with end of input. What is typed meanwhile waits in the
//! input queue and is echoed when the task's read takes it, as for any
//! input typed ahead.

use alloc::vec::Vec;

use abi::{JobId, TaskId};

/// One task's request to be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watch {
    pub watcher: TaskId,
    pub job: JobId,
    /// Whom to post to, and which bits.
    pub notify: TaskId,
    pub bits: u32,
}

pub struct InputWatches {
    list: Vec<Watch>,
}

impl InputWatches {
    /// Room for `room` watches (a task has one at most), taken now.
    pub fn with_room(room: usize) -> Self {
        InputWatches { list: Vec::with_capacity(room) }
    }

    /// Adds `watch`, replacing the watcher's earlier one; false when there
    /// is no room (more watchers than the room taken at start).
    pub fn watch(&mut self, watch: Watch) -> bool {
        if let Some(old) = self.list.iter_mut().find(|w| w.watcher == watch.watcher) {
            *old = watch;
            return true;
        }
        if self.list.len() == self.list.capacity() {
            return false;
        }
        self.list.push(watch);
        true
    }

    /// Removes and hands to `tell` every watch whose task can read now.
    pub fn take_ready(&mut self, foreground: JobId, input_ready: bool, mut tell: impl FnMut(Watch)) {
        self.list.retain(|watch| {
            let ready = watch.job != foreground || input_ready;
            if ready {
                tell(*watch);
            }
            !ready
        });
    }

    pub fn retain(&mut self, mut alive: impl FnMut(TaskId) -> bool) {
        self.list.retain(|watch| alive(watch.watcher));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETD: TaskId = TaskId::new(3, 1);
    const FG: JobId = JobId::new(4);

    fn watch(index: u16, job: JobId) -> Watch {
        Watch { watcher: TaskId::new(index, 1), job, notify: NETD, bits: 1 << 2 }
    }

    fn ready(watches: &mut InputWatches, foreground: JobId, input: bool) -> Vec<TaskId> {
        let mut told = Vec::new();
        watches.take_ready(foreground, input, |w| told.push(w.watcher));
        told
    }

    #[test]
    fn a_foreground_watch_is_told_once_when_input_is_ready() {
        let mut watches = InputWatches::with_room(4);
        assert!(watches.watch(watch(10, FG)));
        assert!(ready(&mut watches, FG, false).is_empty());
        assert_eq!(ready(&mut watches, FG, true), [TaskId::new(10, 1)]);
        assert!(ready(&mut watches, FG, true).is_empty(), "told once");
    }

    #[test]
    fn a_watch_outside_the_foreground_is_told_at_once() {
        let mut watches = InputWatches::with_room(4);
        watches.watch(watch(10, FG));
        watches.watch(watch(11, JobId::new(9)));
        assert_eq!(ready(&mut watches, FG, false), [TaskId::new(11, 1)]);
        // The foreground moves on: the old one reads end of input now.
        assert_eq!(ready(&mut watches, JobId::SYSTEM, false), [TaskId::new(10, 1)]);
    }

    #[test]
    fn a_new_watch_replaces_the_old_and_room_is_never_outgrown() {
        let mut watches = InputWatches::with_room(2);
        assert!(watches.watch(watch(10, FG)));
        assert!(watches.watch(Watch { bits: 1 << 3, ..watch(10, FG) }));
        assert!(watches.watch(watch(11, FG)));
        assert!(!watches.watch(watch(12, FG)), "no room");
        watches.retain(|task| task != TaskId::new(11, 1));
        let mut told = Vec::new();
        watches.take_ready(FG, true, |w| told.push(w));
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].bits, 1 << 3);
    }
}
