//! Attacks through `fork` (init's `FORK` on the kernel's `task_fork`): a
//! flood of copies, which the job's task quota stops, and a copy that runs
//! out of the job's memory part-way, which must give back what it took.

use abi::{KernelError, PAGE_SIZE, map_flags};
use urt::println;
use urt::supervisor::{self, Forked};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[
    Attack { name: "fork-flood", about: "fork until refused; the copies live MS milliseconds", run: fork_flood },
    Attack { name: "fork-oversized", about: "fill 3/5 of the job's share, then fork", run: fork_oversized },
];

/// Where the oversized task maps its memory: far above the heap.
const FILL_BASE: u64 = 0x0000_5000_0000_0000;

fn fork_flood(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let live_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000u64);
    let mut forked = 0u32;
    let refusal = loop {
        match supervisor::fork() {
            Ok(Forked::Child) => {
                let _ = urt::time::sleep(live_ms);
                urt::exit(0);
            }
            Ok(Forked::Parent(_)) => forked += 1,
            Err(err) => break err,
        }
    };
    println!("fork-flood: forked {forked} (then: {refusal})");
    let mut collected = 0u32;
    while supervisor::wait_any().is_ok() {
        collected += 1;
    }
    println!("fork-flood: collected {collected}");
    0
}

fn fork_oversized(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let Ok(before) = urt::sys::stats() else { return 1 };
    let room = before.job_frame_limit.saturating_sub(before.job_frames);
    let fill = room * 3 / 5 * PAGE_SIZE as u64;
    let mut mapped = 0;
    while mapped < fill {
        let step = (fill - mapped).min(abi::MAX_LEASE_LEN);
        if urt::sys::map(FILL_BASE + mapped, step, map_flags::WRITE).is_err() {
            break;
        }
        mapped += step;
    }
    let Ok(filled) = urt::sys::stats() else { return 1 };
    let outcome = supervisor::fork();
    if outcome == Ok(Forked::Child) {
        urt::exit(0);
    }
    let Ok(after) = urt::sys::stats() else { return 1 };
    let refused = outcome == Err(KernelError::NoMemory);
    println!(
        "fork-oversized: mapped {} frames; fork: {}; job frames {} before the fork, {} after",
        mapped / PAGE_SIZE as u64,
        match outcome {
            Ok(_) => alloc::string::String::from("a copy was made"),
            Err(err) => alloc::format!("{err}"),
        },
        filled.job_frames,
        after.job_frames
    );
    if refused && after.job_frames == filled.job_frames { 0 } else { 1 }
}
