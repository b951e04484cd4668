//! `sockstress` typed at the shell: many connections at once, every message
//! checked (sequence numbers and checksums), while clients are killed
//! mid-transfer. The run must end with its summary line showing nothing
//! lost, duplicated or corrupted, and resets for the killed clients; the
//! shell, netd and the task table must be as before (no helper task, no
//! socket left behind).
//!
//! The short run is part of `make test`; `make stress` runs the long one
//! (16 pairs, 100,000 messages, about 1,000 kills). One boot each, of the
//! artifacts named by `MK_KERNEL` / `MK_INITRD`.

mod common;

use std::time::{Duration, Instant};

use common::{Shell, lines, ok};
use image_builder::qemu::{BootOptions, Machine};

/// The summary's fields, in order.
const FIELDS: [&str; 7] = ["pairs", "messages", "bytes", "lost", "duplicated", "corrupted", "resets"];

/// `sockstress: pairs=P messages=M ...` as numbers, in [`FIELDS`] order.
fn summary(line: &str) -> Option<Vec<u64>> {
    let rest = line.strip_prefix("sockstress: ")?;
    let pairs: Vec<&str> = rest.split(' ').collect();
    if pairs.len() != FIELDS.len() {
        return None;
    }
    pairs.iter().zip(FIELDS).map(|(pair, name)| pair.strip_prefix(name)?.strip_prefix('=')?.parse().ok()).collect()
}

/// Boots with an overall limit of `limit` and waits for the first prompt.
fn boot(limit: Duration) -> Shell {
    let options = BootOptions { timeout: limit, ..BootOptions::from_env() };
    let mut machine = ok(Machine::boot(options));
    ok(machine.expect("microkernel 0.1.0", common::STEP));
    ok(machine.expect("\n$ ", common::STEP));
    Shell { machine }
}

/// Runs `sockstress ARGS`, waiting up to `limit`; checks that it printed
/// exactly its summary line and that the line is clean: the messages asked
/// for, payload bytes, lost/duplicated/corrupted 0, at least `min_resets`
/// resets. Returns the summary and how long the run took.
fn run_clean(shell: &mut Shell, args: &str, limit: Duration, min_resets: u64) -> (Vec<u64>, Duration) {
    let command = format!("sockstress {args}");
    let started = Instant::now();
    shell.send(&format!("{command}\r"));
    ok(shell.machine.expect(&command, common::STEP));
    let output = ok(shell.machine.expect("\n$ ", limit));
    let took = started.elapsed();
    let report = lines(output.strip_suffix("$ ").unwrap_or(&output));
    let numbers = match report.as_slice() {
        [line] => summary(line),
        _ => None,
    };
    let Some(numbers) = numbers else {
        shell.fail(&format!("`{command}` should print one summary line, printed {report:?}"));
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    let asked: Vec<u64> = words[words.len() - 2..].iter().map(|n| n.parse().unwrap()).collect();
    let [pairs, messages, bytes, lost, duplicated, corrupted, resets] = numbers[..] else {
        unreachable!("summary() gives all fields");
    };
    shell.check(
        [pairs, messages] == asked[..] && bytes >= messages,
        &format!("`{command}` verified the wrong amount: {report:?}"),
    );
    shell.check((lost, duplicated, corrupted) == (0, 0, 0), &format!("`{command}` saw damage: {report:?}"));
    shell.check(resets >= min_resets, &format!("`{command}`: too few resets, {report:?}"));
    (numbers, took)
}

/// No socket and no helper task is left, and the shell still answers.
fn nothing_left(shell: &mut Shell, tasks_before: usize) {
    let table = shell.run("netstat");
    shell.check(table == ["no sockets"], &format!("netstat after sockstress: {table:?}"));
    let tasks_after = shell.ps().len();
    shell.check(tasks_after == tasks_before, &format!("{tasks_before} tasks before sockstress, {tasks_after} after"));
}

#[test]
fn sockstress_delivers_every_message_while_clients_are_killed() {
    let mut shell = boot(Duration::from_secs(150));
    let tasks_before = shell.ps().len();

    // 8 pairs, 4,000 messages, a kill per 100: 3 s on an idle host under
    // TCG, 6 s on a loaded one.
    let (numbers, took) = run_clean(&mut shell, "8 4000", Duration::from_secs(60), 20);
    eprintln!("sockstress 8 4000: {took:?}, summary {numbers:?}");
    nothing_left(&mut shell, tasks_before);

    // The kill rate and seed are taken: no kills, no resets.
    let (numbers, _) = run_clean(&mut shell, "--kill-every 0 --seed 7 2 300", Duration::from_secs(30), 0);
    shell.check(numbers[6] == 0, &format!("resets without kills: {numbers:?}"));
    nothing_left(&mut shell, tasks_before);

    let usage = shell.run("sockstress 4");
    shell.check(
        usage.len() == 3
            && usage[..2]
                == [
                    "sockstress: PAIRS and MESSAGES are needed",
                    "usage: sockstress [--kill-every N] [--seed S] PAIRS MESSAGES",
                ]
            && common::is_exit_report(&usage[2], "sockstress", "status 2"),
        &format!("`sockstress 4` answered {usage:?}"),
    );
    let status = shell.poweroff();
    shell.check(status == common::POWEROFF_STATUS, &format!("poweroff ended QEMU with {status}"));
}

/// `make stress`: `sockstress 16 100000` (one kill per 100 messages, about
/// 1.5 minutes on an idle host under TCG), then `sockstress 16 900000` in the
/// same boot, so that a million messages are verified in all.
#[test]
#[ignore = "long: run by `make stress`"]
fn sockstress_survives_a_long_run_with_a_thousand_kills() {
    const RUNS: [(&str, u64); 2] = [("16 100000", 900), ("16 900000", 8_000)];
    let limit = Duration::from_secs(40 * 60);
    let mut shell = boot(2 * limit);
    let tasks_before = shell.ps().len();
    let mut totals = [0u64; 7];
    for (args, min_resets) in RUNS {
        let (numbers, took) = run_clean(&mut shell, args, limit, min_resets);
        eprintln!("sockstress {args}: {took:?}, summary {numbers:?}");
        nothing_left(&mut shell, tasks_before);
        for (total, n) in totals.iter_mut().zip(&numbers) {
            *total += n;
        }
    }
    let [_, messages, bytes, lost, duplicated, corrupted, resets] = totals;
    let command = "sockstress 16 100000; sockstress 16 900000";
    common::figure("stress messages verified (sockstress, 16 pairs at once)", messages as i64, command);
    common::figure("stress bytes verified (sockstress)", bytes as i64, command);
    common::figure("clients killed mid-transfer (sockstress)", resets as i64, command);
    common::figure("bytes lost, duplicated or corrupted (sockstress)", (lost + duplicated + corrupted) as i64, command);
    let (free, _, _) = shell.mem();
    shell.check(free > 0, "no memory left");
}
