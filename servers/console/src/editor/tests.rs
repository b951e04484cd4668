use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::vt_model::Vt;

/// An editor and a model terminal that shows what it echoes after `$ `.
struct Fixture {
    editor: LineEditor,
    vt: Vt,
    echo: Vec<u8>,
}

impl Fixture {
    fn new(text: &str, cursor: usize) -> Self {
        let mut editor = LineEditor::new();
        editor.load(text.as_bytes(), cursor);
        let mut vt = Vt::new();
        let mut echo = Vec::new();
        echo.extend_from_slice(b"$ ");
        editor.draw(&mut echo);
        vt.feed(&echo);
        let fixture = Fixture { editor, vt, echo: Vec::new() };
        fixture.check();
        fixture
    }

    fn apply(&mut self, change: impl FnOnce(&mut LineEditor, &mut Vec<u8>)) -> &mut Self {
        self.echo.clear();
        change(&mut self.editor, &mut self.echo);
        self.vt.feed(&self.echo);
        self.check();
        self
    }

    /// The screen shows the line, and the terminal's cursor is the editor's.
    fn check(&self) {
        let text = String::from_utf8_lossy(self.editor.text()).replace('\t', " ");
        assert_eq!(self.vt.current(), alloc::format!("$ {text}"), "screen vs text");
        let column = 2 + columns(&self.editor.text()[..self.editor.cursor()]);
        assert_eq!(self.vt.cursor_column(), column, "cursor on {:?}", self.vt.current());
    }

    fn text(&self) -> &str {
        core::str::from_utf8(self.editor.text()).unwrap()
    }
}

#[test]
fn typing_at_the_end_echoes_just_the_characters() {
    let mut f = Fixture::new("", 0);
    f.apply(|e, out| e.insert(b"l", out));
    assert_eq!(f.echo, b"l");
    f.apply(|e, out| e.insert("é".as_bytes(), out));
    assert_eq!(f.echo, "é".as_bytes());
    assert_eq!(f.text(), "lé");
}

#[test]
fn editing_inside_the_line_redraws_its_tail() {
    // echo hXi, left, backspace: echo hi with the cursor before the i.
    let mut f = Fixture::new("echo hXi", 8);
    f.apply(|e, out| e.left(out));
    assert_eq!(f.echo, b"\x1b[D");
    f.apply(|e, out| e.backspace(out));
    assert_eq!(f.echo, b"\x1b[Di\x1b[K\x1b[D");
    assert_eq!((f.text(), f.editor.cursor()), ("echo hi", 6));
    f.apply(|e, out| e.insert(b"!", out));
    assert_eq!(f.text(), "echo h!i");
    f.apply(|e, out| e.home(out)).apply(|e, out| e.insert(b"e", out));
    assert_eq!(f.text(), "eecho h!i");
    f.apply(|e, out| e.delete(out)).apply(|e, out| e.end(out)).apply(|e, out| e.delete(out));
    assert_eq!(f.text(), "echo h!i");
}

#[test]
fn erasing_to_either_end_and_words() {
    let mut f = Fixture::new("cat  some file", 10);
    f.apply(|e, out| e.erase_word(out));
    assert_eq!((f.text(), f.editor.cursor()), ("cat  file", 5));
    f.apply(|e, out| e.erase_word(out));
    assert_eq!((f.text(), f.editor.cursor()), ("file", 0));
    f.apply(|e, out| e.erase_word(out));
    assert_eq!(f.text(), "file");
    f.apply(|e, out| e.right(out)).apply(|e, out| e.right(out)).apply(|e, out| e.erase_to_end(out));
    assert_eq!(f.text(), "fi");
    f.apply(|e, out| e.left(out)).apply(|e, out| e.erase_to_start(out));
    assert_eq!((f.text(), f.editor.cursor()), ("i", 0));
    // Nothing to erase: nothing is sent.
    f.apply(|e, out| e.erase_to_start(out)).apply(|e, out| e.backspace(out)).apply(|e, out| e.left(out));
    assert!(f.echo.is_empty());
}

#[test]
fn word_moves_skip_blanks_then_a_word() {
    let mut f = Fixture::new("ls  -l /x", 9);
    f.apply(|e, out| e.word_left(out));
    assert_eq!(f.editor.cursor(), 7);
    f.apply(|e, out| e.word_left(out)).apply(|e, out| e.word_left(out));
    assert_eq!(f.editor.cursor(), 0);
    f.apply(|e, out| e.word_right(out));
    assert_eq!(f.editor.cursor(), 2);
    f.apply(|e, out| e.word_right(out));
    assert_eq!(f.editor.cursor(), 6);
}

#[test]
fn multibyte_characters_move_and_erase_whole() {
    let mut f = Fixture::new("aé€b", 7);
    f.apply(|e, out| e.left(out)).apply(|e, out| e.backspace(out));
    assert_eq!((f.text(), f.editor.cursor()), ("aéb", 3));
    f.apply(|e, out| e.left(out)).apply(|e, out| e.delete(out));
    assert_eq!(f.text(), "ab");
}

#[test]
fn tabs_take_one_column() {
    let mut f = Fixture::new("a\tb", 3);
    f.apply(|e, out| e.left(out)).apply(|e, out| e.left(out)).apply(|e, out| e.insert(b"x", out));
    assert_eq!(f.text(), "ax\tb");
}

#[test]
fn replacing_the_line_draws_only_the_difference() {
    let mut f = Fixture::new("netst", 5);
    f.apply(|e, out| e.replace(b"netstat ", 8, out));
    assert_eq!(f.echo, b"at ");
    f.apply(|e, out| e.replace(b"ls", 1, out));
    assert_eq!((f.text(), f.editor.cursor()), ("ls", 1));
    f.apply(|e, out| e.replace("lé".as_bytes(), 3, out));
    f.apply(|e, out| e.replace("lè".as_bytes(), 1, out));
    assert_eq!((f.text(), f.editor.cursor()), ("lè", 1));
    // A cursor that is not a boundary goes to the end.
    f.apply(|e, out| e.replace("é".as_bytes(), 1, out));
    assert_eq!(f.editor.cursor(), 2);
}

#[test]
fn the_line_never_grows_past_its_limit() {
    let long = "q".repeat(MAX_LINE - 1);
    let mut f = Fixture::new(&long, MAX_LINE - 1);
    f.apply(|e, out| e.insert("é".as_bytes(), out));
    assert_eq!(f.editor.text().len(), MAX_LINE - 1);
    f.apply(|e, out| e.insert(b"x", out)).apply(|e, out| e.insert(b"y", out));
    assert_eq!(f.editor.text().len(), MAX_LINE);
    let mut editor = LineEditor::new();
    editor.load("x".repeat(MAX_LINE + 5).as_bytes(), 3);
    assert_eq!((editor.text().len(), editor.cursor()), (MAX_LINE, 3));
}

#[test]
fn text_that_is_not_utf8_is_edited_without_trouble() {
    let mut editor = LineEditor::new();
    let mut out = Vec::new();
    editor.load(b"\x80\x80ab\xff", 1);
    assert_eq!(editor.cursor(), 5, "not a boundary: the cursor goes to the end");
    editor.replace(b"\x80\xbfz", 1, &mut out);
    assert_eq!((editor.text(), editor.cursor()), (&b"\x80\xbfz"[..], 3));
    editor.home(&mut out);
    editor.delete(&mut out);
    editor.backspace(&mut out);
    editor.end(&mut out);
    editor.erase_word(&mut out);
    assert!(editor.text().len() < 3);
}
