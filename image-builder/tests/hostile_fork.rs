//! Attacks through `fork` (`hostile fork-*`): a flood of copies stops at the
//! job's task quota (or its memory share) and leaves nothing behind; a copy that runs out of the
//! job's memory part-way fails with `NoMemory` and gives back every frame it
//! had taken.

mod common;

use common::Shell;

/// Tasks one job may have at once (`init::tasks::JOB_TASKS_MAX`).
const JOB_TASKS_MAX: u32 = 160;

#[test]
fn a_fork_flood_stops_at_the_jobs_quota_and_leaves_nothing_behind() {
    let mut shell = Shell::boot();
    let (free_before, _, tasks_before) = shell.mem();
    let answer = shell.run("hostile fork-flood 500");
    // The job's task quota stops it, or its memory share a few copies before.
    let forked = answer
        .first()
        .and_then(|line| line.strip_prefix("fork-flood: forked "))
        .and_then(|rest| rest.strip_suffix(" (then: out of memory)"))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    shell.check(
        (JOB_TASKS_MAX - 10..JOB_TASKS_MAX).contains(&forked)
            && answer.get(1) == Some(&format!("fork-flood: collected {forked}"))
            && answer.len() == 2,
        &format!("hostile fork-flood answered {answer:?}"),
    );
    // The shell still starts programs: the quota was the job's alone.
    let basics = shell.run("forktest basics");
    shell.check(!basics.is_empty() && basics.iter().all(|l| !l.contains("FAILED")), &format!("{basics:?}"));
    let (free_after, _, tasks_after) = shell.mem();
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!("fork flood: {free_before} free frames and {tasks_before} tasks before, {free_after} and {tasks_after} after"),
    );
}

#[test]
fn a_fork_without_room_fails_and_gives_back_what_it_took() {
    let mut shell = Shell::boot();
    let (free_before, _, tasks_before) = shell.mem();
    let line = shell.run_one_line("hostile fork-oversized");
    shell.check(
        line.starts_with("fork-oversized: mapped ") && line.contains("; fork: out of memory; "),
        &format!("hostile fork-oversized answered {line:?}"),
    );
    let numbers: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let [mapped, before, after] = numbers[..] else {
        shell.fail(&format!("fork-oversized report {line:?} does not parse"));
    };
    shell.check(mapped > 1000, &format!("too little memory was filled: {line:?}"));
    shell.check(before == after, &format!("the failed fork kept frames of the job: {line:?}"));
    let (free_after, _, tasks_after) = shell.mem();
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!("failed fork: {free_before} free frames and {tasks_before} tasks before, {free_after} and {tasks_after} after"),
    );
}
