//! `sockbench`: syscall, IPC and socket benchmarks, one `RESULT` line each.
//!
//! `sockbench [BENCH] [ROUND_TRIPS [BULK_BYTES]]` runs the benchmarks (see
//! `bench::plan`); every measurement is a `rdtsc` delta taken in this task,
//! converted with the rate measured at start (exactly one tick per ns under
//! QEMU's `-icount shift=0`). The peers it measures against are copies of
//! itself in helper roles (`roles.rs`), started through init. Each benchmark
//! that fails prints `sockbench: NAME: ERROR` and the others still run; the
//! exit status is the number of failures. `docs/benchmarks.md` describes
//! each measurement.
#![no_std]
#![no_main]

extern crate alloc;

mod clock;
mod fan_in;
mod kernel;
mod net;
mod pairs;
mod roles;
mod socket;

use alloc::format;
use alloc::string::String;

use abi::TaskId;
use bench::clock::TickRate;
use bench::plan::{self, Bench, Invocation, Plan};
use bench::report::{Measured, ResultLine};
use urt::println;
use urt::supervisor;

urt::entry!(main);

fn main() -> i32 {
    // First thing: how long the machine has been up when the shell ran us.
    let boot_ns = urt::now_ns();
    let boot_ticks = clock::ticks();
    match plan::parse(urt::args().skip(1)) {
        Ok(Invocation::Run(plan)) => run(&plan, boot_ns, boot_ticks),
        Ok(Invocation::Role(role)) => roles::run(role),
        Ok(Invocation::Help) => {
            println!("{}", plan::USAGE);
            0
        }
        Err(usage) => {
            println!("sockbench: {}\n{}", usage.0, plan::USAGE);
            2
        }
    }
}

/// What a benchmark run needs besides its counts.
pub struct Bencher {
    pub rate: TickRate,
}

impl Bencher {
    /// Nanoseconds of a tick delta.
    pub fn ns(&self, ticks: u64) -> u64 {
        self.rate.to_ns(ticks)
    }

    /// A lap in nanoseconds.
    pub fn measured(&self, lap: clock::Lap) -> Measured {
        Measured { ns: self.ns(lap.ticks), costs: lap.costs }
    }
}

/// Prints one finished result.
pub fn emit(line: ResultLine) {
    println!("{}", line.as_str());
}

fn run(plan: &Plan, boot_ns: u64, boot_ticks: u64) -> i32 {
    let rate = clock::calibrate();
    let mode = if rate.is_one_per_ns() { "1 tick = 1 ns (icount)" } else { "scaled to ns" };
    println!("sockbench clock: rdtsc at {} ticks/ms, {mode}", rate.ticks_per_ms());
    let bencher = Bencher { rate };
    let mut failures = 0;
    for bench in Bench::ALL.into_iter().filter(|&bench| plan.runs(bench)) {
        let outcome = match bench {
            Bench::Boot => {
                emit(ResultLine::new("boot").field("ns", boot_ns).field("reset_ns", rate.to_ns(boot_ticks)));
                Ok(())
            }
            Bench::Sys => kernel::null_syscall(&bencher, plan),
            Bench::Ipc => kernel::null_ipc(&bencher, plan),
            Bench::PpSock => socket::ping_pong(&bencher, plan),
            Bench::BulkSock => socket::bulk(&bencher, plan),
            Bench::Conn => socket::connections(&bencher, plan),
            Bench::PpSock64 => pairs::ping_pong_pairs(&bencher, plan),
            Bench::FanIn => fan_in::fan_in(&bencher, plan),
        };
        if let Err(why) = outcome {
            println!("sockbench: {}: {why}", bench.name());
            failures += 1;
        }
    }
    failures
}

/// Starts a copy of this program in a helper role.
pub fn spawn(argv: &[&str]) -> Result<TaskId, String> {
    supervisor::spawn(argv, false).map_err(|err| format!("spawn {}: {err}", argv.join(" ")))
}

/// Waits for a helper and turns anything but exit status 0 into an error.
pub fn wait_ok(task: TaskId, what: &str) -> Result<(), String> {
    match supervisor::wait(task) {
        Ok(urt::proto::init::Ended::Exited(0)) => Ok(()),
        Ok(ended) => Err(format!("{what} ended with {ended}")),
        Err(err) => Err(format!("waiting for {what}: {err}")),
    }
}
