//! The socket extensions typed at the shell: `echod` serving many clients at
//! once while an interactive `nc` gets its replies as they arrive, `nc`
//! showing a server's answer before the next line is typed, `nc -w` giving
//! up on a silent peer, a program blocked in `poll` shown waiting by `ps`,
//! and `restart netd` under programs blocked in `accept` and `poll`.
//!
//! Each test is one QEMU boot; see `common` for how prompts and answers are
//! read. Background servers are waited for with `netstat`, never by sleeping.

mod common;

use std::time::{Duration, Instant};

use common::{Shell, ok};

const CTRL_D: &str = "\u{4}";
const RESET: &str = "E_CONNECTION_RESET_BY_REMOTE (-1030)";

/// Types `line` at an interactive `nc` and waits for the console's echo of
/// it and then nc's print of the answer, without typing anything more.
fn typed_and_answered(shell: &mut Shell, line: &str, answer: &str) {
    shell.send(&format!("{line}\r"));
    assert_eq!(shell.expect_line(line), line, "the console echoes the typed line");
    assert_eq!(shell.expect_line(answer), answer, "nc prints the answer as it arrives");
}

#[test]
fn echod_serves_many_clients_at_once_and_nc_shows_replies_as_they_arrive() {
    let mut shell = Shell::boot();
    shell.run("echod 7 &");
    shell.wait_listening(7);
    // An idle server waits in one poll, in the kernel, using no CPU.
    shell.wait_blocked("echod", 1);

    let answer = shell.run("echoload 7 8 20");
    shell.check(
        answer.iter().any(|l| l == "echoload: 8 clients, 20 messages each, all echoed in order"),
        &format!("echoload: {answer:?}"),
    );

    shell.send("nc localhost 7\r");
    ok(shell.machine.expect("nc localhost 7", common::STEP));
    typed_and_answered(&mut shell, "hello", "hello");
    typed_and_answered(&mut shell, "a second line", "a second line");
    shell.send(CTRL_D);
    shell.expect("$ ");
    let table = shell.run("netstat");
    let rows: Vec<&String> = table.iter().filter(|l| l.trim().starts_with(char::is_numeric)).collect();
    shell.check(
        rows.len() == 1 && rows[0].trim().starts_with("7 ") && rows[0].contains("listening"),
        &format!("only echod's listener should remain: {table:?}"),
    );
    shell.wait_blocked("echod", 1);
}

#[test]
fn nc_shows_the_servers_answer_before_the_next_line_and_gives_up_with_w() {
    let mut shell = Shell::boot();
    shell.run("socktest server 10 &");
    shell.wait_listening(10);
    shell.send("nc localhost 10\r");
    ok(shell.machine.expect("nc localhost 10", common::STEP));
    typed_and_answered(&mut shell, "hello", "hello OK");
    typed_and_answered(&mut shell, "again", "again OK");
    shell.send("exit\r");
    shell.expect_line("nc: connection closed by peer");
    shell.expect("$ ");

    shell.run("nc -l 5001 &");
    shell.wait_listening(5001);
    let from = shell.machine.output().len();
    let started = Instant::now();
    let answer = shell.run("nc -w 1 localhost 5001");
    shell.check(
        answer.iter().any(|l| l == "nc: recv: E_TIMEOUT (-1031)"),
        &format!("nc -w 1 to a silent listener: {answer:?}"),
    );
    shell.check(started.elapsed() >= Duration::from_secs(1), "nc -w 1 gave up before a second");
    // It closed its end on the way out: the listener saw an orderly close.
    shell.wait_printed(from, "nc: connection closed by peer", 1, common::STEP);
}

#[test]
fn restart_netd_during_accept_and_poll_gives_minus_1030_and_sockets_work_again() {
    let mut shell = Shell::boot();
    shell.run("echod 7 &");
    shell.wait_listening(7);
    shell.wait_blocked("echod", 1);
    shell.run("nc -l -k 5003 &");
    shell.wait_listening(5003);
    shell.wait_blocked("nc", 1);

    let from = shell.machine.output().len();
    shell.run("restart netd");
    shell.wait_printed(from, &format!("echod: poll: {RESET}"), 1, common::STEP);
    shell.wait_printed(from, &format!("nc: accept: {RESET}"), 1, common::STEP);

    shell.run("echod 7 &");
    shell.wait_listening(7);
    let answer = shell.run("echoload 7 2 5");
    shell.check(
        answer.iter().any(|l| l == "echoload: 2 clients, 5 messages each, all echoed in order"),
        &format!("echoload after the restart: {answer:?}"),
    );
    shell.run("nc -l -k 5003 &");
    shell.wait_listening(5003);
    shell.run("nc localhost 5003 first &");
    assert_eq!(shell.expect_line("first"), "first");
}

#[test]
fn a_flood_of_posts_wakes_netd_for_nothing_and_every_poll_goes_on_waiting() {
    let mut shell = Shell::boot();
    shell.run("echod 7 &");
    shell.wait_listening(7);
    shell.wait_blocked("echod", 1);
    let answer = shell.run("hostile post-flood");
    shell.check(
        answer.iter().any(|l| {
            l.starts_with("hostile: posted 300000 times; kernel bits refused: true; the kernel id refused: true")
        }),
        &format!("post-flood: {answer:?}"),
    );
    // echod's poll was woken by nothing it waits for: it still waits, and serves.
    shell.wait_blocked("echod", 1);
    let answer = shell.run("echoload 7 2 5");
    shell.check(
        answer.iter().any(|l| l == "echoload: 2 clients, 5 messages each, all echoed in order"),
        &format!("echoload after the flood: {answer:?}"),
    );
    let rows = shell.ps();
    shell.check(
        rows.iter().all(|row| row.restarts == 0) && rows.iter().any(|row| row.name == "netd"),
        &format!("no server restarted: {rows:?}"),
    );
}
