//! Attacks on the console's line editing (`hostile read-lies`, `hostile
//! reader-killed`, in user/programs/src/bin/hostile/prompt.rs): reads that lie
//! about their prompt and text are refused at once, notices only init may send are
//! refused to a program, and a reader killed at its own prompt takes what was typed
//! for it along, leaving the shell's line clean.

mod common;

use common::Shell;

#[test]
fn lying_reads_and_forged_notices_are_refused_at_once() {
    let mut shell = Shell::boot();
    let answer = shell.run("hostile read-lies");
    let expected = [
        "read-lies: short request: bad argument",
        "read-lies: prompt too long: bad argument",
        "read-lies: cursor past the text: bad argument",
        "read-lies: lengths past the lease: bad argument",
        "read-lies: prompt in a lease it cannot read: bad address",
        "read-lies: forged job end: denied",
        "read-lies: forged foreground: denied",
        "read-lies: 7 of 7 refused",
    ];
    shell.check(answer == expected, &format!("`hostile read-lies` answered {answer:?}"));
    // The console still reads lines for the shell.
    let alive = shell.run("echo still reading");
    shell.check(alive == ["still reading"], &format!("after the attack: {alive:?}"));
}

#[test]
fn a_reader_killed_at_its_prompt_takes_its_typed_text_along() {
    let mut shell = Shell::boot();
    shell.send("hostile reader-killed 1500\r");
    shell.expect("child> pre");
    // Typed for the child, which is killed before it hands the line over.
    shell.send("abc");
    shell.expect("abc");
    shell.expect_line("reader-killed: killed task ");
    shell.expect("$ ");
    let answer = shell.run("echo ok");
    shell.check(answer == ["ok"], &format!("`echo ok` after the killed reader answered {answer:?}"));
    let log = shell.machine.output();
    shell.check(!log.contains("prompt-reader: read"), "the killed reader got a line");
    shell.check(!log.contains("preabc: unknown command"), "the killed reader's text reached the shell");
}
