//! Attacks through what jobs share: memory, task slots, init's bookkeeping and the
//! console's input. Each attack is a `hostile` subcommand typed at the shell; each
//! test shows that the attack holds no further than the attacker's own job.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{Shell, job_id, parse_mem};

/// Tasks one job may have at once (`init::tasks::JOB_TASKS_MAX`).
const JOB_TASKS_MAX: u64 = 160;

/// Parses `memory-hog: mapped N frames; job holds X of L (within its share), F free`.
fn hog_report(shell: &Shell, line: &str) -> (u64, u64) {
    let numbers: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let [_, held, limit, _] = numbers[..] else {
        shell.fail(&format!("memory-hog report {line:?} does not parse"));
    };
    shell.check(line.contains("(within its share)"), &format!("the hog passed its share: {line:?}"));
    (held, limit)
}

/// Parses `ATTACK: spawned S, refused R ...`.
fn spawn_report(shell: &Shell, line: &str) -> (u64, u64) {
    let numbers: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    match numbers[..] {
        [spawned, refused, ..] => (spawned, refused),
        _ => shell.fail(&format!("spawn report {line:?} does not parse")),
    }
}

/// Starts `command &` and returns the task id the shell reports for it.
fn start_background(shell: &mut Shell, command: &str) -> u32 {
    let answer = shell.run(&format!("{command} &"));
    answer
        .iter()
        .find_map(|line| job_id(line))
        .unwrap_or_else(|| shell.fail(&format!("`{command} &` gave no job line: {answer:?}")))
}

/// Waits until `mem` reports `tasks` tasks (programs that end report late; the
/// shell's `[ID] NAME exited` lines may come with the answer).
fn wait_for_tasks(shell: &mut Shell, tasks: u64) -> (u64, u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = shell.run("mem");
        let Some(now) = answer.iter().find_map(|line| parse_mem(line)) else {
            shell.fail(&format!("`mem` answered {answer:?}"));
        };
        if now.2 == tasks || Instant::now() > deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn memory_exhaustion_by_every_job_at_once_leaves_init_and_the_shell_working() {
    let mut shell = Shell::boot();
    // The first start of the program grows init's heap once (it lays out the
    // program's segments there): warm it up before counting.
    shell.run("hostile exit-at-once");
    let (free_before, _, tasks_before) = shell.mem();

    let line = shell.run_one_line("hostile memory-hog");
    let (held, limit) = hog_report(&shell, &line);
    shell.check(held > limit / 2, &format!("the hog got only {held} of its share of {limit}"));

    // Three jobs hold their whole share; the fourth takes its own and then asks
    // init for thousands of children it never waits for.
    let hogs: Vec<u32> = (0..3).map(|_| start_background(&mut shell, "hostile memory-hog --hold")).collect();
    for _ in &hogs {
        shell.expect_line("memory-hog: holding");
    }
    let storm = shell.run("hostile spawn-storm 3000");
    let report = storm.iter().find(|l| l.starts_with("spawn-storm: spawned")).cloned().unwrap_or_default();
    let (spawned, refused) = spawn_report(&shell, &report);
    shell.check(spawned + refused == 3000, &format!("spawn-storm lost requests: {report:?}"));
    shell.check(refused > 0 && report.contains("out of memory"), &format!("nothing was refused: {report:?}"));

    // Init, the console and netd are alive and unrestarted; the shell answers.
    let rows = shell.ps();
    for service in ["init", "console", "netd", "shell"] {
        let row = rows.iter().find(|r| r.name == service);
        shell.check(row.is_some_and(|r| r.restarts == 0), &format!("{service} after the storm: {row:?}"));
    }

    for hog in hogs {
        shell.run(&format!("kill {hog}"));
    }
    let (free_after, _, tasks_after) = wait_for_tasks(&mut shell, tasks_before);
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!(
            "mem: {free_before} free frames and {tasks_before} tasks before, {free_after} and {tasks_after} after"
        ),
    );
    let line = shell.run_one_line("hostile memory-hog");
    hog_report(&shell, &line);
}

#[test]
fn a_finished_jobs_tasks_lose_the_console() {
    let mut shell = Shell::boot();
    let left = shell.run_one_line("hostile console-thief");
    shell.check(left.starts_with("console-thief: left task"), &format!("console-thief said {left:?}"));
    // The child's read ends once the shell has the console back, whether it was
    // already waiting or starts later.
    shell.expect_line("console-reader: end of input");
    for _ in 0..3 {
        shell.mem();
    }
    let log = shell.machine.output();
    shell.check(!log.contains("console-reader: stole"), "a task of a finished job read what was typed at the shell");
}

#[test]
fn task_and_uncollected_child_quotas_hold_per_job() {
    let mut shell = Shell::boot();
    // The first run sizes whatever grows once; the second must cost nothing.
    let warm_up = shell.run_one_line("hostile zombies 300");
    spawn_report(&shell, &warm_up);
    let (free_before, _, tasks_before) = shell.mem();
    let line = shell.run_one_line("hostile zombies 3000");
    let (spawned, refused) = spawn_report(&shell, &line);
    shell.check(
        spawned == JOB_TASKS_MAX - 1 && refused == 3000 - spawned,
        &format!("uncollected children are not held to the job's quota: {line:?}"),
    );
    let (free_after, _, tasks_after) = wait_for_tasks(&mut shell, tasks_before);
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!("3000 uncollected children: {free_before} free frames and {tasks_before} tasks before, {free_after} and {tasks_after} after"),
    );

    // One job holds all the tasks it may (its task quota or, some before, its
    // memory share: each task holds every page of the hostile program, so how many
    // fit depends on its size); another job at the same time still gets as many.
    start_background(&mut shell, "hostile task-flood 15000");
    let first = shell.expect_line("task-flood: holding");
    let second = shell.run_one_line("hostile task-flood 10");
    let held = |line: &str| {
        line.strip_prefix("task-flood: holding ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| shell.fail(&format!("task-flood said {line:?}")))
    };
    let (first_held, second_held) = (held(&first), held(&second));
    shell.check(
        (JOB_TASKS_MAX - 20..JOB_TASKS_MAX).contains(&first_held) && second_held >= first_held,
        &format!("floods held {first_held} and then {second_held} tasks: {first:?}, {second:?}"),
    );
    let (free_end, _, tasks_end) = wait_for_tasks(&mut shell, tasks_before);
    shell.check(
        (free_end, tasks_end) == (free_before, tasks_before),
        &format!(
            "after the floods: {free_end} free frames and {tasks_end} tasks, {free_before} and {tasks_before} before"
        ),
    );
}

#[test]
fn ctrl_c_ends_the_whole_foreground_job() {
    let mut shell = Shell::boot();
    // The first start of the program grows init's heap once (it lays out the
    // program's segments there): warm it up before counting.
    shell.run("hostile exit-at-once");
    let (free_before, _, tasks_before) = shell.mem();
    shell.send("hostile task-flood 600000\r");
    shell.expect_line("task-flood: holding");
    shell.send("\u{3}");
    shell.expect_prompt();
    // Every one of the flood's tasks ends with it, long before their time.
    let (free_after, _, tasks_after) = wait_for_tasks(&mut shell, tasks_before);
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!(
            "after Ctrl-C: {free_after} free frames and {tasks_after} tasks, {free_before} and {tasks_before} before"
        ),
    );
}

/// Rounds of `make stress`'s memory exhaustion.
const EXHAUSTION_ROUNDS: usize = 20;

#[test]
#[ignore = "long: run by `make stress`"]
fn memory_exhaustion_rounds_leave_every_server_alive_and_no_frame_behind() {
    let mut shell = Shell::boot();
    // netd's heap grows once to its working size; measure after that.
    shell.run("sockcheck");
    let (free_before, _, tasks_before) = shell.mem();
    for round in 0..EXHAUSTION_ROUNDS {
        // Three jobs hold their whole share; fuzzers run in a fourth; then
        // one more storms init with spawns; a socket program runs after.
        let hogs: Vec<u32> = (0..3).map(|_| start_background(&mut shell, "hostile memory-hog --hold")).collect();
        for _ in &hogs {
            shell.expect_line("memory-hog: holding");
        }
        // The fuzzers run in the memory that is left, against servers that
        // have only their reserve.
        for fuzzer in [format!("sysfuzz {round} 20000"), format!("ipcfuzz {round} 5000")] {
            let answer = shell.run(&fuzzer);
            shell.check(
                answer.last().is_some_and(|l| l.ends_with(", ok")) && !answer.iter().any(|l| l.contains("unexpected")),
                &format!("round {round}: `{fuzzer}` under memory exhaustion: {answer:?}"),
            );
        }
        let storm = shell.run("hostile spawn-storm 500");
        shell.check(
            storm.iter().any(|l| l.starts_with("spawn-storm: spawned")),
            &format!("round {round}: spawn-storm said {storm:?}"),
        );
        let rows = shell.ps();
        for service in ["init", "console", "netd", "shell"] {
            let row = rows.iter().find(|r| r.name == service);
            shell.check(row.is_some_and(|r| r.restarts == 0), &format!("round {round}: {service}: {row:?}"));
        }
        for hog in hogs {
            shell.run(&format!("kill {hog}"));
        }
        let (free_after, _, tasks_after) = wait_for_tasks(&mut shell, tasks_before);
        shell.check(
            (free_after, tasks_after) == (free_before, tasks_before),
            &format!("round {round}: {free_after} free frames and {tasks_after} tasks, {free_before} and {tasks_before} before"),
        );
        let check = shell.run("sockcheck");
        shell.check(
            check.last().is_some_and(|l| l.ends_with(" 0 failed")),
            &format!("round {round}: sockcheck after the round: {check:?}"),
        );
    }
    let command = "cargo test --release --test hostile_jobs -- --ignored";
    common::figure("memory-exhaustion rounds, every server alive after", EXHAUSTION_ROUNDS as i64, command);
    common::figure("syscalls fuzzed under memory exhaustion", EXHAUSTION_ROUNDS as i64 * 20_000, command);
    common::figure("malformed requests fuzzed under memory exhaustion", EXHAUSTION_ROUNDS as i64 * 5_000, command);
    common::figure("frames leaked after memory exhaustion", 0, command);
}

#[test]
fn only_the_shell_may_wait_for_ctrl_c() {
    let mut shell = Shell::boot();
    let line = shell.run_one_line("hostile ctrl-c-thief");
    shell.check(line.starts_with("ctrl-c-thief: refused: "), &format!("hostile ctrl-c-thief said {line:?}"));
}
