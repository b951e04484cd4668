//! The console shares its output fairly: one task's 1 MiB write does not keep the shell
//! from answering what is typed meanwhile, every line of it still comes out whole, and a
//! writer killed part-way is forgotten.
//!
//! The flood is `hostile console-flood BYTES` (user/programs/src/bin/hostile/console.rs):
//! lines `flood NNNNNN abc…` of [`LINE`] bytes, numbered from 0, in one write per MiB.

mod common;

use std::time::{Duration, Instant};

use common::{Shell, parse_mem};

/// One write of the longest lease.
const FLOOD_BYTES: usize = 1 << 20;
/// Bytes of one flood line, its end included (the attack's `LINE`).
const LINE: usize = 128;
const FLOOD_LINES: usize = FLOOD_BYTES / LINE;
/// How long the whole flood may take on a loaded host.
const FLOOD_TIME: Duration = Duration::from_secs(90);

/// Flood line `number` as the attack writes it, without its end.
fn flood_line(number: usize) -> String {
    let filler: String = (0..LINE - 14).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    format!("flood {number:06} {filler}")
}

/// Starts the flood in the background and waits for its first line.
fn start_flood(shell: &mut Shell) {
    shell.send(&format!("hostile console-flood {FLOOD_BYTES} &\r"));
    let first = shell.expect_line("flood 000000 ");
    shell.check(first == flood_line(0), &format!("first flood line is {first:?}"));
}

/// The serial log as lines, from the flood's first line on.
fn lines_from_flood(shell: &Shell) -> Vec<String> {
    let log = shell.machine.output();
    let start = log.find("\r\nflood 000000 ").expect("the flood's first line was seen");
    log[start + 2..].split("\r\n").map(String::from).collect()
}

/// Checks that every flood line in `lines` is whole and that they come in order from 0;
/// returns the position of each.
fn flood_positions(shell: &Shell, lines: &[String]) -> Vec<usize> {
    let mut positions = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        if !line.contains("flood ") {
            continue;
        }
        let next = positions.len();
        if *line != flood_line(next) {
            let context = lines[at.saturating_sub(2)..(at + 3).min(lines.len())].join("\n");
            shell.fail(&format!("flood line {next} is cut or out of order: {line:?}; around it:\n{context}"));
        }
        positions.push(at);
    }
    positions
}

#[test]
fn the_shell_answers_while_a_task_floods_the_console() {
    let mut shell = Shell::boot();
    start_flood(&mut shell);

    let typed = Instant::now();
    shell.send("mem\r");
    let answer = shell.expect_line("free frames: ");
    let answered_after = typed.elapsed();
    let done = shell.expect_line_within("console-flood: ", FLOOD_TIME);
    let flood_after = typed.elapsed();
    eprintln!("`mem` answered after {answered_after:?}; the flood took {flood_after:?}");
    shell.check(parse_mem(&answer).is_some(), &format!("`mem` answered {answer:?}"));
    shell.check(
        done == format!("console-flood: {FLOOD_LINES} lines written"),
        &format!("the flood ended with {done:?}"),
    );

    let lines = lines_from_flood(&shell);
    let positions = flood_positions(&shell, &lines);
    let at = |wanted: &str| lines.iter().position(|line| line == wanted).unwrap_or(usize::MAX);
    shell.check(positions.len() == FLOOD_LINES, &format!("{} of {FLOOD_LINES} flood lines shown", positions.len()));
    shell.check(
        positions.last().is_some_and(|&last| last < at(&done)),
        "the flood's write returned before its last line was shown",
    );
    // Typed after the first flood line, the command must be answered long before the
    // flood ends (one write: without fair output, only after all of it).
    let after_answer = positions.iter().filter(|&&line| line > at(&answer)).count();
    shell.check(
        after_answer >= FLOOD_LINES / 4,
        &format!(
            "`mem` was answered after {answered_after:?} with only {after_answer} of \
             {FLOOD_LINES} flood lines still to come (the flood took {flood_after:?})"
        ),
    );
}

#[test]
fn a_flood_writer_killed_part_way_is_forgotten() {
    let mut shell = Shell::boot();
    start_flood(&mut shell);

    shell.send("kill hostile\r");
    shell.send("echo after-kill\r");
    shell.expect_line("after-kill");
    // Whatever the flood still had pending is dropped with it: the console goes on
    // serving, and not a line of the flood comes after the shell's answer.
    shell.send("mem\r");
    let memory = shell.expect_line("free frames: ");
    shell.check(parse_mem(&memory).is_some(), &format!("`mem` answered {memory:?}"));
    let lines = lines_from_flood(&shell);
    let positions = flood_positions(&shell, &lines);
    let answer = lines.iter().position(|line| line == "after-kill").expect("the answer was seen");
    shell.check(
        positions.len() < FLOOD_LINES && positions.last().is_some_and(|&last| last < answer),
        &format!(
            "{} of {FLOOD_LINES} flood lines shown, the last at line {:?}, the answer to the \
             command typed after the kill at line {answer}",
            positions.len(),
            positions.last()
        ),
    );
    shell.check(!lines.iter().any(|line| line.starts_with("console-flood: ")), "the killed flood reported its end");
}
