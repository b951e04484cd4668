//! Faulting, spinning and background programs, started from the shell: init's one-line
//! fault reports, that faults leak no frames, preemption, `kill`, Ctrl-C, and the
//! shell's reports of ended background programs.
//!
//! Each test is one boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`, typed at
//! like a person would; see `common` for how prompts and answers are read.

mod common;

use std::thread;
use std::time::Duration;

use common::{Shell, job_id};

/// Each `fault KIND` and the start of the exception text init reports for it.
/// (`fault simd` is left out: QEMU 7.2's TCG sets the SSE exception flags but never
/// raises #XM, so there it does not fault.)
const FAULT_KINDS: &[(&str, &str)] = &[
    ("null", "page fault at 0x0, "),
    ("gp", "general protection fault, "),
    ("ud", "invalid opcode, "),
    ("div0", "divide error, "),
    ("x87", "x87 floating-point error, "),
    ("kernel-write", "page fault at 0xffffffff80100000, "),
    // The address is wherever the stack ran out.
    ("stack-overflow", "page fault at 0x"),
];
/// Faults after the warm-up round whose frames must all come back.
const LEAK_CHECK_FAULTS: usize = 100;
/// Commands typed at once: enough to keep the guest busy, few enough to read like a
/// person typing ahead.
const BATCH: usize = 10;
/// How long a program is left running before it is interrupted or its end is looked for.
const A_MOMENT: Duration = Duration::from_millis(300);

/// Checks that `line` is init's report for one fault: `fault: task N (fault) TEXT..., killed`.
fn check_fault_report(shell: &Shell, line: &str, exception: &str) {
    let well_formed = line.strip_prefix("fault: task ").and_then(|rest| rest.split_once(" (fault) ")).is_some_and(
        |(task, report)| task.parse::<u32>().is_ok() && report.starts_with(exception) && report.ends_with(", killed"),
    );
    shell.check(well_formed, &format!("fault report {line:?} is not `fault: task N (fault) {exception}..., killed`"));
}

/// Checks the answer to a foreground `fault KIND`: init's fault report, then the shell's
/// `[N] fault exited (fault)` for the same task.
fn check_foreground_fault(shell: &Shell, command: &str, answer: &[String], exception: &str) {
    shell.check(
        answer.len() == 2,
        &format!("`{command}` should answer the fault and the shell's report, got {answer:?}"),
    );
    check_fault_report(shell, &answer[0], exception);
    let task = answer[0].strip_prefix("fault: task ").and_then(|rest| rest.split_once(' ')).map(|(task, _)| task);
    shell.check(
        task.is_some_and(|task| answer[1] == format!("[{task}] fault exited (fault)")),
        &format!("`{command}`: the shell's report is {:?}", answer[1]),
    );
}

#[test]
fn every_fault_is_reported_once_and_leaks_no_frames() {
    let mut shell = Shell::boot();
    // The first round also warms up: init's and the console's heaps grow once.
    for (kind, exception) in FAULT_KINDS {
        let command = format!("fault {kind}");
        let answer = shell.run(&command);
        check_foreground_fault(&shell, &command, &answer, exception);
    }
    // A foreground program that exits with a status other than 0 is reported too.
    let usage = shell.run("fault nonsense");
    shell.check(
        usage.len() == 2
            && usage[0].starts_with("usage: fault KIND")
            && job_id(&usage[1]).is_some_and(|id| usage[1] == format!("[{id}] fault exited (status 2)")),
        &format!("`fault nonsense` answered {usage:?}"),
    );

    let (free_before, _, tasks_before) = shell.mem();
    let commands: Vec<(&str, &str)> = FAULT_KINDS.iter().copied().cycle().take(LEAK_CHECK_FAULTS).collect();
    for batch in commands.chunks(BATCH) {
        let typed: String = batch.iter().map(|(kind, _)| format!("fault {kind}\r")).collect();
        shell.send(&typed);
        for (kind, exception) in batch {
            let command = format!("fault {kind}");
            let answer = shell.reply_to(&command);
            check_foreground_fault(&shell, &command, &answer, exception);
        }
    }
    let (free_after, _, tasks_after) = shell.mem();
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!(
            "{LEAK_CHECK_FAULTS} faults changed (free frames, tasks) from \
             {:?} to {:?}",
            (free_before, tasks_before),
            (free_after, tasks_after)
        ),
    );
    shell.machine.kill();
}

#[test]
fn spin_is_preempted_killed_and_interrupted() {
    let mut shell = Shell::boot();

    let spin = shell.start_background("spin", "spin");
    thread::sleep(A_MOMENT);
    // The shell still answers while spin runs: the busy loop in ring 3 is preempted.
    let tasks = shell.ps();
    shell.check(
        tasks.iter().any(|row| row.id == spin && row.name == "spin" && row.state == "run"),
        &format!("`ps` should list spin as task {spin}, running: {tasks:?}"),
    );
    let killed = shell.run("kill spin");
    shell.check(killed == [format!("[{spin}] spin exited (killed)")], &format!("`kill spin` answered {killed:?}"));

    let spin = shell.start_background("spin", "spin");
    let killed = shell.run(&format!("kill {spin}"));
    shell.check(killed == [format!("[{spin}] spin exited (killed)")], &format!("`kill {spin}` answered {killed:?}"));

    // A foreground spin holds the prompt until Ctrl-C.
    shell.send("spin\r");
    shell.expect("spin\r\n");
    thread::sleep(A_MOMENT);
    shell.check(!shell.machine.output().ends_with("$ "), "the prompt came back while spin ran in the foreground");
    shell.send("\u{3}");
    let interrupted = shell.expect_prompt();
    shell.check(interrupted == "^C\r\n", &format!("Ctrl-C on a foreground spin gave {interrupted:?}"));
    let tasks = shell.ps();
    shell.check(!tasks.iter().any(|row| row.name == "spin"), &format!("spin still listed after Ctrl-C: {tasks:?}"));
    let alive = shell.run("echo after ctrl-c");
    shell.check(alive == ["after ctrl-c"], &format!("after Ctrl-C: {alive:?}"));
    shell.machine.kill();
}

#[test]
fn spinners_at_the_same_priority_do_not_starve_other_programs() {
    let mut shell = Shell::boot();
    shell.start_background("spin", "spin");
    shell.start_background("spin", "spin");
    // ipctest runs at the same priority as the two busy loops: it can only
    // finish if the timer takes the CPU from them in turn.
    let report = shell.run("ipctest");
    shell.check(
        report.last().map(String::as_str) == Some("10 passed, 0 failed"),
        &format!("ipctest beside two spinners reported {report:?}"),
    );
    let killed = shell.run("kill spin");
    shell.check(killed.len() == 2, &format!("`kill spin` answered {killed:?}"));
    shell.machine.kill();
}

#[test]
fn background_fault_is_reported_without_a_key() {
    let mut shell = Shell::boot();
    let fault = shell.start_background("fault null", "fault");
    // Init reports the fault by itself, on a line of its own.
    let report = shell.expect_line(&format!("fault: task {fault} (fault) "));
    check_fault_report(&shell, &report, "page fault at 0x0, ");

    // The shell reports the end while it waits at its prompt: no key is typed.
    let ended = format!("[{fault}] fault exited (fault)");
    shell.expect_line(&ended);
    // ... above the prompt, drawn again below it.
    shell.expect("$ ");
    // Reported once only.
    let quiet = shell.run("echo quiet");
    shell.check(quiet == ["quiet"], &format!("second prompt: {quiet:?}"));
    shell.check(shell.machine.output().matches(&ended).count() == 1, &format!("{ended:?} should be printed once"));

    // A background program that exits with a status is reported with it.
    let usage = shell.start_background("fault nonsense", "fault");
    shell.expect_line("usage: fault KIND");
    shell.expect_line(&format!("[{usage}] fault exited (status 2)"));
    shell.machine.kill();
}
