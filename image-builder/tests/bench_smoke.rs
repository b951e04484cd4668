//! `sockbench` run once from the shell with small counts, as a smoke test of the
//! benchmark program itself: it must finish, print every `RESULT` line, deliver the bulk
//! data intact (checksums match) and leave no helper task behind. No timing is
//! asserted (timings on a shared host under plain TCG say nothing), but the
//! kernel's cost counters are: they count events, not time.
//!
//! One boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`; see `common` for how
//! prompts and answers are read.

mod common;

use std::time::Duration;

use common::{Shell, lines, ok};

/// Small counts: 200 round trips, 64 KiB per bulk run.
const COMMAND: &str = "sockbench 200 65536";
/// The whole run spawns about 130 tasks; generous for a loaded host.
const RUN_LIMIT: Duration = Duration::from_secs(90);
/// The `RESULT` names, in the order sockbench prints them.
const RESULTS: &[&str] = &["boot", "sys", "ipc", "pp-sock", "bulk-sock", "bulk-sock", "conn", "pp-sock-64", "fan-in"];

/// The value of `key=` in a RESULT line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn sockbench_completes_with_intact_bulk_data() {
    let mut shell = Shell::boot();
    let tasks_before = shell.ps().len();

    shell.send(&format!("{COMMAND}\r"));
    ok(shell.machine.expect(COMMAND, RUN_LIMIT));
    let output = ok(shell.machine.expect("\n$ ", RUN_LIMIT));
    let report = lines(output.strip_suffix("$ ").unwrap_or(&output));

    let errors: Vec<&String> = report
        .iter()
        .filter(|line| line.starts_with("sockbench:") || line.starts_with("sockbench "))
        .filter(|line| !line.starts_with("sockbench clock:"))
        .collect();
    shell.check(errors.is_empty(), &format!("sockbench reported errors: {errors:?}"));
    let results: Vec<&String> = report.iter().filter(|line| line.starts_with("RESULT ")).collect();
    let names: Vec<&str> = results.iter().filter_map(|line| line.split_whitespace().nth(1)).collect();
    shell.check(names == RESULTS, &format!("RESULT lines {names:?}, expected {RESULTS:?}"));

    let bulk: Vec<&&String> = results.iter().filter(|line| line.starts_with("RESULT bulk-sock ")).collect();
    let chunks: Vec<Option<&str>> = bulk.iter().map(|line| field(line, "chunk")).collect();
    shell.check(chunks == [Some("4096"), Some("65536")], &format!("bulk chunks {chunks:?}"));
    for line in &bulk {
        shell.check(field(line, "check") == Some("ok"), &format!("checksum mismatch: {line}"));
        shell.check(field(line, "bytes") == Some("65536"), &format!("wrong size: {line}"));
    }
    for line in &results {
        let name = line.split_whitespace().nth(1).unwrap_or("");
        let rate = match name {
            "sys" => "ns_per_call",
            "ipc" | "pp-sock" | "pp-sock-64" => "ns_per_rt",
            "bulk-sock" => "MBps",
            "conn" => "cycles_per_s",
            _ => "ns",
        };
        let value: Option<f64> = field(line, rate).and_then(|text| text.parse().ok());
        shell.check(value.is_some_and(|value| value > 0.0), &format!("no positive {rate} in {line}"));
    }

    // The counters on every timed line; the kernel alone is exact up to a
    // timer tick: a null syscall is one entry, a null round trip two entries,
    // two switches and two address-space switches.
    for line in results.iter().filter(|line| !line.starts_with("RESULT boot ")) {
        for key in ["entries_per_op", "switches_per_op", "cr3_per_op"] {
            shell.check(field(line, key).is_some(), &format!("no {key} in {line}"));
        }
    }
    let per_op = |name: &str, key: &str| -> f64 {
        let line = results.iter().find(|line| line.split_whitespace().nth(1) == Some(name));
        line.and_then(|line| field(line, key)).and_then(|text| text.parse().ok()).unwrap_or(-1.0)
    };
    let near = |value: f64, expected: f64| (expected..expected + 0.05).contains(&value);
    shell.check(near(per_op("sys", "entries_per_op"), 1.0), "sys: not one entry per call");
    for key in ["entries_per_op", "switches_per_op", "cr3_per_op"] {
        shell.check(near(per_op("ipc", key), 2.0), &format!("ipc: {key} is not 2 per round trip"));
    }
    // A 1-byte socket round trip is four calls to netd and netd's four
    // receives, which carry the answers (reply_recv, reply2_recv): the data
    // rides in the messages, so no lease call adds an entry. Timer ticks
    // add a little here, where the machine is not under icount.
    let pp_entries = per_op("pp-sock", "entries_per_op");
    shell.check((8.0..8.5).contains(&pp_entries), &format!("pp-sock: {pp_entries} entries per round trip, not 8"));

    // Every helper it spawned has ended.
    let tasks_after = shell.ps().len();
    shell.check(tasks_after == tasks_before, &format!("{tasks_before} tasks before sockbench, {tasks_after} after"));
    let status = shell.poweroff();
    shell.check(status == common::POWEROFF_STATUS, &format!("poweroff ended QEMU with {status}"));
}
