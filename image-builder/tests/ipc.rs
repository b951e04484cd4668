//! `ipctest`, run from the shell: the kernel's IPC and authority rules checked from user
//! space, one `ok - ...` line per check and a final `N passed, 0 failed`.
//!
//! One boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`; see `common` for how
//! prompts and answers are read.

mod common;

use common::Shell;

/// The checks ipctest must report as passed, by the words of their lines.
const CHECKS: &[&str] = &[
    "deferred replies answered out of order",
    "lease access past bounds refused with LeaseBounds",
    "lease-to-lease copy",
    "overlapping leases copy like memmove",
    "caller of a killed server wakes with PeerDied",
    "call to a stale task id fails with PeerDied",
    "a non-init task cannot bind a name",
    "a program cannot kill init",
    "a program cannot power off",
    "100 tasks created and destroyed leave free frames unchanged",
];

#[test]
fn ipctest_passes_every_check_and_cleans_up() {
    let mut shell = Shell::boot();
    let tasks_before = shell.ps();

    let report = shell.run("ipctest");
    let failures: Vec<&String> = report.iter().filter(|line| line.starts_with("FAIL")).collect();
    shell.check(failures.is_empty(), &format!("ipctest failures: {failures:?}"));
    for check in CHECKS {
        shell.check(report.contains(&format!("ok - {check}")), &format!("ipctest did not pass `{check}`: {report:?}"));
    }
    let passed = report.iter().filter(|line| line.starts_with("ok - ")).count();
    let summary = report.last().map(String::as_str).unwrap_or("");
    shell.check(
        summary == format!("{passed} passed, 0 failed"),
        &format!("last line {summary:?} after {passed} passed checks"),
    );
    shell.check(report.len() == passed + 1, &format!("ipctest printed more than its checks and summary: {report:?}"));

    // Its servers and clients are all gone; nothing else changed.
    let tasks_after = shell.ps();
    let summary =
        |rows: &[common::PsRow]| -> Vec<(u32, String)> { rows.iter().map(|row| (row.id, row.name.clone())).collect() };
    shell.check(
        summary(&tasks_after) == summary(&tasks_before),
        &format!("tasks before ipctest {tasks_before:?}, after {tasks_after:?}"),
    );
    shell.machine.kill();
}
