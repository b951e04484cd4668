//! Restarting netd, typed at the shell like a person would: `restart netd`,
//! `kill netd` and `crash netd` while clients are blocked in netd; twenty
//! restarts while two pairs of `sockloop` exchange data; and the restart
//! budget with a netd that crashes at every start (`crash netd always`).
//!
//! Each test is one QEMU boot of the artifacts named by `MK_KERNEL` /
//! `MK_INITRD` (the image needs netd, nc, netstat and sockloop). Output that
//! programs print by themselves is waited for in the serial log, never by
//! sleeping and hoping; the shell's job reports come at its prompts.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{PsRow, STEP, Shell};

/// `nc`'s line when netd restarts under it (docs/socket-contract.md, section 2).
const NC_RESET: &str = "nc: recv: E_CONNECTION_RESET_BY_REMOTE (-1030)";
/// sockloop's failure lines name the call, the reset, and the count so far.
const SOCKLOOP_RESET: &str = ": E_CONNECTION_RESET_BY_REMOTE (-1030) after ";
const SOCKLOOP_OK: &str = "sockloop: ok ";
const GIVE_UP: &str = "init: netd crashed more than 5 times in 10 s; not restarting it";
/// Restarts of the long test; mixed causes, at most 5 crashes in all, so the
/// budget never stops netd whatever the pace.
const ROUNDS: u32 = 20;
/// Messages a looping client asks for: far more than fit between restarts.
const ENDLESS: u32 = 1_000_000;

fn netd_row(shell: &mut Shell) -> Option<PsRow> {
    shell.ps().into_iter().find(|row| row.name == "netd")
}

/// Checks that `answer` (a command's output) reports netd's restart number `n`.
fn check_restarted(shell: &Shell, answer: &[String], n: u32) {
    let wanted = format!("(restart {n})");
    shell.check(
        answer.iter().any(|l| l.starts_with("init: netd restarted as task ") && l.ends_with(&wanted)),
        &format!("no `init: netd restarted as task N {wanted}` in {answer:?}"),
    );
}

/// The tasks `ps` lists, by name and id (states change with what runs).
fn task_names(rows: &[PsRow]) -> Vec<(u32, String)> {
    rows.iter().map(|row| (row.id, row.name.clone())).collect()
}

/// `nc -l 7000 &` and `nc localhost 7000 hello &`, both blocked in netd,
/// then `action`: both get the reset and exit 1, and sockets work again.
fn blocked_clients_see_the_reset(action: &str) {
    let mut shell = Shell::boot_for(Duration::from_secs(300));
    let tasks_before = task_names(&shell.ps());
    let (free_before, _, _) = shell.mem();

    shell.run("nc -l 7000 &");
    shell.wait_listening(7000);
    shell.run("nc localhost 7000 hello &");
    assert_eq!(shell.expect_line("hello"), "hello");
    shell.wait_blocked("nc", 2);

    let from = shell.mark();
    let answer = shell.run(action);
    if action.starts_with("crash") {
        shell.check(
            answer.iter().any(|l| l.starts_with("fault: task ") && l.contains("(netd) injected fault, rip 0x")),
            &format!("`{action}` should end netd with an injected fault: {answer:?}"),
        );
    } else {
        shell.check(
            answer.iter().any(|l| l.starts_with("init: netd (task ") && l.ends_with("exited (killed)")),
            &format!("`{action}` should report netd's end: {answer:?}"),
        );
    }
    check_restarted(&shell, &answer, 1);
    shell.wait_printed(from, NC_RESET, 2, STEP);
    shell.wait_reports(from, "nc exited (status 1)", 2);
    let netd = netd_row(&mut shell);
    shell.check(
        netd.is_some_and(|row| row.restarts == 1 && row.state == "recv"),
        "ps should show netd running, restarted once",
    );

    // No reboot: the new netd serves new sockets on the same port.
    shell.run("nc -l 7000 &");
    shell.wait_listening(7000);
    shell.run("nc localhost 7000 again &");
    assert_eq!(shell.expect_line("again"), "again");
    let from = shell.mark();
    shell.run("kill nc");
    shell.wait_reports(from, "nc exited (killed)", 2);
    let table = shell.run("netstat");
    shell.check(
        table.iter().any(|l| l.contains("no sockets")),
        &format!("netstat should show no sockets once both nc are gone: {table:?}"),
    );
    let tasks_after = task_names(&shell.ps());
    shell.check(tasks_after == tasks_before, &format!("ps should list the tasks of before: {tasks_after:?}"));
    let (free_after, _, _) = shell.mem();
    shell.check(free_after == free_before, &format!("free frames {free_before} before, {free_after} after"));
}

#[test]
fn restart_netd_resets_blocked_clients_and_sockets_work_again() {
    blocked_clients_see_the_reset("restart netd");
}

#[test]
fn kill_netd_is_followed_by_a_restart() {
    blocked_clients_see_the_reset("kill netd");
}

#[test]
fn crash_netd_injects_a_fault_and_init_restarts_it() {
    blocked_clients_see_the_reset("crash netd");
}

/// `crash netd hang` restarts netd spinning, answering nothing: init and the
/// shell go on serving (`ps` answers at once), and `crash netd` or `restart
/// netd` recover it, since init never waits on netd.
#[test]
fn a_netd_that_answers_nothing_is_still_crashed_and_restarted() {
    let mut shell = Shell::boot_for(Duration::from_secs(300));
    let mut restarts = 0;
    for recovery in ["crash netd", "restart netd"] {
        let answer = shell.run("crash netd hang");
        restarts += 1;
        check_restarted(&shell, &answer, restarts);
        // The new netd spins: it is running, never waiting in recv.
        for _ in 0..3 {
            let netd = netd_row(&mut shell);
            shell.check(
                netd.as_ref().is_some_and(|row| row.state == "run"),
                &format!("netd after `crash netd hang`: {netd:?}"),
            );
        }
        let answer = shell.run(recovery);
        restarts += 1;
        check_restarted(&shell, &answer, restarts);
        let netd = netd_row(&mut shell);
        shell.check(
            netd.as_ref().is_some_and(|row| row.state == "recv"),
            &format!("after `{recovery}` netd should wait in recv again: {netd:?}"),
        );
        shell.run("nc -l 7100 &");
        shell.wait_listening(7100);
        shell.run("nc localhost 7100 alive &");
        assert_eq!(shell.expect_line("alive"), "alive");
        shell.run("kill nc");
    }
}

/// The numbers after `needle` in `text` (a count each outcome line ends with).
fn numbers_after(text: &str, needle: &str) -> Vec<u64> {
    text.match_indices(needle)
        .map(|(at, _)| {
            let digits: String = text[at + needle.len()..].chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap_or(0)
        })
        .collect()
}

#[test]
fn twenty_restarts_while_two_pairs_exchange_data() {
    let mut shell = Shell::boot_for(Duration::from_secs(900));
    let tasks_before = task_names(&shell.ps());
    let (free_before, _, _) = shell.mem();

    for round in 1..=ROUNDS {
        let action = match round % 4 {
            1 => "kill netd",
            3 => "crash netd",
            _ => "restart netd",
        };
        let from = shell.mark();
        shell.run("sockloop server 7100 &");
        shell.run("sockloop server 7200 &");
        shell.run(&format!("sockloop client 7100 {ENDLESS} &"));
        shell.run(&format!("sockloop client 7200 {ENDLESS} &"));
        shell.wait_printed(from, "sockloop: connected to port ", 2, STEP);
        shell.run("sleep 100");

        let answer = shell.run(action);
        check_restarted(&shell, &answer, round);
        // Each of the four prints exactly one outcome, then the shell reports it.
        let outcomes = |shell: &Shell| {
            let text = shell.since(from);
            text.matches(SOCKLOOP_RESET).count()
                + text.matches(SOCKLOOP_OK).count()
                + text.matches("sockloop: wrong").count()
        };
        let deadline = Instant::now() + STEP;
        while outcomes(&shell) < 4 {
            shell.check(Instant::now() < deadline, &format!("round {round}: not every sockloop ended"));
            sleep(Duration::from_millis(20));
        }
        shell.wait_reports(from, "sockloop exited (status ", 4);
        let text = shell.since(from);
        shell.check(
            !text.contains("sockloop: wrong") && outcomes(&shell) == 4,
            &format!("round {round} ({action}): each program completes or reports -1030, once"),
        );
        let statuses_ok =
            text.matches("sockloop exited (status 1)").count() + text.matches("sockloop exited (status 0)").count();
        shell.check(statuses_ok == 4, &format!("round {round}: exit statuses other than 0 and 1"));
        let exchanged: u64 =
            numbers_after(&text, SOCKLOOP_RESET).iter().chain(&numbers_after(&text, SOCKLOOP_OK)).sum();
        shell.check(exchanged > 0, &format!("round {round}: no data moved before `{action}`"));
    }

    // A pair that runs to the end against the twentieth netd.
    let from = shell.mark();
    shell.run("sockloop server 7300 &");
    let answer = shell.run("sockloop client 7300 100");
    shell.check(answer.iter().any(|l| l == "sockloop: ok 100"), &format!("the last client: {answer:?}"));
    shell.wait_reports(from, "sockloop exited (status 0)", 1);
    shell.check(shell.count_since(from, "sockloop: ok 100") == 2, "the last server should echo all 100");

    let rows = shell.ps();
    shell.check(task_names(&rows) == tasks_before, &format!("ps should list the tasks of before: {rows:?}"));
    shell.check(
        rows.iter().any(|row| row.name == "netd" && row.restarts == ROUNDS),
        &format!("ps should count {ROUNDS} restarts of netd: {rows:?}"),
    );
    let (free_after, _, _) = shell.mem();
    shell.check(free_after == free_before, &format!("free frames {free_before} before, {free_after} after"));
}

#[test]
fn the_restart_budget_stops_a_netd_that_crashes_at_start_and_restart_brings_it_back() {
    let mut shell = Shell::boot_for(Duration::from_secs(300));
    let (free_before, _, _) = shell.mem();

    // Restarts and kills asked for at the shell never spend the budget.
    for n in 1..=6 {
        let answer = shell.run(if n % 2 == 0 { "kill netd" } else { "restart netd" });
        check_restarted(&shell, &answer, n);
    }

    let from = shell.mark();
    shell.run("crash netd always");
    // Needs netd to fault at once when started with `--crash-at-start`.
    shell.wait_printed(from, GIVE_UP, 1, STEP);
    let text = shell.since(from);
    let faults = text.lines().filter(|l| l.starts_with("fault: task ") && l.contains("(netd)")).count();
    let restarts = text.matches("init: netd restarted as task ").count();
    shell.check(
        (faults, restarts) == (6, 5),
        &format!("netd should fault 6 times and be restarted 5 times, not {faults} and {restarts}"),
    );
    shell.check(text.contains("(restart 11)") && !text.contains("(restart 12)"), "restart numbers 7..11");
    let netd = netd_row(&mut shell);
    shell.check(netd.is_none(), "ps should not list a stopped netd");
    // It stays stopped: no more attempts after the last line.
    let stopped = shell.mark();
    shell.run("sleep 500");
    shell.check(shell.count_since(stopped, "netd") == 0, "init should not try netd again");

    // `restart netd` brings it back, without the crash flag and with a fresh budget.
    let answer = shell.run("restart netd");
    check_restarted(&shell, &answer, 12);
    let netd = netd_row(&mut shell);
    shell.check(
        netd.is_some_and(|row| row.restarts == 12 && row.state == "recv"),
        "ps should show netd back, restarted 12 times",
    );
    let from = shell.mark();
    shell.run("sockloop server 7400 &");
    let answer = shell.run("sockloop client 7400 20");
    shell.check(answer.iter().any(|l| l == "sockloop: ok 20"), &format!("sockets after the restart: {answer:?}"));
    shell.wait_reports(from, "sockloop exited (status 0)", 1);
    let answer = shell.run("crash netd");
    check_restarted(&shell, &answer, 13);
    let netd = netd_row(&mut shell);
    shell.check(netd.is_some(), "one crash after a fresh budget is restarted");

    let (free_after, _, _) = shell.mem();
    shell.check(free_after == free_before, &format!("free frames {free_before} before, {free_after} after"));
}
