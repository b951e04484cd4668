//! Turning `rdtsc` ticks into nanoseconds.
//!
//! Under QEMU's `-icount shift=0` the time stamp counter advances exactly one
//! tick per guest nanosecond (one per instruction), so deltas are
//! deterministic. Without `-icount` it runs at the host's rate. sockbench
//! therefore measures the rate against the kernel's `now()` once, and snaps it
//! to exactly one tick per nanosecond when the measurement agrees within
//! [`SNAP_TOLERANCE_PPM`], so that icount runs are not blurred by the
//! millisecond granularity of `now()`.

/// Agreement needed to treat the counter as one tick per nanosecond.
pub const SNAP_TOLERANCE_PPM: u64 = 5_000;

const NS_PER_MS: u64 = 1_000_000;

/// How fast the time stamp counter runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickRate {
    ticks_per_ms: u64,
}

impl TickRate {
    /// One tick per nanosecond (QEMU with `-icount shift=0`).
    pub const ONE_PER_NS: TickRate = TickRate { ticks_per_ms: NS_PER_MS };

    /// The rate seen when the counter advanced `ticks` while the kernel clock
    /// advanced `ns`; `None` if either did not move.
    pub fn measured(ticks: u64, ns: u64) -> Option<TickRate> {
        if ticks == 0 || ns == 0 {
            return None;
        }
        let per_ms = (ticks as u128 * NS_PER_MS as u128 / ns as u128) as u64;
        if per_ms == 0 {
            return None;
        }
        let off_ppm = per_ms.abs_diff(NS_PER_MS) as u128 * 1_000_000 / NS_PER_MS as u128;
        if off_ppm <= SNAP_TOLERANCE_PPM as u128 {
            Some(TickRate::ONE_PER_NS)
        } else {
            Some(TickRate { ticks_per_ms: per_ms })
        }
    }

    pub fn ticks_per_ms(&self) -> u64 {
        self.ticks_per_ms
    }

    pub fn is_one_per_ns(&self) -> bool {
        *self == TickRate::ONE_PER_NS
    }

    /// Nanoseconds for a delta of `ticks`.
    pub fn to_ns(&self, ticks: u64) -> u64 {
        (ticks as u128 * NS_PER_MS as u128 / self.ticks_per_ms as u128) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measurement_close_to_one_per_ns_snaps_to_it() {
        let rate = TickRate::measured(50_100_000, 50_000_000).unwrap();
        assert!(rate.is_one_per_ns());
        assert_eq!(rate.to_ns(12_345), 12_345);
        let rate = TickRate::measured(49_800_000, 50_000_000).unwrap();
        assert!(rate.is_one_per_ns());
    }

    #[test]
    fn a_different_rate_is_kept_and_scales() {
        let rate = TickRate::measured(150_000_000, 50_000_000).unwrap();
        assert!(!rate.is_one_per_ns());
        assert_eq!(rate.ticks_per_ms(), 3_000_000);
        assert_eq!(rate.to_ns(3_000), 1_000);
        // Just outside the tolerance is not snapped.
        let rate = TickRate::measured(50_300_000, 50_000_000).unwrap();
        assert_eq!(rate.ticks_per_ms(), 1_006_000);
    }

    #[test]
    fn no_movement_gives_no_rate() {
        assert_eq!(TickRate::measured(0, 1_000), None);
        assert_eq!(TickRate::measured(1_000, 0), None);
        assert_eq!(TickRate::measured(1, 10_000_000), None);
    }

    #[test]
    fn large_deltas_do_not_overflow() {
        let rate = TickRate::measured(3_000_000, 1_000_000).unwrap();
        assert_eq!(rate.to_ns(u64::MAX / 2), u64::MAX / 6);
    }
}
