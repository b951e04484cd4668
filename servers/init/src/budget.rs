//! The restart budget: a supervised server that crashes more than
//! [`MAX_CRASHES`] times within [`WINDOW_NS`] is not restarted again, so a
//! server that dies at once on every start cannot keep the system busy.

/// Crashes allowed within the window; one more stops restarts.
pub const MAX_CRASHES: usize = 5;
/// The window: ten seconds.
pub const WINDOW_NS: u64 = 10_000_000_000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestartBudget {
    /// Times of the most recent crashes, oldest first (at most MAX_CRASHES + 1).
    crashes: [u64; MAX_CRASHES + 1],
    count: usize,
}

impl RestartBudget {
    pub const fn new() -> Self {
        RestartBudget { crashes: [0; MAX_CRASHES + 1], count: 0 }
    }

    /// Records a crash at `now_ns`; returns whether a restart is still allowed.
    pub fn crash(&mut self, now_ns: u64) -> bool {
        if self.count == self.crashes.len() {
            self.crashes.rotate_left(1);
            self.count -= 1;
        }
        self.crashes[self.count] = now_ns;
        self.count += 1;
        self.recent(now_ns) <= MAX_CRASHES
    }

    /// Crashes within the window ending at `now_ns`.
    pub fn recent(&self, now_ns: u64) -> usize {
        self.crashes[..self.count].iter().filter(|&&t| now_ns.saturating_sub(t) < WINDOW_NS).count()
    }

    /// Forgets all crashes (an explicit restart gives a fresh budget).
    pub fn reset(&mut self) {
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn the_sixth_crash_within_ten_seconds_stops_restarts() {
        let mut budget = RestartBudget::new();
        for i in 0..5 {
            assert!(budget.crash(i * SECOND), "crash {i}");
        }
        assert!(!budget.crash(5 * SECOND));
    }

    #[test]
    fn crashes_spread_out_never_exhaust_it() {
        let mut budget = RestartBudget::new();
        for i in 0..100 {
            assert!(budget.crash(i * 3 * SECOND), "crash {i}");
        }
    }

    #[test]
    fn old_crashes_fall_out_of_the_window() {
        let mut budget = RestartBudget::new();
        for i in 0..5 {
            assert!(budget.crash(i * SECOND));
        }
        // Crash 0 is now 10 s old: only five in the window.
        assert!(budget.crash(10 * SECOND));
        assert_eq!(budget.recent(10 * SECOND), 5);
        budget.reset();
        assert_eq!(budget.recent(10 * SECOND), 0);
    }
}
