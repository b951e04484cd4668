//! The kernel's IPC fast path changes no outcome: `ipcdigest`, a seeded script of calls,
//! replies, held callers and lease calls between seven tasks, gives the same digests with
//! the fast path on (the default) and off (`fastpath=off` on the kernel command line),
//! while only the first boot carries calls and replies on the fast path.
//!
//! Both boots run under `-icount shift=0`, so that the timer interrupts, which the script
//! never waits for, cannot arrive in bursts that a loaded host would otherwise cause (a
//! burst could end a time slice in the middle of the script and change the order in which
//! the tasks run). Each boot runs the first seed twice, which must agree with itself too.
//! The fast path's own rule is checked on the host against a model of the general path
//! (`kcore::fastpath`).

mod common;

use std::time::Duration;

use common::Shell;
use image_builder::qemu::BootOptions;

/// Seeds and calls per client of the quick run (in `make test`) and the long one (in
/// `make stress`).
const QUICK: (&[u64], u64) = (&[1, 2, 3], 400);
const LONG: (&[u64], u64) = (&[10, 11, 12, 13, 14, 15, 16, 17], 5000);

/// What one boot printed: each run's digest line, and the fast-path counts.
struct Boot {
    digests: Vec<String>,
    fast: Vec<(u64, u64)>,
}

fn boot_and_run(append: Option<&str>, seeds: &[u64], calls: u64) -> Boot {
    let options = BootOptions {
        append: append.map(String::from),
        extra_args: vec!["-icount".into(), "shift=0".into()],
        timeout: Duration::from_secs(600),
        ..BootOptions::from_env()
    };
    let mut shell = Shell::boot_with(options);
    let mut boot = Boot { digests: Vec::new(), fast: Vec::new() };
    for &seed in seeds.iter().take(1).chain(seeds) {
        let output = shell.run_within(&format!("ipcdigest {seed} {calls}"), Duration::from_secs(300));
        let digest = output.iter().find(|line| line.starts_with("ipcdigest: seed="));
        let fast = output.iter().find_map(|line| {
            let counts = line.strip_prefix("ipcdigest: fast path: ")?;
            let mut numbers = counts.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok());
            Some((numbers.next()?, numbers.next()?))
        });
        match (digest, fast) {
            (Some(digest), Some(fast)) => {
                boot.digests.push(digest.clone());
                boot.fast.push(fast);
            }
            _ => shell.fail(&format!("ipcdigest {seed} {calls} printed no digest: {output:?}")),
        }
    }
    shell.check(
        boot.digests[0] == boot.digests[1],
        &format!("the same seed twice in one boot: {:?}", &boot.digests[..2]),
    );
    shell.poweroff();
    boot
}

fn compare(seeds: &[u64], calls: u64) {
    let fast = boot_and_run(None, seeds, calls);
    let general = boot_and_run(Some("fastpath=off"), seeds, calls);
    assert!(
        fast.fast.iter().all(|&(calls, replies)| calls > 0 && replies > 0),
        "the fast path carried nothing: {:?}",
        fast.fast
    );
    assert!(
        general.fast.iter().all(|&counts| counts == (0, 0)),
        "fastpath=off still took the fast path: {:?}",
        general.fast
    );
    assert_eq!(fast.digests, general.digests, "the fast path changed an outcome");
    let carried: u64 = fast.fast.iter().map(|&(calls, replies)| calls + replies).sum();
    println!(
        "FIGURE | IPC calls and replies on the fast path, same digests as without it (ipcdigest) | {carried} | cargo test --release --test ipc_fast_path -- --ignored"
    );
}

#[test]
fn the_fast_path_gives_the_digests_of_the_general_path() {
    compare(QUICK.0, QUICK.1);
}

#[test]
#[ignore = "long: make stress"]
fn the_fast_path_gives_the_digests_of_the_general_path_for_long() {
    compare(LONG.0, LONG.1);
}
