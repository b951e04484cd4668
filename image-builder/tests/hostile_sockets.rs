//! Attacks on netd by the `hostile` program, typed at the shell: a program
//! whose children flood the socket table is held to its job's quota while an
//! unrelated program still listens and connects, and its sockets go when it
//! is killed; a program that has taken all the memory its job may have
//! still gets socket results, and netd never restarts.
//!
//! Each test is one QEMU boot of the artifacts named by `MK_KERNEL` /
//! `MK_INITRD` (the image needs hostile, nc and netstat).

mod common;

use common::Shell;

/// `libsock::limits::MAX_SOCKETS_PER_JOB`.
const MAX_SOCKETS_PER_JOB: usize = 256;
const REFUSED: &str = "refused: E_FAIL (-1028)";

/// netstat's rows whose owner is named `name`.
fn rows_owned_by(table: &[String], name: &str) -> usize {
    table.iter().filter(|row| row.split_whitespace().nth(3) == Some(name)).count()
}

/// Asks netstat until `done` holds for its table; fails after 50 tries.
fn wait_netstat(shell: &mut Shell, what: &str, done: impl Fn(&[String]) -> bool) {
    for _ in 0..50 {
        if done(&shell.run("netstat")) {
            return;
        }
        shell.run("sleep 100");
    }
    shell.fail(&format!("netstat never showed {what}"));
}

/// netd's restart count, from `ps`.
fn netd_restarts(shell: &mut Shell) -> u32 {
    let rows = shell.ps();
    match rows.iter().find(|row| row.name == "netd") {
        Some(row) => row.restarts,
        None => shell.fail("ps lists no netd"),
    }
}

/// The first line of the serial log since `from` that starts with `prefix`.
fn line_since(shell: &Shell, from: usize, prefix: &str) -> Option<String> {
    let output = shell.machine.output();
    output.get(from..)?.lines().map(str::trim).find(|line| line.starts_with(prefix)).map(String::from)
}

/// Waits, typing `sleep 100` meanwhile, for a line starting with `prefix`
/// printed since `from` by a program in the background.
fn wait_line(shell: &mut Shell, from: usize, prefix: &str) -> String {
    for _ in 0..100 {
        if let Some(line) = line_since(shell, from, prefix) {
            return line;
        }
        shell.run("sleep 100");
    }
    shell.fail(&format!("nothing printed a line starting {prefix:?}"))
}

/// An `nc` listener on `port` gets a message from an `nc` client.
fn unrelated_programs_talk(shell: &mut Shell, port: u16) {
    let from = shell.machine.output().len();
    shell.run(&format!("nc -l {port} &"));
    wait_netstat(shell, "the nc listener", |table| {
        table.iter().any(|row| row.starts_with(&format!("{port} ")) && row.contains("listening"))
    });
    shell.run(&format!("nc localhost {port} hello &"));
    wait_line(shell, from, "hello");
    let since = shell.machine.output()[from..].to_string();
    shell.check(
        !since.lines().any(|line| line.contains("nc: ") && line.contains("(-10")),
        &format!("an nc call failed:\n{since}"),
    );
}

#[test]
fn a_flooding_job_meets_its_quota_and_other_programs_still_use_sockets() {
    let mut shell = Shell::boot();
    let from = shell.machine.output().len();
    shell.run("hostile socket-flood &");
    let report = wait_line(&mut shell, from, "socket-flood: ");
    let held: Option<usize> = report
        .strip_prefix("socket-flood: the job holds ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    shell.check(
        held == Some(MAX_SOCKETS_PER_JOB) && report.ends_with(REFUSED),
        &format!("the flood should stop at the job's quota: {report:?}"),
    );
    let table = shell.run("netstat");
    assert_eq!(rows_owned_by(&table, "hostile"), MAX_SOCKETS_PER_JOB);

    unrelated_programs_talk(&mut shell, 7_000);

    shell.run("kill hostile");
    wait_netstat(&mut shell, "the flood's sockets gone", |table| rows_owned_by(table, "hostile") == 0);
    assert_eq!(netd_restarts(&mut shell), 0);
}

#[test]
fn netd_serves_a_job_that_has_taken_all_its_memory() {
    let mut shell = Shell::boot();
    let answer = shell.run("hostile socket-memory");
    let report = answer
        .iter()
        .find(|line| line.starts_with("socket-memory: mapped "))
        .cloned()
        .unwrap_or_else(|| shell.fail(&format!("no report from socket-memory: {answer:?}")));
    let mapped_kib: u64 = report
        .strip_prefix("socket-memory: mapped ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // The job's share is a quarter of the memory outside the system reserve.
    shell.check(
        mapped_kib >= 16 * 1024 && report.contains("until refused (") && report.ends_with(" 0 other"),
        &format!("every call should end in a result or E_FAIL after the job's memory is gone: {report:?}"),
    );
    shell.check(!shell.machine.output().contains("netd: panic"), "netd panicked");
    assert_eq!(netd_restarts(&mut shell), 0);
    unrelated_programs_talk(&mut shell, 7_001);
    assert_eq!(netd_restarts(&mut shell), 0);
}
