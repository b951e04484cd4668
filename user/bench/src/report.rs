//! `RESULT` lines and the rates in them, in integer arithmetic.
//!
//! A line is `RESULT <name> key=value ...`, the shape of the Linux peer's
//! `lpbench` output but in nanoseconds: `ns_per_call`, `ns_per_rt`,
//! `rt_per_s`, `MBps` (10^6 bytes per second), `chunk`. Values are rounded
//! to the nearest last digit. Every timed line also says what the kernel
//! did per operation ([`ResultLine::costs`]): its entries, task switches and
//! address-space switches, the costs an instruction count hides. A timed run
//! is a [`Measured`]; [`ResultLine::timed`] and [`ResultLine::round_trips`]
//! write the figures the benchmarks share, so their lines cannot drift apart.

use abi::CostCounters;
use alloc::string::String;
use core::fmt::{self, Display, Write};

/// A non-negative number with a fixed count of decimal places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    /// The value times 10^places.
    scaled: u128,
    places: u32,
}

impl Decimal {
    /// `numerator / denominator` rounded to `places` decimals (0 when the
    /// denominator is 0: nothing was measured).
    pub fn ratio(numerator: u128, denominator: u128, places: u32) -> Decimal {
        let scale = 10u128.pow(places);
        let scaled = match denominator {
            0 => 0,
            d => (numerator * scale + d / 2) / d,
        };
        Decimal { scaled, places }
    }
}

impl Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = 10u128.pow(self.places);
        write!(f, "{}", self.scaled / scale)?;
        if self.places > 0 {
            write!(f, ".{:0width$}", self.scaled % scale, width = self.places as usize)?;
        }
        Ok(())
    }
}

const NS_PER_S: u128 = 1_000_000_000;

/// Nanoseconds per operation, one decimal.
pub fn ns_per(total_ns: u64, count: u64) -> Decimal {
    Decimal::ratio(total_ns as u128, count as u128, 1)
}

/// Operations per second, one decimal.
pub fn per_second(count: u64, total_ns: u64) -> Decimal {
    Decimal::ratio(count as u128 * NS_PER_S, total_ns as u128, 1)
}

/// 10^6 bytes per second, two decimals.
pub fn megabytes_per_second(bytes: u64, total_ns: u64) -> Decimal {
    Decimal::ratio(bytes as u128 * NS_PER_S, total_ns as u128 * 1_000_000, 2)
}

/// One timed run: how long it took and what the kernel did meanwhile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measured {
    pub ns: u64,
    pub costs: CostCounters,
}

/// A `RESULT` line being built.
pub struct ResultLine {
    text: String,
}

impl ResultLine {
    pub fn new(name: &str) -> ResultLine {
        let mut text = String::from("RESULT ");
        text.push_str(name);
        ResultLine { text }
    }

    /// Appends ` key=value`.
    pub fn field(mut self, key: &str, value: impl Display) -> ResultLine {
        let _ = write!(self.text, " {key}={value}");
        self
    }

    /// Appends what the kernel did per operation over `ops` operations:
    /// ` entries_per_op=E switches_per_op=S cr3_per_op=C`, two decimals.
    pub fn costs(self, costs: &CostCounters, ops: u64) -> ResultLine {
        let per_op = |count: u64| Decimal::ratio(count as u128, ops as u128, 2);
        self.field("entries_per_op", per_op(costs.entries))
            .field("switches_per_op", per_op(costs.switches))
            .field("cr3_per_op", per_op(costs.space_switches))
    }

    /// Appends the time of `n` operations, each called `op` in the key
    /// (`call`, `cycle`): ` n=N ns=NS ns_per_OP=X`.
    pub fn timed(mut self, op: &str, n: u64, measured: &Measured) -> ResultLine {
        let ns = measured.ns;
        let _ = write!(self.text, " n={n} ns={ns} ns_per_{op}={}", ns_per(ns, n));
        self
    }

    /// Appends everything a run of `n` round trips reports, in the order
    /// the other round-trip lines have it: ` n=N ns=NS ns_per_rt=X
    /// rt_per_s=Y` and the kernel's costs per round trip.
    pub fn round_trips(self, n: u64, measured: &Measured) -> ResultLine {
        self.timed("rt", n, measured).field("rt_per_s", per_second(n, measured.ns)).costs(&measured.costs, n)
    }

    /// The line, without a line end.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_to_the_nearest_last_digit() {
        assert_eq!(Decimal::ratio(10, 4, 1).to_string(), "2.5");
        assert_eq!(Decimal::ratio(2, 3, 2).to_string(), "0.67");
        assert_eq!(Decimal::ratio(1, 3, 2).to_string(), "0.33");
        assert_eq!(Decimal::ratio(7, 1, 0).to_string(), "7");
        assert_eq!(Decimal::ratio(1, 200, 2).to_string(), "0.01");
        assert_eq!(Decimal::ratio(1, 201, 2).to_string(), "0.00");
        assert_eq!(Decimal::ratio(5, 0, 1).to_string(), "0.0");
    }

    #[test]
    fn rates_match_the_hand_computed_figures() {
        // 20,000 round trips in 0.12 s.
        assert_eq!(ns_per(120_000_000, 20_000).to_string(), "6000.0");
        assert_eq!(per_second(20_000, 120_000_000).to_string(), "166666.7");
        // 16 MiB in 10 ms: 1677.72 MB/s (10^6 bytes, as the Linux peer).
        assert_eq!(megabytes_per_second(16 << 20, 10_000_000).to_string(), "1677.72");
        assert_eq!(ns_per(1_234, 10).to_string(), "123.4");
        // No overflow at the largest figures.
        assert_eq!(per_second(u64::MAX, 1).to_string(), format!("{}.0", u64::MAX as u128 * 1_000_000_000));
    }

    #[test]
    fn a_line_has_the_peer_shape() {
        let line =
            ResultLine::new("bulk-sock").field("chunk", 4096).field("MBps", megabytes_per_second(1_000_000, 1_000_000));
        assert_eq!(line.as_str(), "RESULT bulk-sock chunk=4096 MBps=1000.00");
    }

    #[test]
    fn costs_are_per_operation() {
        let costs = CostCounters { entries: 24_001, switches: 8_000, space_switches: 6_000, ..Default::default() };
        let line = ResultLine::new("ipc").costs(&costs, 2_000);
        assert_eq!(line.as_str(), "RESULT ipc entries_per_op=12.00 switches_per_op=4.00 cr3_per_op=3.00");
        let none = ResultLine::new("x").costs(&CostCounters::default(), 0);
        assert_eq!(none.as_str(), "RESULT x entries_per_op=0.00 switches_per_op=0.00 cr3_per_op=0.00");
    }

    /// 2,000 operations in 120 µs with 24,001 kernel entries.
    fn measured() -> Measured {
        let costs = CostCounters { entries: 24_001, switches: 8_000, space_switches: 6_000, ..Default::default() };
        Measured { ns: 120_000, costs }
    }

    #[test]
    fn a_round_trip_line_has_every_figure_in_order() {
        let line = ResultLine::new("pp-sock-64").field("pairs", 64).round_trips(2_000, &measured());
        assert_eq!(
            line.as_str(),
            "RESULT pp-sock-64 pairs=64 n=2000 ns=120000 ns_per_rt=60.0 rt_per_s=16666666.7 \
             entries_per_op=12.00 switches_per_op=4.00 cr3_per_op=3.00"
        );
    }

    #[test]
    fn a_timed_line_names_its_operation() {
        let line = ResultLine::new("sys").field("call", "no-such-call").timed("call", 2_000, &measured());
        assert_eq!(line.as_str(), "RESULT sys call=no-such-call n=2000 ns=120000 ns_per_call=60.0");
        let idle = ResultLine::new("conn").timed("cycle", 0, &Measured::default());
        assert_eq!(idle.as_str(), "RESULT conn n=0 ns=0 ns_per_cycle=0.0");
    }
}
