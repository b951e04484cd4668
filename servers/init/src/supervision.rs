//! What init decides when a service it supervises ends: start it again, or
//! give up because it crashes too often.
//!
//! Only crashes count against the restart budget: a fault, a panic or any
//! exit nobody asked for. An end the shell asked for (`restart`, `kill`) is
//! not a crash. Every restart, whatever its cause, counts in
//! [`Supervision::restarts`], which `ps` shows. An explicit restart gives a
//! fresh budget and ends crash-at-start mode (`crash NAME always`).

use crate::budget::RestartBudget;

/// What to do about a service that ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start a new incarnation.
    Restart,
    /// It crashed more than the budget allows: leave it stopped until an
    /// explicit restart.
    GiveUp,
}

/// The supervision record of one service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Supervision {
    restarts: u32,
    budget: RestartBudget,
    /// The running incarnation was told to stop; its end is not a crash.
    end_requested: bool,
    /// New incarnations are started with `urt::proto::init::CRASH_AT_START`.
    crash_at_start: bool,
    /// The next incarnation is started with `urt::proto::init::HANG_AT_START`.
    hang_at_next_start: bool,
}

impl Supervision {
    pub const fn new() -> Self {
        Supervision {
            restarts: 0,
            budget: RestartBudget::new(),
            end_requested: false,
            crash_at_start: false,
            hang_at_next_start: false,
        }
    }

    /// Restarts so far, of every cause.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Whether a new incarnation must be told to fault at once.
    pub fn crash_at_start(&self) -> bool {
        self.crash_at_start
    }

    /// `crash NAME hang`: the next incarnation spins at once without
    /// answering anything, to show that init never waits on it.
    pub fn hang_at_next_start(&mut self) {
        self.hang_at_next_start = true;
    }

    /// Whether the incarnation being started must spin; asked once per start.
    pub fn take_hang_at_start(&mut self) -> bool {
        core::mem::take(&mut self.hang_at_next_start)
    }

    /// The running incarnation was killed on request (`kill` from the shell):
    /// its end is not a crash.
    pub fn stop_requested(&mut self) {
        self.end_requested = true;
    }

    /// `restart NAME` of a running service: its end is not a crash, and the
    /// next incarnation starts with a fresh budget and without crash-at-start.
    pub fn restart_requested(&mut self) {
        self.end_requested = true;
        self.fresh_start();
    }

    /// `restart NAME` of a stopped service: a fresh budget, no crash-at-start.
    pub fn fresh_start(&mut self) {
        self.budget.reset();
        self.crash_at_start = false;
        self.hang_at_next_start = false;
    }

    /// `crash NAME always`: every new incarnation faults at once, until the
    /// next explicit restart.
    pub fn crash_at_every_start(&mut self) {
        self.crash_at_start = true;
    }

    /// The running incarnation ended at `now_ns`.
    pub fn ended(&mut self, now_ns: u64) -> Decision {
        let requested = core::mem::take(&mut self.end_requested);
        if requested || self.budget.crash(now_ns) { Decision::Restart } else { Decision::GiveUp }
    }

    /// A new incarnation was started.
    pub fn restarted(&mut self) {
        self.restarts += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::MAX_CRASHES;

    #[test]
    fn hang_at_start_is_for_the_next_incarnation_only() {
        let mut s = Supervision::new();
        s.hang_at_next_start();
        assert!(s.take_hang_at_start());
        assert!(!s.take_hang_at_start());
        s.hang_at_next_start();
        s.fresh_start();
        assert!(!s.take_hang_at_start(), "an explicit restart starts it normally");
    }

    const SECOND: u64 = 1_000_000_000;

    /// Lets the service end at `now` and restarts it when told to.
    fn end(s: &mut Supervision, now: u64) -> Decision {
        let decision = s.ended(now);
        if decision == Decision::Restart {
            s.restarted();
        }
        decision
    }

    fn crash_until_given_up(s: &mut Supervision) -> usize {
        (1..=100).find(|&i| end(s, i as u64 * SECOND / 10) == Decision::GiveUp).expect("never gave up")
    }

    #[test]
    fn the_crash_after_the_budget_stops_restarts() {
        let mut s = Supervision::new();
        assert_eq!(crash_until_given_up(&mut s), MAX_CRASHES + 1);
        assert_eq!(s.restarts(), MAX_CRASHES as u32);
    }

    #[test]
    fn requested_ends_never_spend_the_budget_but_count_as_restarts() {
        let mut s = Supervision::new();
        for i in 0..50 {
            if i % 2 == 0 {
                s.stop_requested();
            } else {
                s.restart_requested();
            }
            assert_eq!(end(&mut s, i * SECOND / 100), Decision::Restart, "end {i}");
        }
        assert_eq!(s.restarts(), 50);
        // The whole budget is still there.
        assert_eq!(crash_until_given_up(&mut s), MAX_CRASHES + 1);
    }

    #[test]
    fn a_request_covers_only_the_next_end() {
        let mut s = Supervision::new();
        s.stop_requested();
        assert_eq!(end(&mut s, 0), Decision::Restart);
        for i in 1..=MAX_CRASHES as u64 {
            assert_eq!(end(&mut s, i), Decision::Restart);
        }
        assert_eq!(end(&mut s, 10), Decision::GiveUp);
    }

    #[test]
    fn an_explicit_restart_gives_a_fresh_budget_and_ends_crash_at_start() {
        let mut s = Supervision::new();
        s.crash_at_every_start();
        assert!(s.crash_at_start());
        crash_until_given_up(&mut s);
        assert!(s.crash_at_start(), "giving up does not change how it would start");
        s.fresh_start();
        assert!(!s.crash_at_start());
        assert_eq!(crash_until_given_up(&mut s), MAX_CRASHES + 1);

        s.crash_at_every_start();
        s.restart_requested();
        assert!(!s.crash_at_start());
        assert_eq!(end(&mut s, 0), Decision::Restart);
    }
}
