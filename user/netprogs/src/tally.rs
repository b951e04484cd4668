//! sockcheck's bookkeeping: one line per check and the final count.

use alloc::format;
use alloc::string::String;

/// Passed and failed checks so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: u32,
    pub failed: u32,
}

impl Tally {
    pub const fn new() -> Self {
        Tally { passed: 0, failed: 0 }
    }

    /// Records one check and returns its line: `ok N - NAME` or
    /// `FAIL N - NAME: WHY`.
    pub fn record(&mut self, name: &str, outcome: &Result<(), String>) -> String {
        let number = self.passed + self.failed + 1;
        match outcome {
            Ok(()) => {
                self.passed += 1;
                format!("ok {number} - {name}")
            }
            Err(why) => {
                self.failed += 1;
                format!("FAIL {number} - {name}: {why}")
            }
        }
    }

    /// The last line: `N passed, M failed`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed)
    }

    /// Exit status: 0 only when nothing failed.
    pub fn status(&self) -> i32 {
        i32::from(self.failed != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_numbers_each_check() {
        let mut tally = Tally::new();
        assert_eq!(tally.record("first", &Ok(())), "ok 1 - first");
        assert_eq!(tally.status(), 0);
        assert_eq!(tally.record("second", &Err("got -1025".into())), "FAIL 2 - second: got -1025");
        assert_eq!(tally.record("third", &Ok(())), "ok 3 - third");
        assert_eq!(tally.summary(), "2 passed, 1 failed");
        assert_eq!(tally.status(), 1);
    }
}
