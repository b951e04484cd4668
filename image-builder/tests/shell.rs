//! The shell at the serial console: its builtins, line input from a terminal (CR) and a
//! pipe (LF), errors and control keys, the authority rules it meets, and power-off.
//!
//! Each test is one boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`, typed at
//! like a person would; see `common` for how prompts and answers are read.

mod common;

use std::time::Duration;

use common::{LIVE_STATES, POWEROFF_STATUS, Shell, lines};

/// Programs every boot image has (`make image`); `netd` and the socket tools are optional.
const REQUIRED_PROGRAMS: &[&str] = &["console", "shell", "fault", "spin", "ipctest"];
/// The builtins `help` must list.
const BUILTINS: &[&str] =
    &["help", "ls", "ps", "kill", "echo", "sleep", "mem", "dmesg", "history", "jobs", "restart", "crash", "poweroff"];
/// Lower bound for `sleep 200` in host time: guest time cannot run ahead of the host's
/// clock under TCG, so only a short sleep could come in below this.
const SLEEP_200_AT_LEAST: Duration = Duration::from_millis(180);

#[test]
fn builtins_answer_with_real_content() {
    let mut shell = Shell::boot();
    let banner_frames = banner_frame_total(&shell);

    let programs = shell.run("ls");
    for program in REQUIRED_PROGRAMS {
        shell
            .check(programs.iter().any(|line| line == program), &format!("`ls` does not list {program}: {programs:?}"));
    }

    let tasks = shell.ps();
    for name in ["init", "console", "shell"] {
        let row = tasks.iter().find(|row| row.name == name);
        shell.check(
            row.is_some_and(|row| LIVE_STATES.contains(&row.state.as_str())),
            &format!("`ps` should list {name} with a live state: {tasks:?}"),
        );
    }
    shell
        .check(tasks.iter().any(|row| row.name == "init" && row.id == 1), &format!("init should be task 1: {tasks:?}"));
    let shell_row = tasks.iter().find(|row| row.name == "shell");
    shell.check(
        shell_row.is_some_and(|row| row.state == "run"),
        &format!("the shell is running `ps`, so `ps` must show it as run: {tasks:?}"),
    );

    let (free, used, task_count) = shell.mem();
    shell.check(free > 0 && used > 0, &format!("mem: {free} free, {used} used"));
    shell.check(
        free + used == banner_frames,
        &format!("mem: {free} free + {used} used != {banner_frames} frames of the boot banner"),
    );
    // Whether the kernel counts its idle task is its own business; the rest must match.
    let listed_tasks = tasks.iter().filter(|row| row.name != "idle").count() as u64;
    shell.check(
        task_count == listed_tasks || task_count == listed_tasks + 1,
        &format!("mem counts {task_count} tasks, ps lists {listed_tasks} besides idle"),
    );

    let echoed = shell.run_one_line("echo hello   world 'two  blanks' \"x\"");
    shell.check(echoed == "hello world two  blanks x", &format!("echo printed {echoed:?}"));
    let empty_echo = shell.run("echo");
    shell.check(empty_echo == [""], &format!("`echo` alone should print one empty line: {empty_echo:?}"));

    let help = shell.run("help").join("\n");
    for builtin in BUILTINS {
        shell.check(
            help.lines().any(|line| line.trim_start().starts_with(builtin)),
            &format!("`help` does not list {builtin}"),
        );
    }

    let slept = shell.time_command("sleep 200");
    shell.check(slept >= SLEEP_200_AT_LEAST, &format!("`sleep 200` returned after {slept:?}"));
    let usage = shell.run_one_line("sleep soon");
    shell.check(usage.contains("usage: sleep MS"), &format!("`sleep soon` answered {usage:?}"));

    let log = shell.run("dmesg");
    for expected in ["microkernel 0.1.0", "memory: ", "init: shell is task"] {
        shell.check(
            log.iter().any(|line| line.starts_with(expected)),
            &format!("`dmesg` has no line starting with {expected:?}: {log:?}"),
        );
    }
    shell.machine.kill();
}

/// The frame total the kernel announces at boot: `memory: ..., F frames free, U used`.
fn banner_frame_total(shell: &Shell) -> u64 {
    let output = shell.machine.output();
    let line = output.lines().find(|line| line.starts_with("memory: "));
    let numbers = line.and_then(|line| {
        let (_, frames) = line.split_once(", ")?;
        let (free, used) = frames.split_once(" frames free, ")?;
        let used = used.trim_end().strip_suffix(" used")?;
        Some(free.parse::<u64>().ok()? + used.parse::<u64>().ok()?)
    });
    numbers.unwrap_or_else(|| {
        shell.fail(&format!("boot banner has no `memory: ..., F frames free, U used` line: {line:?}"))
    })
}

#[test]
fn line_ends_errors_and_control_keys() {
    let mut shell = Shell::boot();

    // A terminal sends CR, a pipe LF; both are echoed as the console's CR LF.
    let from_terminal = shell.run_ended("echo cr", "\r");
    shell.check(from_terminal == ["cr"], &format!("CR line: {from_terminal:?}"));
    let from_pipe = shell.run_ended("echo lf", "\n");
    shell.check(from_pipe == ["lf"], &format!("LF line: {from_pipe:?}"));

    // CRLF is one line end: exactly one prompt follows each line, also when a whole
    // batch arrives at once, with no empty prompt for the LF.
    shell.send("echo crlf\r\necho second\r\n");
    shell.expect("echo crlf");
    let batch = shell.expect("second\r\n$ ");
    shell.check(batch == "\r\ncrlf\r\n$ echo second\r\nsecond\r\n$ ", &format!("CRLF batch read as {batch:?}"));
    // Typed only now: an empty line read from the last LF would print its prompt first.
    shell.send("echo done\r");
    let typed = shell.expect("echo done");
    shell.check(typed == "echo done", &format!("after the CRLF batch, before `echo done`: {typed:?}"));
    let done = shell.expect_prompt();
    shell.check(done == "\r\ndone\r\n", &format!("after CRLF: {done:?}"));

    let unknown = shell.run("nosuchprogram");
    shell.check(unknown == ["nosuchprogram: unknown command"], &format!("unknown command answered {unknown:?}"));

    // An empty line just prompts again: CR LF echoed, then the prompt.
    shell.send("\r");
    let empty = shell.expect_prompt();
    shell.check(empty == "\r\n", &format!("empty line gave {empty:?}"));

    // Ctrl-D at the prompt: the console ends the open line and the shell prompts again.
    shell.send("\u{4}");
    let end_of_input = shell.expect_prompt();
    shell.check(end_of_input == "\r\n", &format!("Ctrl-D at the prompt gave {end_of_input:?}"));
    let alive = shell.run("echo still here");
    shell.check(alive == ["still here"], &format!("after Ctrl-D: {alive:?}"));
    let quote = shell.run_one_line("echo \"open");
    shell.check(quote == "echo: unclosed quote", &format!("unclosed quote answered {quote:?}"));
    shell.machine.kill();
}

#[test]
fn init_and_console_cannot_be_killed_and_poweroff_ends_qemu() {
    let mut shell = Shell::boot();
    let before = shell.ps();

    let init_refusal = shell.run_one_line("kill 1");
    shell.check(
        init_refusal.starts_with("kill: 1 (init): ") && init_refusal.contains("denied"),
        &format!("`kill 1` answered {init_refusal:?}"),
    );
    let console_refusal = shell.run_one_line("kill console");
    shell.check(
        console_refusal.contains("(console): ") && console_refusal.contains("denied"),
        &format!("`kill console` answered {console_refusal:?}"),
    );

    // Both are still the same tasks, never restarted, and the console still answers.
    let after = shell.ps();
    for name in ["init", "console"] {
        let find = |rows: &[common::PsRow]| rows.iter().find(|row| row.name == name).cloned();
        let (was, is) = (find(&before), find(&after));
        shell.check(
            was.is_some() && was.as_ref().map(|r| (r.id, r.restarts)) == is.as_ref().map(|r| (r.id, r.restarts)),
            &format!("{name} changed after the refused kill: {was:?} -> {is:?}"),
        );
    }
    let echoed = shell.run("echo alive");
    shell.check(echoed == ["alive"], &format!("console after kill: {echoed:?}"));

    let status = shell.poweroff();
    shell.check(status == POWEROFF_STATUS, &format!("QEMU exited with status {status} after poweroff"));
    let tail = lines(&shell.machine.output());
    shell.check(
        tail.iter().all(|line| !line.starts_with("poweroff: ")),
        "poweroff printed an error instead of powering off",
    );
}

/// A script piped into `make run` arrives before the kernel has even set up the
/// UART: none of it may be lost, and it runs once the shell is up.
#[test]
fn input_sent_before_boot_is_not_lost() {
    let mut machine = common::ok(image_builder::qemu::boot_default());
    machine.send("echo early bird\nmem\npoweroff\n").expect("QEMU takes input");
    common::ok(machine.expect("\r\nearly bird\r\n", common::STEP));
    common::ok(machine.expect("free frames: ", common::STEP));
    let status = common::ok(machine.expect_exit(common::STEP));
    assert_eq!(status, common::POWEROFF_STATUS, "poweroff from the piped script\n{}", machine.output());
}
