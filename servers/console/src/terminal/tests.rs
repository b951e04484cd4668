use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::discipline::{ERASE_ROW, HandBack};
use crate::vt_model::Vt;
use urt::rng::Rng;

const SHELL: TaskId = TaskId::new(3, 0);
const BACKGROUND: TaskId = TaskId::new(9, 0);
const CLIENT: TaskId = TaskId::new(12, 0);
const SHELL_MODE: ReadMode = ReadMode { keys: true, wake: true };
const PLAIN: ReadMode = ReadMode { keys: false, wake: false };

/// A terminal, every byte it sent, and a model screen showing them.
struct Fixture {
    terminal: Terminal,
    sent: Vec<u8>,
    vt: Vt,
}

impl Fixture {
    /// A terminal that has shown one line of earlier output.
    fn new() -> Self {
        let mut f = Fixture { terminal: Terminal::new(), sent: Vec::new(), vt: Vt::new() };
        f.show(TaskId::KERNEL, "earlier\n");
        f.sent.clear();
        f
    }

    fn out<T>(&mut self, act: impl FnOnce(&mut Terminal, &mut Vec<u8>) -> T) -> T {
        let mut out = Vec::new();
        let result = act(&mut self.terminal, &mut out);
        self.vt.feed(&out);
        self.sent.extend_from_slice(&out);
        result
    }

    fn read(&mut self, reader: TaskId, prompt: &str, text: &str, mode: ReadMode) -> Option<ReadEnd> {
        self.out(|t, out| t.begin_read(reader, (prompt.as_bytes(), text.as_bytes(), text.len()), mode, out))
    }

    fn type_in(&mut self, input: &str) -> Vec<Typed> {
        let typed: Vec<Typed> = input.bytes().map(|b| self.out(|t, out| t.typed(b, out))).collect();
        typed.into_iter().filter(|t| *t != Typed::Nothing).collect()
    }

    fn show(&mut self, writer: TaskId, text: &str) {
        self.out(|t, out| t.show(writer, text.as_bytes(), false, out));
    }

    /// The rows below the earlier output.
    fn rows(&self) -> Vec<String> {
        let mut rows = self.vt.rows().split_off(1);
        while rows.last().is_some_and(String::is_empty) {
            rows.pop();
        }
        rows
    }

    fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent).into_owned()
    }
}

#[test]
fn background_output_goes_above_the_prompt_which_is_drawn_again() {
    let mut f = Fixture::new();
    f.show(SHELL, "[5] socktest\n");
    f.read(SHELL, "$ ", "", SHELL_MODE);
    f.type_in("echo par\x1b[D");
    f.show(BACKGROUND, "server: listening on port 12\nsecond line\n");
    assert_eq!(f.rows(), ["[5] socktest", "server: listening on port 12", "second line", "$ echo par"]);
    // The cursor is back where the person left it.
    assert_eq!(f.vt.cursor_column(), "$ echo pa".len());
    // In the byte stream each output line starts after a line end, and so does the prompt.
    assert!(
        f.sent().contains("\r\x1b[K\x1b[A\r\nserver: listening on port 12\r\nsecond line\r\n$ echo par\x1b[D"),
        "{:?}",
        f.sent()
    );
    f.type_in("\x05tial");
    assert_eq!(f.type_in("\r"), [Typed::Ended(ReadEnd::Line)]);
    assert_eq!(f.terminal.line(), b"echo partial");
    assert_eq!(f.rows().last().unwrap(), "$ echo partial");
}

#[test]
fn output_without_a_line_end_is_ended_before_the_prompt() {
    let mut f = Fixture::new();
    f.read(SHELL, "$ ", "", SHELL_MODE);
    f.type_in("ls");
    f.show(BACKGROUND, "50%");
    assert_eq!(f.rows(), ["50%", "$ ls"]);
    f.show(BACKGROUND, " done\n");
    assert_eq!(f.rows(), ["50%", " done", "$ ls"]);
}

#[test]
fn a_long_writes_line_is_whole_before_the_prompt_comes_back() {
    let mut f = Fixture::new();
    f.read(SHELL, "$ ", "", SHELL_MODE);
    f.type_in("x");
    f.out(|t, out| t.show(BACKGROUND, b"first half ", true, out));
    assert!(!f.sent().ends_with("$ x"));
    f.out(|t, out| t.show(BACKGROUND, b"second half\n", false, out));
    assert_eq!(f.rows(), ["first half second half", "$ x"]);
}

#[test]
fn a_plain_read_keeps_the_programs_own_prompt_as_before() {
    let mut f = Fixture::new();
    f.show(CLIENT, "client> ");
    f.read(CLIENT, "", "", PLAIN);
    f.type_in("hel");
    f.show(BACKGROUND, "server: received \"x\"\n");
    // The row is ended, not erased; the typed text follows the output.
    assert_eq!(f.rows(), ["client> hel", "server: received \"x\"", "hel"]);
    f.type_in("lo\r");
    assert_eq!(f.terminal.line(), b"hello");
    // Nothing typed: nothing is repeated.
    f.show(CLIENT, "client> ");
    f.read(CLIENT, "", "", PLAIN);
    f.show(BACKGROUND, "late\n");
    assert_eq!(f.rows()[3..], ["client>", "late"]);
}

#[test]
fn the_readers_own_output_after_a_hand_back_goes_above_its_line() {
    let mut f = Fixture::new();
    f.read(SHELL, "$ ", "", SHELL_MODE);
    f.type_in("ec");
    assert_eq!(f.out(|t, _| t.job_ended(SHELL)), Some(ReadEnd::HandBack(HandBack::Woken)));
    assert_eq!(f.terminal.text(), (&b"ec"[..], 2));
    f.show(SHELL, "[5] fault exited (status 2)\n");
    f.read(SHELL, "$ ", "ec", SHELL_MODE);
    assert_eq!(f.rows(), ["[5] fault exited (status 2)", "$ ec"]);
    assert!(f.sent().contains(&format!("{}[5] fault", String::from_utf8_lossy(ERASE_ROW).replace('\n', "\r\n"))));
}

#[test]
fn a_job_that_ends_while_the_reader_is_busy_wakes_its_next_read() {
    let mut f = Fixture::new();
    assert_eq!(f.out(|t, _| t.job_ended(SHELL)), None);
    assert!(!f.terminal.take_pending_wake(BACKGROUND));
    assert!(f.terminal.take_pending_wake(SHELL));
    assert!(!f.terminal.take_pending_wake(SHELL), "taken once");
    // A read that does not ask for it is not woken.
    f.read(CLIENT, "", "", PLAIN);
    assert_eq!(f.out(|t, _| t.job_ended(CLIENT)), None);
    assert_eq!(f.terminal.reader(), Some(CLIENT));
}

#[test]
fn end_of_input_at_the_prompt_ends_its_row() {
    let mut f = Fixture::new();
    f.read(SHELL, "$ ", "", SHELL_MODE);
    assert_eq!(f.type_in("\x04"), [Typed::Ended(ReadEnd::EndOfInput)]);
    assert_eq!(f.sent(), "$ \r\n");
    assert_eq!(f.terminal.reader(), None);
}

#[test]
fn an_interrupt_that_goes_elsewhere_starts_the_line_over() {
    let mut f = Fixture::new();
    f.read(CLIENT, "> ", "", PLAIN);
    f.type_in("abc");
    assert_eq!(f.type_in("\x03"), [Typed::Interrupt]);
    f.out(|t, out| t.restore_line(out));
    assert_eq!(f.rows(), ["> abc^C", ">"]);
    assert_eq!(f.terminal.reader(), Some(CLIENT));
}

#[test]
fn a_reader_that_goes_away_leaves_its_text_as_it_is() {
    let mut f = Fixture::new();
    f.read(CLIENT, "", "", PLAIN);
    f.type_in("half");
    f.terminal.end_read();
    f.read(SHELL, "$ ", "", SHELL_MODE);
    assert_eq!(f.rows(), ["half", "$"]);
    f.type_in("ok\r");
    assert_eq!(f.terminal.line(), b"ok");
}

#[test]
fn any_keys_and_output_keep_the_prompted_line_true_on_screen() {
    const KEYS: &[&str] = &[
        "a",
        "b",
        " ",
        "é",
        "€",
        "\t",
        "\x1b[D",
        "\x1b[C",
        "\x1b[H",
        "\x1b[F",
        "\x1b[3~",
        "\x1b[1;5D",
        "\x1b[1;5C",
        "\x7f",
        "\x01",
        "\x05",
        "\x15",
        "\x0b",
        "\x17",
        "\x1b[A",
        "\x1b[B",
        "\x1b",
        "[",
        "\x0c",
    ];
    let mut rng = Rng::new(7);
    for _ in 0..300 {
        let mut f = Fixture::new();
        f.read(SHELL, "$ ", "", SHELL_MODE);
        for _ in 0..60 {
            match rng.below(10) {
                0 => f.show(BACKGROUND, "output line\n"),
                1 => f.show(BACKGROUND, "half"),
                _ => {
                    for typed in f.type_in(rng.pick(KEYS)) {
                        // A key handed back: read again with the same text.
                        assert!(matches!(typed, Typed::Ended(ReadEnd::HandBack(_))), "{typed:?}");
                        let (text, cursor) = f.terminal.text();
                        let text = text.to_vec();
                        f.out(|t, out| t.begin_read(SHELL, (b"$ ", &text, cursor), SHELL_MODE, out));
                    }
                }
            }
            if f.terminal.reader().is_none() {
                continue;
            }
            let (text, cursor) = f.terminal.text();
            let shown = String::from_utf8_lossy(text).replace('\t', " ");
            assert_eq!(f.vt.current(), format!("$ {shown}"), "{:?}", f.sent());
            let column = 2 + crate::editor::columns(&text[..cursor]);
            assert_eq!(f.vt.cursor_column(), column, "{:?}", f.sent());
        }
    }
}
