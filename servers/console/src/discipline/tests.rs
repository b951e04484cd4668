use alloc::string::String;
use alloc::vec::Vec;

use super::*;

const SHELL: TaskId = TaskId::new(3, 0);
const OTHER: TaskId = TaskId::new(7, 1);
const PLAIN: ReadMode = ReadMode { keys: false, wake: false };
const SHELL_MODE: ReadMode = ReadMode { keys: true, wake: true };

/// Types `input` byte by byte; returns the echo and what each byte did
/// (besides nothing).
fn type_in(d: &mut Discipline, input: &[u8]) -> (String, Vec<Typed>) {
    let mut echo = Vec::new();
    let done = input.iter().map(|&b| d.typed(b, &mut echo)).filter(|t| *t != Typed::Nothing).collect();
    (String::from_utf8(echo).unwrap(), done)
}

fn begin(d: &mut Discipline, reader: TaskId, prompt: &str, text: &str, mode: ReadMode) -> (String, Option<ReadEnd>) {
    let mut echo = Vec::new();
    let end = d.begin(reader, prompt.as_bytes(), text.as_bytes(), text.len(), mode, &mut echo);
    (String::from_utf8(echo).unwrap(), end)
}

fn line(d: &Discipline) -> &str {
    core::str::from_utf8(d.line()).unwrap()
}

fn text(d: &Discipline) -> (&str, usize) {
    (core::str::from_utf8(d.text()).unwrap(), d.cursor())
}

const LINE: Typed = Typed::Ended(ReadEnd::Line);

/// Reads lines from input typed ahead, one read each, until none is left.
fn read_all(d: &mut Discipline) -> Vec<String> {
    let mut lines = Vec::new();
    while let (_, Some(end)) = begin(d, OTHER, "", "", PLAIN) {
        match end {
            ReadEnd::Line => lines.push(line(d).into()),
            ReadEnd::EndOfInput => lines.push("<eof>".into()),
            other => panic!("{other:?}"),
        }
    }
    d.abandon();
    lines
}

#[test]
fn cr_lf_and_crlf_each_end_one_line() {
    let mut d = Discipline::new();
    type_in(&mut d, b"a\rb\nc\r\nd\n\re\r\r");
    // LF CR is two line ends; CR CR is two as well.
    assert_eq!(read_all(&mut d), ["a", "b", "c", "d", "", "e", ""]);
}

#[test]
fn a_live_read_echoes_as_typed() {
    let mut d = Discipline::new();
    assert_eq!(begin(&mut d, SHELL, "$ ", "", SHELL_MODE), ("$ ".into(), None));
    assert_eq!(type_in(&mut d, b"ls"), ("ls".into(), vec![]));
    assert_eq!(type_in(&mut d, b"\r"), ("\n".into(), vec![LINE]));
    assert_eq!(line(&d), "ls");
    assert!(!d.is_reading() && !d.is_shown());
}

#[test]
fn typed_ahead_lines_are_echoed_after_the_prompt_of_their_read() {
    let mut d = Discipline::new();
    let (echo, _) = type_in(&mut d, b"echo hi\nps\nx");
    assert!(echo.is_empty());
    assert_eq!(begin(&mut d, SHELL, "$ ", "", SHELL_MODE), ("$ echo hi\n".into(), Some(ReadEnd::Line)));
    assert_eq!(line(&d), "echo hi");
    assert_eq!(begin(&mut d, SHELL, "$ ", "", SHELL_MODE), ("$ ps\n".into(), Some(ReadEnd::Line)));
    // The rest of the queue becomes the live line.
    assert_eq!(begin(&mut d, SHELL, "$ ", "", SHELL_MODE), ("$ x".into(), None));
    assert_eq!(type_in(&mut d, b"y\r").1, [LINE]);
    assert_eq!(line(&d), "xy");
}

#[test]
fn editing_keys_change_the_line_anywhere() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    // echo hXi, left, backspace, Enter.
    let (echo, done) = type_in(&mut d, b"echo hXi\x1b[D\x7f\r");
    assert_eq!(done, [LINE]);
    assert_eq!(line(&d), "echo hi");
    // The Enter first moves the cursor to the line end.
    assert!(echo.ends_with("\x1b[C\n"), "{echo:?}");
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"cho there\x01e\r");
    assert_eq!(line(&d), "echo there");
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"one two three\x17\x17x\x1b[H\x1b[3~\x05\x08\x15new\x0b\n");
    assert_eq!(line(&d), "new");
}

#[test]
fn an_escape_sequence_split_across_reads_still_counts() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"ab\x1b");
    type_in(&mut d, b"[");
    type_in(&mut d, b"D");
    type_in(&mut d, b"X\x1b[");
    // The read ends with the sequence half typed; the rest waits for the next read.
    assert_eq!(d.wake(), Some(ReadEnd::HandBack(HandBack::Woken)));
    assert_eq!(text(&d), ("aXb", 2));
    type_in(&mut d, b"C!\r");
    begin(&mut d, SHELL, "$ ", "aXb", SHELL_MODE);
    assert_eq!(line(&d), "aXb!");
}

#[test]
fn ctrl_c_drops_the_line_and_interrupts_at_once() {
    let mut d = Discipline::new();
    begin(&mut d, OTHER, "", "", PLAIN);
    let (echo, done) = type_in(&mut d, b"sle\x1b[D\x03");
    assert_eq!(done, [Typed::Interrupt]);
    assert!(echo.ends_with("\x1b[C^C\n"), "{echo:?}");
    assert_eq!(text(&d), ("", 0));
    d.abandon();
    // Nobody reads: finished lines stay, the unfinished one goes.
    let (echo, done) = type_in(&mut d, b"ok\nhalf\x03");
    assert_eq!((echo.as_str(), done), ("^C\n", vec![Typed::Interrupt]));
    assert_eq!(read_all(&mut d), ["ok"]);
}

#[test]
fn ctrl_d_ends_input_or_hands_over_the_text() {
    let mut d = Discipline::new();
    type_in(&mut d, b"\x04abc\x04\x04");
    assert_eq!(read_all(&mut d), ["<eof>", "abc", "<eof>"]);
}

#[test]
fn unknown_sequences_and_control_bytes_are_ignored_and_tab_is_text_for_plain_reads() {
    let mut d = Discipline::new();
    type_in(&mut d, b"a\x1b[A\x1b[1;5Xb\x1bxc\tz\x1b[B\n");
    assert_eq!(read_all(&mut d), ["abc\tz"]);
}

#[test]
fn long_lines_are_cut() {
    let mut d = Discipline::new();
    begin(&mut d, OTHER, "", "", PLAIN);
    type_in(&mut d, &vec![b'q'; MAX_LINE + 10]);
    type_in(&mut d, b"\n");
    assert_eq!(d.line().len(), MAX_LINE);
}

#[test]
fn a_full_queue_refuses_bytes_until_a_read_takes_some() {
    let mut d = Discipline::new();
    for _ in 0..INPUT_QUEUE / 4 {
        type_in(&mut d, b"ab\n\r");
    }
    assert!(!d.has_room());
    begin(&mut d, OTHER, "", "", PLAIN);
    assert!(d.has_room());
    assert_eq!(line(&d), "ab");
}

#[test]
fn up_down_and_tab_are_handed_back_to_reads_that_take_keys() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    let (_, done) = type_in(&mut d, b"net\x1b[A");
    assert_eq!(done, [Typed::Ended(ReadEnd::HandBack(HandBack::Up))]);
    assert_eq!(text(&d), ("net", 3));
    // The line stays on screen; keys typed meanwhile wait.
    assert!(d.is_shown() && !d.is_reading());
    type_in(&mut d, b"x\t");
    // The reader brings the history entry: only the difference is drawn,
    // then the waiting keys act on it.
    let (echo, end) = begin(&mut d, SHELL, "$ ", "netstat", SHELL_MODE);
    assert_eq!(echo, "statx");
    assert_eq!(end, Some(ReadEnd::HandBack(HandBack::Tab)));
    assert_eq!(text(&d), ("netstatx", 8));
    let (echo, end) = begin(&mut d, SHELL, "$ ", "netstat ", SHELL_MODE);
    assert_eq!((echo.as_str(), end), ("\x1b[D ", None));
    assert_eq!(type_in(&mut d, b"\x0e").1, [Typed::Ended(ReadEnd::HandBack(HandBack::Down))]);
    // A plain read ignores Up and Down.
    d.abandon();
    begin(&mut d, OTHER, "", "", PLAIN);
    assert_eq!(type_in(&mut d, b"\x1b[A\x1b[B").1, []);
}

#[test]
fn a_read_that_asks_is_woken_and_keeps_its_text() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"ec");
    assert_eq!(d.wake(), Some(ReadEnd::HandBack(HandBack::Woken)));
    assert_eq!(text(&d), ("ec", 2));
    // Nothing changed: reading again draws nothing.
    assert_eq!(begin(&mut d, SHELL, "$ ", "ec", SHELL_MODE), (String::new(), None));
    d.abandon();
    begin(&mut d, OTHER, "", "", PLAIN);
    assert_eq!(d.wake(), None);
    assert!(d.is_reading());
}

#[test]
fn ctrl_c_on_a_handed_back_line_interrupts_its_next_read() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"abc\x1b[D\t");
    let (echo, done) = type_in(&mut d, b"\x03");
    assert_eq!((echo.as_str(), done), ("\x1b[C^C\n", vec![Typed::Cancelled]));
    assert!(!d.is_shown());
    assert_eq!(begin(&mut d, SHELL, "$ ", "abcd", SHELL_MODE), (String::new(), Some(ReadEnd::Interrupted)));
    assert_eq!(begin(&mut d, SHELL, "$ ", "", SHELL_MODE), ("$ ".into(), None));
}

#[test]
fn other_output_hides_a_prompted_line_and_it_is_drawn_again() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"echo par\x1b[D");
    let mut out = Vec::new();
    assert!(d.hide(&mut out));
    assert_eq!(out, ERASE_ROW);
    assert!(d.needs_redraw());
    out.clear();
    d.redraw(&mut out);
    assert_eq!(out, b"$ echo par\x1b[D");
    // A plain read with nothing typed has nothing to draw again.
    d.abandon();
    begin(&mut d, OTHER, "", "", PLAIN);
    out.clear();
    assert!(!d.hide(&mut out) && out.is_empty() && !d.needs_redraw());
    type_in(&mut d, b"hel");
    assert!(d.hide(&mut out) && out.is_empty(), "a plain line is not erased");
    d.redraw(&mut out);
    assert_eq!(out, b"hel");
}

#[test]
fn ctrl_l_clears_the_screen_and_draws_the_line() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "ls", SHELL_MODE);
    let (echo, _) = type_in(&mut d, b"\x1b[D\x0c");
    assert_eq!(echo, "\x1b[D\x1b[H\x1b[2J$ ls\x1b[D");
}

#[test]
fn another_readers_read_draws_afresh() {
    let mut d = Discipline::new();
    begin(&mut d, SHELL, "$ ", "", SHELL_MODE);
    type_in(&mut d, b"ab\t");
    assert_eq!(begin(&mut d, OTHER, "> ", "", PLAIN), ("> ".into(), None));
    assert_eq!(d.owner(), Some(OTHER));
}
