//! The socket programs, typed at the shell like a person would: `socktest`
//! (both ways of starting it), `nc` as listener and client, its errors,
//! `netstat`, and the in-guest `sockcheck` suite while other programs hold
//! sockets.
//!
//! Each test is one QEMU boot of the artifacts named by `MK_KERNEL` /
//! `MK_INITRD`. Every wait has a timeout; a background listener is waited
//! for by asking `netstat`, never by sleeping and hoping.

use std::time::Duration;

use image_builder::qemu::{BootOptions, HarnessError, Machine};

const STEP: Duration = Duration::from_secs(30);
/// sockcheck starts and kills dozens of tasks; give it room under TCG.
const SUITE_TIME: Duration = Duration::from_secs(240);
const PROMPT: &str = "$ ";
const CTRL_D: &str = "\u{4}";

/// Unwraps with the error's Display (which holds the guest log).
fn ok<T>(result: Result<T, HarnessError>) -> T {
    result.unwrap_or_else(|error| panic!("{error}"))
}

/// A booted machine at the shell prompt.
struct Shell {
    machine: Machine,
}

impl Shell {
    fn boot() -> Shell {
        let options = BootOptions { timeout: SUITE_TIME + Duration::from_secs(60), ..BootOptions::from_env() };
        let mut machine = ok(Machine::boot(options));
        ok(machine.expect(PROMPT, STEP));
        Shell { machine }
    }

    fn type_line(&mut self, line: &str) {
        ok(self.machine.send(&format!("{line}\r")));
    }

    fn expect(&mut self, needle: &str) -> String {
        ok(self.machine.expect(needle, STEP))
    }

    /// Waits for a line starting with `prefix`; returns it.
    fn expect_line(&mut self, prefix: &str) -> String {
        ok(self.machine.expect_line(prefix, STEP))
    }

    /// Runs a command and returns what it printed up to the next prompt.
    fn run(&mut self, command: &str) -> String {
        self.type_line(command);
        // The echo with its CR: any earlier drawing of the line (the console draws it
        // again below background output) and its prompt are skipped.
        self.expect(&format!("{command}\r"));
        self.expect(&format!("\n{PROMPT}"))
    }

    fn fail(&self, why: &str) -> ! {
        panic!("{why}; log:\n{}", self.machine.output())
    }

    /// Asks `netstat` until a socket listens on `port`; returns its line.
    fn wait_listening(&mut self, port: u16) -> String {
        let start = format!("{port} ");
        for _ in 0..50 {
            let table = self.run("netstat");
            let line = table.lines().map(str::trim).find(|l| l.starts_with(&start) && l.contains("listening"));
            if let Some(line) = line {
                return line.to_string();
            }
            self.run("sleep 100");
        }
        self.fail(&format!("nothing listens on port {port}"))
    }

    /// Presses Enter until the shell reports `count` background exits
    /// matching `report` (the shell reports them before its prompt).
    fn wait_reports(&mut self, report: &str, count: usize) {
        for _ in 0..50 {
            if self.machine.output().matches(report).count() >= count {
                return;
            }
            self.run("sleep 100");
        }
        self.fail(&format!("the shell did not report {count} x {report:?}"))
    }

    /// Fails if any socket call failed so far.
    fn assert_no_failed_call(&self) {
        let output = self.machine.output();
        if let Some(line) = output.lines().find(|l| l.contains(": E_") && l.contains("(-10")) {
            self.fail(&format!("a call failed: {line}"));
        }
    }
}

/// Types `lines` at the socktest client and checks each reply; then `exit`.
fn converse(shell: &mut Shell, lines: &[&str]) {
    for line in lines {
        shell.expect("client> ");
        shell.type_line(line);
        shell.expect(&format!("server: received \"{line}\""));
        shell.expect(&format!("client: received \"{line} OK\""));
    }
    shell.expect("client> ");
    shell.type_line("exit");
    shell.expect("server: received \"exit\"");
    shell.expect("server: client said exit, disconnecting");
}

#[test]
fn socktest_demo_answers_each_line_and_ends_at_exit() {
    let mut shell = Shell::boot();
    shell.type_line("socktest");
    let connected = shell.expect_line("client: connected to port 10 from port ");
    assert!(connected.ends_with("65535"), "first client port: {connected}");
    converse(&mut shell, &["hello", "a second line", "third"]);
    shell.expect(PROMPT);
    // The server says it listens once its `listen` succeeded: when the client came.
    assert!(
        shell.machine.output().contains("server: listening on port 10\r\nserver: client connected"),
        "{}",
        shell.machine.output()
    );
    shell.assert_no_failed_call();
    // Both halves are gone and their sockets with them.
    let table = shell.run("netstat");
    assert!(table.contains("no sockets"), "netstat after socktest:\n{table}");
    let tasks = shell.run("ps");
    assert!(!tasks.contains("socktest"), "ps after socktest:\n{tasks}");
}

#[test]
fn socktest_halves_work_from_the_shell() {
    let mut shell = Shell::boot();
    shell.run("socktest server 10 &");
    shell.wait_listening(10);
    shell.type_line("socktest client 10");
    shell.expect("server: client connected");
    shell.expect_line("client: connected to port 10 from port ");
    converse(&mut shell, &["hello", "two", "three"]);
    shell.expect(PROMPT);
    shell.wait_reports("socktest exited (status 0)", 1);
    shell.assert_no_failed_call();
}

#[test]
fn nc_client_lines_reach_the_listener_until_ctrl_d() {
    let mut shell = Shell::boot();
    shell.run("nc -l 5000 &");
    let row = shell.wait_listening(5000);
    assert!(row.contains("nc"), "owner of the listener: {row}");
    shell.type_line("nc localhost 5000");
    shell.type_line("hello there");
    // The console echoes the typed line; the listener prints it again.
    let echoed = shell.expect_line("hello there");
    let printed = shell.expect_line("hello there");
    assert_eq!((echoed.as_str(), printed.as_str()), ("hello there", "hello there"));
    ok(shell.machine.send(CTRL_D));
    shell.expect("nc: connection closed by peer");
    shell.expect(PROMPT);
    shell.wait_reports("nc exited (status 0)", 1);
    shell.assert_no_failed_call();
    let table = shell.run("netstat");
    assert!(table.contains("no sockets"), "netstat after both ended:\n{table}");
}

#[test]
fn nc_sends_each_message_argument() {
    let mut shell = Shell::boot();
    shell.run("nc -l 5002 &");
    shell.wait_listening(5002);
    shell.run("nc localhost 5002 one two &");
    assert_eq!(shell.expect_line("one"), "one");
    assert_eq!(shell.expect_line("two"), "two");
    shell.assert_no_failed_call();
}

#[test]
fn nc_reports_failed_calls_and_netstat_shows_owners() {
    let mut shell = Shell::boot();
    let refused = shell.run("nc localhost 5001");
    assert!(refused.contains("nc: connect: E_NOTFOUND (-1025)"), "{refused}");
    let bad_host = shell.run("nc example.com 5000");
    assert!(bad_host.contains("nc: connect: E_INVALID_ARG (-1029)"), "{bad_host}");
    let started = shell.run("nc -l 5000 &");
    let id = started
        .lines()
        .find_map(|l| l.trim().strip_prefix('[').and_then(|l| l.split_once(']')).map(|(id, _)| id.to_string()))
        .unwrap_or_else(|| shell.fail("no job number for nc -l"));
    let row = shell.wait_listening(5000);
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(columns[..4], ["5000", "listening", id.as_str(), "nc"], "netstat row: {row}");
    let taken = shell.run("nc -l 5000");
    assert!(taken.contains("nc: listen: E_ACCESS_DENIED (-1026)"), "{taken}");
}

#[test]
fn sockcheck_passes_while_other_programs_hold_sockets() {
    let mut shell = Shell::boot();
    shell.run("nc -l 5000 &");
    shell.wait_listening(5000);
    shell.run("nc localhost 5000 hi &");
    assert_eq!(shell.expect_line("hi"), "hi");
    shell.type_line("sockcheck");
    let through_summary = ok(shell.machine.expect(" failed", SUITE_TIME));
    let summary = through_summary.rsplit('\n').next().unwrap_or_default().trim().to_string();
    let passed: usize = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| shell.fail(&format!("summary line: {summary}")));
    assert!(summary.ends_with("passed, 0 failed"), "{summary}; log:\n{}", shell.machine.output());
    assert!(passed >= 40, "only {passed} checks ran");
    shell.expect(PROMPT);
    // The other programs' connection survived the suite.
    let table = shell.run("netstat");
    assert!(table.lines().any(|l| l.trim().starts_with("5000 ") && l.contains("connected")), "{table}");
}
