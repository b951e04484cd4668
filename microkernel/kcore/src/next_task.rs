//! Which task runs when a kernel entry ends, and when a woken task takes
//! the CPU from the running one.
//!
//! The kernel keeps one hint across an entry, the hand-off: a task a call
//! made able to run and that should run next without a trip through the
//! queues (the server that just took a call, or the caller a server just
//! answered before blocking). Apart from it the choice follows the run
//! queues: the most urgent level first, round robin within a level.

use crate::sched::{QueueError, RunQueues};
use crate::task_index::TaskIndex;

/// The task that ran when the kernel was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub index: TaskIndex,
    /// Whether it can still run (it did not block or end in this entry).
    pub runnable: bool,
}

/// Chooses the task to run at the end of a kernel entry:
/// - a hand-off (never the outgoing task itself) runs first;
/// - otherwise the outgoing task goes on, unless it cannot or a reschedule
///   was asked for (its slice ended, a more urgent task woke, it yielded);
/// - otherwise the oldest task of the most urgent level, or idle.
///
/// An outgoing task that can still run but does not go on is queued at the
/// back of its level (`priority` gives its level; idle is never queued). An
/// error is a kernel bug: the queues refused it.
#[inline]
pub fn choose_next(
    queues: &mut RunQueues,
    outgoing: Outgoing,
    handoff: Option<TaskIndex>,
    reschedule: bool,
    priority: impl FnOnce(TaskIndex) -> u8,
) -> Result<TaskIndex, QueueError> {
    if handoff.is_none() && outgoing.runnable && !reschedule {
        return Ok(outgoing.index);
    }
    if outgoing.runnable && outgoing.index != TaskIndex::IDLE {
        queues.push_back(outgoing.index, priority(outgoing.index))?;
    }
    Ok(handoff.or_else(|| queues.pop()).unwrap_or(TaskIndex::IDLE))
}

/// Whether a task of `woken` priority that just became runnable should take
/// the CPU from the running task (`running` is its priority, `None` for
/// idle): only a more urgent one does.
#[inline]
pub const fn preempts(woken: u8, running: Option<u8>) -> bool {
    match running {
        None => true,
        Some(running) => woken < running,
    }
}

/// Whether the caller a server answered, of `woken` priority, runs next on
/// the server's time when the server blocks: unless a task of its level or
/// a more urgent one already waits in the queues (`most_urgent_queued`),
/// which then keeps its turn.
#[inline]
pub fn woken_runs_next(most_urgent_queued: Option<u8>, woken: u8) -> bool {
    !matches!(most_urgent_queued, Some(waiting) if waiting <= woken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ix(slot: u16) -> TaskIndex {
        TaskIndex::new(slot)
    }

    /// Every task's priority in these tests: its slot modulo the levels.
    fn level(index: TaskIndex) -> u8 {
        (index.get() % 4) as u8
    }

    fn queues_of(slots: &[u16]) -> RunQueues {
        let mut queues = RunQueues::new();
        for &slot in slots {
            queues.push_back(ix(slot), level(ix(slot))).unwrap();
        }
        queues
    }

    #[test]
    fn the_running_task_goes_on_unless_asked_to_yield() {
        let mut queues = queues_of(&[4, 8]);
        let running = Outgoing { index: ix(5), runnable: true };
        assert_eq!(choose_next(&mut queues, running, None, false, level), Ok(ix(5)));
        assert_eq!(queues.len(), 2, "nothing moved");
        assert_eq!(choose_next(&mut queues, running, None, true, level), Ok(ix(4)));
        assert!(queues.contains(ix(5)), "the preempted task waits its turn");
    }

    #[test]
    fn a_hand_off_runs_first_and_the_caller_keeps_its_place() {
        let mut queues = queues_of(&[4]);
        let caller = Outgoing { index: ix(9), runnable: false };
        assert_eq!(choose_next(&mut queues, caller, Some(ix(6)), false, level), Ok(ix(6)));
        assert_eq!(queues.len(), 1, "a blocked caller is not queued");
        let woke_but_runs = Outgoing { index: ix(9), runnable: true };
        assert_eq!(choose_next(&mut queues, woke_but_runs, Some(ix(6)), false, level), Ok(ix(6)));
        assert!(queues.contains(ix(9)));
    }

    #[test]
    fn idle_runs_when_nothing_else_can_and_is_never_queued() {
        let mut queues = RunQueues::new();
        let blocked = Outgoing { index: ix(3), runnable: false };
        assert_eq!(choose_next(&mut queues, blocked, None, false, level), Ok(TaskIndex::IDLE));
        let idle = Outgoing { index: TaskIndex::IDLE, runnable: true };
        assert_eq!(choose_next(&mut queues, idle, None, true, level), Ok(TaskIndex::IDLE));
        assert!(queues.is_empty());
    }

    #[test]
    fn only_a_more_urgent_task_preempts() {
        assert!(preempts(3, None), "anything preempts idle");
        assert!(preempts(0, Some(1)));
        assert!(!preempts(1, Some(1)));
        assert!(!preempts(2, Some(1)));
        assert!(woken_runs_next(None, 2));
        assert!(woken_runs_next(Some(3), 2));
        assert!(!woken_runs_next(Some(2), 2), "a task of its level waits already");
        assert!(!woken_runs_next(Some(0), 2));
    }

    proptest! {
        /// Against a model: the chosen task is the hand-off, else the
        /// outgoing task when it goes on, else the head of the most urgent
        /// queue (or idle); afterwards the chosen task is in no queue, and
        /// an outgoing task that can run but was not chosen is queued.
        #[test]
        fn the_choice_matches_the_rule(
            queued in proptest::collection::btree_set(1u16..24, 0..8),
            outgoing in 0u16..24,
            runnable in any::<bool>(),
            handoff in proptest::option::of(1u16..24),
            reschedule in any::<bool>(),
        ) {
            let (outgoing, handoff) = (ix(outgoing), handoff.map(ix));
            prop_assume!(handoff != Some(outgoing), "a task never hands off to itself");
            // A hand-off target and the outgoing task are never queued.
            let queued: Vec<u16> =
                queued.into_iter().filter(|&s| ix(s) != outgoing && Some(ix(s)) != handoff).collect();
            let mut queues = queues_of(&queued);
            let most_urgent = queued.iter().map(|&s| ix(s)).min_by_key(|&i| level(i));
            let chosen =
                choose_next(&mut queues, Outgoing { index: outgoing, runnable }, handoff, reschedule, level).unwrap();
            let goes_on = handoff.is_none() && runnable && !reschedule;
            let expected = match (handoff, goes_on) {
                (Some(target), _) => target,
                (None, true) => outgoing,
                (None, false) => {
                    let requeued = (runnable && outgoing != TaskIndex::IDLE).then_some(outgoing);
                    // Among equals the earlier-queued wins; the outgoing task
                    // joins the back of its level.
                    match (most_urgent, requeued) {
                        (Some(q), Some(o)) if level(o) < level(q) => o,
                        (Some(q), _) => q,
                        (None, Some(o)) => o,
                        (None, None) => TaskIndex::IDLE,
                    }
                }
            };
            prop_assert_eq!(chosen, expected);
            prop_assert!(!queues.contains(chosen));
            if runnable && outgoing != chosen && outgoing != TaskIndex::IDLE {
                prop_assert!(queues.contains(outgoing));
            }
        }
    }
}
