//! xv6's clock: `sleep(ticks)` and `uptime()` count ticks of 10 ms (100 per
//! second), whatever the kernel's own tick is.

/// xv6 ticks per second.
pub const TICKS_PER_SECOND: u64 = 100;
const NS_PER_TICK: u64 = 1_000_000_000 / TICKS_PER_SECOND;
const MS_PER_TICK: u64 = 1000 / TICKS_PER_SECOND;

/// Milliseconds `sleep(ticks)` lasts; nothing for a count below 1.
pub fn sleep_ms(ticks: i32) -> u64 {
    u64::try_from(ticks).unwrap_or(0) * MS_PER_TICK
}

/// `uptime()`: whole ticks since boot, as an `int` (it wraps after eight
/// months, as xv6's does after its `uint` ticks pass `INT_MAX`).
pub fn uptime(now_ns: u64) -> i32 {
    (now_ns / NS_PER_TICK) as u32 as i32 & i32::MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_ten_milliseconds() {
        assert_eq!(sleep_ms(100), 1000);
        assert_eq!(sleep_ms(1), 10);
        assert_eq!(sleep_ms(0), 0);
        assert_eq!(sleep_ms(-5), 0);
        assert_eq!(uptime(0), 0);
        assert_eq!(uptime(2_999_999_999), 299);
        assert!(uptime(u64::MAX) >= 0);
    }
}
