//! Editing the line at the shell's prompt with the keys a terminal sends: cursor
//! movement and erasing anywhere in the line, Ctrl-L, the history on Up and Down,
//! and Tab completion of the command word.
//!
//! Each test is one boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`; keys are
//! sent as raw bytes, escape sequences included, as a terminal would send them.

mod common;

use std::thread;
use std::time::Duration;

use common::Shell;

const LEFT: &str = "\x1b[D";
const RIGHT: &str = "\x1b[C";
const UP: &str = "\x1b[A";
const DOWN: &str = "\x1b[B";
const HOME: &str = "\x1b[H";
const END: &str = "\x1b[F";
const DELETE: &str = "\x1b[3~";
const CTRL_LEFT: &str = "\x1b[1;5D";
const BACKSPACE: &str = "\x7f";
const CTRL_A: &str = "\x01";
const CTRL_C: &str = "\x03";
const CTRL_K: &str = "\x0b";
const CTRL_L: &str = "\x0c";
const CTRL_U: &str = "\x15";
const CTRL_W: &str = "\x17";
const TAB: &str = "\t";

/// Types `keys` (ending with Enter) and returns the lines printed before the next
/// prompt, without the line that shows the edited input.
fn keyed(shell: &mut Shell, keys: &str) -> Vec<String> {
    shell.send(keys);
    let text = shell.expect_prompt();
    let mut lines: Vec<String> = text.split("\r\n").map(String::from).collect();
    lines.remove(0);
    lines.pop();
    lines
}

/// Checks that typing `keys` makes the shell print exactly `expected`.
fn check_keys(shell: &mut Shell, keys: &str, expected: &[&str]) {
    let answer = keyed(shell, keys);
    shell.check(answer == expected, &format!("keys {keys:?} printed {answer:?}, expected {expected:?}"));
}

#[test]
fn keys_edit_the_line_anywhere() {
    let mut shell = Shell::boot();
    // A typo fixed in the middle: left arrow, backspace.
    check_keys(&mut shell, &format!("echo hXi{LEFT}{BACKSPACE}\r"), &["hi"]);
    // The missing first letter, added after Ctrl-A.
    check_keys(&mut shell, &format!("cho there{CTRL_A}e\r"), &["there"]);
    check_keys(&mut shell, &format!("xecho one tw{HOME}{DELETE}{END}o\r"), &["one two"]);
    check_keys(&mut shell, &format!("rubbish{CTRL_U}echo clean\r"), &["clean"]);
    check_keys(&mut shell, &format!("echo keep drop{LEFT}{LEFT}{LEFT}{LEFT}{LEFT}{CTRL_K}\r"), &["keep"]);
    check_keys(&mut shell, &format!("echo one two{CTRL_W}three\r"), &["one three"]);
    check_keys(&mut shell, &format!("echo b c{CTRL_LEFT}x {LEFT}{LEFT}{RIGHT}{RIGHT}!\r"), &["b x !c"]);
    // Multi-byte characters move and erase whole.
    check_keys(&mut shell, &format!("echo né{LEFT}{BACKSPACE}{END}e\r"), &["ée"]);

    // An escape sequence that arrives in pieces is still one key.
    shell.send("echo ab\x1b");
    thread::sleep(Duration::from_millis(100));
    shell.send("[");
    thread::sleep(Duration::from_millis(100));
    check_keys(&mut shell, "DX\r", &["aXb"]);

    // Ctrl-L clears the screen and draws the prompt and line again.
    shell.send(&format!("echo cleared{CTRL_L}"));
    shell.expect("\x1b[H\x1b[2J$ echo cleared");
    check_keys(&mut shell, "\r", &["cleared"]);

    // Ctrl-C drops the line: nothing runs, and the prompt comes back.
    shell.send(&format!("echo never{LEFT}{CTRL_C}"));
    let dropped = shell.expect_prompt();
    shell.check(dropped.ends_with("^C\r\n"), &format!("Ctrl-C gave {dropped:?}"));
    let alive = shell.run("echo after");
    shell.check(alive == ["after"], &format!("after Ctrl-C: {alive:?}"));
    shell.check(!shell.machine.output().contains("\r\nnever\r\n"), "the interrupted line ran");
    shell.machine.kill();
}

#[test]
fn up_and_down_walk_the_history_and_history_lists_it() {
    let mut shell = Shell::boot();
    shell.run("echo first");
    shell.run("echo second");
    // A line led by a blank is run but not kept.
    let hidden = shell.run(" echo hidden");
    shell.check(hidden == ["hidden"], &format!("` echo hidden` answered {hidden:?}"));

    // Up and Enter runs the last command again.
    check_keys(&mut shell, &format!("{UP}\r"), &["second"]);
    check_keys(&mut shell, &format!("{UP}{UP}\r"), &["first"]);
    // Down comes back to what was being typed.
    check_keys(&mut shell, &format!("echo dra{UP}{UP}{DOWN}{DOWN}ft\r"), &["draft"]);
    // A recalled line can be edited like a typed one.
    check_keys(&mut shell, &format!("{UP}{BACKSPACE}{BACKSPACE}{BACKSPACE}{BACKSPACE}{BACKSPACE}wow\r"), &["wow"]);

    let history = shell.run("history");
    let expected = ["echo first", "echo second", "echo first", "echo draft", "echo wow", "history"];
    let listed: Vec<(usize, &str)> = history
        .iter()
        .filter_map(|line| {
            let (number, command) = line.trim_start().split_once("  ")?;
            Some((number.parse().ok()?, command))
        })
        .collect();
    let numbered: Vec<(usize, &str)> = expected.iter().enumerate().map(|(at, line)| (at + 1, *line)).collect();
    shell.check(listed == numbered, &format!("`history` listed {history:?}, expected {numbered:?}"));
    shell.machine.kill();
}

#[test]
fn tab_completes_the_command_word() {
    let mut shell = Shell::boot();
    // One program matches: Tab completes it (and a blank).
    // (The prompt before the typed text was matched already.)
    shell.send(&format!("netst{TAB}"));
    shell.expect("netstat ");
    let table = keyed(&mut shell, "\r");
    shell.check(table == ["no sockets"], &format!("the completed `netstat` printed {table:?}"));
    // Builtins complete too.
    shell.send(&format!("hist{TAB}"));
    shell.expect("history ");
    let history = keyed(&mut shell, "\r");
    shell.check(history.last().is_some_and(|l| l.ends_with("  history")), &format!("`history` printed {history:?}"));

    // Several match: the first Tab completes what they share, the second lists them
    // above the prompt, which comes back with the line.
    shell.send(&format!("so{TAB}"));
    shell.expect("sock");
    shell.send(TAB);
    let listing = shell.expect_line("sock");
    for name in ["sockcheck", "socktest", "sockstress", "sockbench", "sockloop", "sockerrs"] {
        shell.check(listing.split_whitespace().any(|n| n == name), &format!("the choices {listing:?} miss {name}"));
    }
    shell.expect("$ sock");
    check_keys(&mut shell, &format!("{CTRL_U}echo done\r"), &["done"]);
    // Only the command word completes.
    check_keys(&mut shell, &format!("echo netst{TAB}\r"), &["netst"]);
    shell.machine.kill();
}
