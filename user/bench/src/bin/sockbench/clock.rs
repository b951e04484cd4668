//! The time stamp counter, read in user space, and its rate.

use abi::CostCounters;
use bench::clock::TickRate;
use urt::sys::{self, now_ns};

/// How much of the kernel clock the rate is measured over.
const CALIBRATION_NS: u64 = 20_000_000;

/// The time stamp counter now.
#[inline(always)]
pub fn ticks() -> u64 {
    // SAFETY: rdtsc reads a counter and touches no memory; the kernel leaves
    // CR4.TSD clear, so it is allowed in ring 3.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Measures the counter against the kernel's `now()` between two of its
/// clock edges (so its millisecond steps do not blur the result).
pub fn calibrate() -> TickRate {
    let start_ns = next_edge(now_ns());
    let start_ticks = ticks();
    let mut now = start_ns;
    while now < start_ns + CALIBRATION_NS {
        now = next_edge(now);
    }
    let end_ticks = ticks();
    TickRate::measured(end_ticks - start_ticks, now - start_ns).unwrap_or(TickRate::ONE_PER_NS)
}

/// Spins until `now()` moves past `seen`; returns the new reading.
fn next_edge(seen: u64) -> u64 {
    loop {
        let now = now_ns();
        if now != seen {
            return now;
        }
        core::hint::spin_loop();
    }
}

/// A running measurement: the time stamp counter and the kernel's cost
/// counters at its start.
pub struct Stopwatch {
    start: u64,
    counters: CostCounters,
}

/// What a measurement saw: ticks, and what the kernel did meanwhile.
pub struct Lap {
    pub ticks: u64,
    pub costs: CostCounters,
}

/// The kernel's counters now. Should the call fail, the figures show zeros
/// (no benchmark depends on them).
pub fn counters() -> CostCounters {
    sys::counters().unwrap_or_default()
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        let counters = counters();
        Stopwatch { start: ticks(), counters }
    }

    /// Ticks since the start.
    pub fn ticks(&self) -> u64 {
        ticks().wrapping_sub(self.start)
    }

    /// Ticks and kernel costs since the start.
    pub fn lap(&self) -> Lap {
        let ticks = self.ticks();
        Lap { ticks, costs: since(&self.counters) }
    }
}

/// The counters' differences from `earlier` to now, without the entry that
/// reads them now.
pub fn since(earlier: &CostCounters) -> CostCounters {
    let mut costs = counters().since(earlier);
    costs.entries = costs.entries.saturating_sub(1);
    costs.syscalls = costs.syscalls.saturating_sub(1);
    costs
}
