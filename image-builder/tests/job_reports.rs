//! Background output and job reports at the prompt: output of other tasks goes above
//! the line being typed, which is drawn again below it; a background job's end is
//! reported without a key; foreground failures are reported; `jobs`; a background
//! reader is told why it reads nothing; and the messages of the shell and the socket
//! programs read as they should.
//!
//! Each test is one boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`, typed at
//! like a person would; see `common` for how prompts and answers are read.

mod common;

use common::{Shell, is_exit_report};

#[test]
fn background_output_goes_above_the_line_being_typed() {
    let mut shell = Shell::boot();
    // sysfuzz prints a line every 5,000 calls: forty lines, while the line is typed.
    let fuzz = shell.start_background("sysfuzz 1 200000", "sysfuzz");
    shell.send("echo par");
    shell.expect("echo par");
    let from = shell.machine.output().len();
    let report = format!("[{fuzz}] sysfuzz exited (status 0)");
    // The job's end is reported without a key, like the output before it.
    shell.expect_line(&report);
    shell.expect("$ echo par");
    let log = shell.machine.output();
    let since = &log[from..];
    // Every line of output is whole and followed by the prompt and the typed text
    // (the row that showed them is erased first, then the output starts a line).
    // The first row is the rest of the one that showed the typed text.
    let rows: Vec<&str> = since.split("\r\n").skip(1).collect();
    let output: Vec<&&str> = rows.iter().filter(|row| !row.starts_with("$ echo par")).collect();
    shell.check(
        !output.is_empty() && output.iter().all(|row| row.starts_with("sysfuzz: ") || **row == report),
        &format!("output while typing, cut or mixed: {output:?}"),
    );
    for (at, row) in rows.iter().enumerate() {
        if row.starts_with("sysfuzz: ") || *row == report {
            shell.check(
                rows.get(at + 1).is_some_and(|next| next.starts_with("$ echo par")),
                &format!("after {row:?} the prompt and `echo par` were not drawn again: {since:?}"),
            );
        }
    }
    shell.check(
        since.contains(&format!("\r\n{report}\r\n$ echo par")),
        &format!("the report is not above the redrawn line: {since:?}"),
    );
    // The command finishes normally.
    shell.send("tial\r");
    shell.expect("tial\r");
    let answer = common::lines(&shell.expect_prompt());
    shell.check(answer == ["partial"], &format!("`echo partial` answered {answer:?}"));
    shell.machine.kill();
}

#[test]
fn job_ends_are_reported_at_once_and_jobs_lists_the_running_ones() {
    let mut shell = Shell::boot();
    let first = shell.start_background("spin", "spin");
    let second = shell.start_background("spin", "spin");
    let sleeper = shell.start_background("hostile sleeper 2000", "hostile");
    let jobs = shell.run("jobs");
    shell.check(
        jobs == [
            format!("[{first}] spin &"),
            format!("[{second}] spin &"),
            format!("[{sleeper}] hostile sleeper 2000 &"),
        ],
        &format!("`jobs` answered {jobs:?}"),
    );
    // The sleeper ends by itself: its report comes with no key typed.
    shell.expect_line(&format!("[{sleeper}] hostile exited (status 0)"));
    shell.expect("$ ");
    let jobs = shell.run("jobs");
    shell.check(
        jobs == [format!("[{first}] spin &"), format!("[{second}] spin &")],
        &format!("`jobs` answered {jobs:?}"),
    );
    let killed = shell.run(&format!("kill {first}"));
    shell.check(killed == [format!("[{first}] spin exited (killed)")], &format!("`kill {first}` answered {killed:?}"));
    let jobs = shell.run("jobs");
    shell.check(jobs == [format!("[{second}] spin &")], &format!("`jobs` answered {jobs:?}"));
    shell.machine.kill();
}

#[test]
fn foreground_failures_are_reported_and_clean_ends_are_not() {
    let mut shell = Shell::boot();
    let usage = shell.run("fault nonsense");
    shell.check(
        usage.len() == 2 && usage[0].starts_with("usage: fault KIND") && is_exit_report(&usage[1], "fault", "status 2"),
        &format!("`fault nonsense` answered {usage:?}"),
    );
    let faulted = shell.run("fault null");
    shell.check(
        faulted.len() == 2 && faulted[0].starts_with("fault: task ") && is_exit_report(&faulted[1], "fault", "fault"),
        &format!("`fault null` answered {faulted:?}"),
    );
    let clean = shell.run("netstat");
    shell.check(clean == ["no sockets"], &format!("`netstat` answered {clean:?}"));
    shell.machine.kill();
}

#[test]
fn a_background_reader_is_told_why_it_reads_nothing() {
    let mut shell = Shell::boot();
    let reader = shell.start_background("hostile console-reader", "hostile");
    shell.expect_line("hostile: no console input in the background");
    shell.expect_line("console-reader: end of input");
    shell.expect_line(&format!("[{reader}] hostile exited (status 0)"));
    let log = shell.machine.output();
    shell.check(log.matches("no console input").count() == 1, "the reason should be given once");
}

#[test]
fn errors_name_the_command_and_the_socket_programs_say_what_is_wrong() {
    let mut shell = Shell::boot();
    for (command, expected) in [
        ("nosuch", "nosuch: unknown command"),
        ("sleep soon", "sleep: usage: sleep MS"),
        ("echo \"open", "echo: unclosed quote"),
        ("ps -a", "ps: usage: ps"),
    ] {
        let answer = shell.run(command);
        shell.check(answer == [expected], &format!("`{command}` answered {answer:?}, expected {expected:?}"));
    }

    // A bad port fails the same way whether it is a word or out of range.
    for port in ["abc", "70000"] {
        let answer = shell.run(&format!("nc -l {port}"));
        shell.check(
            answer.len() == 2
                && answer[0] == format!("nc: bad port {port} (ports are 0 to 65535)")
                && is_exit_report(&answer[1], "nc", "status 1"),
            &format!("`nc -l {port}` answered {answer:?}"),
        );
    }
    let answer = shell.run("netstat -x");
    shell.check(
        answer.len() == 2 && answer[0] == "usage: netstat" && is_exit_report(&answer[1], "netstat", "status 1"),
        &format!("`netstat -x` answered {answer:?}"),
    );

    // A port already taken: the second server fails its listen and never claims to listen.
    shell.start_background("socktest server 12", "socktest");
    let mut listening = false;
    for _ in 0..50 {
        if shell.run("netstat").iter().any(|row| row.trim_start().starts_with("12 ") && row.contains("listening")) {
            listening = true;
            break;
        }
        shell.run("sleep 50");
    }
    shell.check(listening, "the first socktest server never listened on port 12");
    let answer = shell.run("socktest server 12");
    shell.check(
        answer.len() == 2
            && answer[0] == "server: listen: E_ACCESS_DENIED (-1026)"
            && is_exit_report(&answer[1], "socktest", "status 1"),
        &format!("the second `socktest server 12` answered {answer:?}"),
    );
    shell.check(
        !shell.machine.output().contains("listening on port 12"),
        "a socktest server said it listened before any listen succeeded",
    );
    shell.machine.kill();
}
