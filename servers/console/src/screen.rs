//! Output assembly: puts text from many tasks on one serial line so that
//! every task's output starts at a line start.
//!
//! Text is shown as the server hands it over: a short write whole, a long
//! one in pieces that end at line ends (`output_queue`). If a task left its
//! line open (a prompt like `$ `) and another task writes, the open line is
//! ended first; the prompt is not repeated. The owner of the open line
//! continues it undisturbed (the shell's echoed input follows its prompt).
//! Line ends become CR LF for the terminal.

use alloc::vec::Vec;

use abi::TaskId;

/// Where the screen's bytes go: the UART in the server, a buffer in tests.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

#[derive(Debug, Default)]
pub struct Screen {
    /// Who wrote the unfinished line at the cursor; `None` at a line start.
    open_line: Option<TaskId>,
}

impl Screen {
    pub const fn new() -> Self {
        Screen { open_line: None }
    }

    /// Puts into `out` the bytes that show `text` written by `writer`.
    /// Returns whether another task's open line had to be ended first.
    pub fn write(&mut self, writer: TaskId, text: &[u8], out: &mut impl Sink) -> bool {
        if text.is_empty() {
            return false;
        }
        let broke = matches!(self.open_line, Some(owner) if owner != writer);
        if broke {
            out.put(b"\r\n");
        }
        // Runs of plain bytes go out as they are; each line end as CR LF.
        let mut run_start = 0;
        for (i, &byte) in text.iter().enumerate() {
            match byte {
                b'\n' => {
                    out.put(&text[run_start..i]);
                    out.put(b"\r\n");
                    run_start = i + 1;
                }
                // CR LF in the text: the LF brings its own CR.
                b'\r' if text.get(i + 1) == Some(&b'\n') => {
                    out.put(&text[run_start..i]);
                    run_start = i + 1;
                }
                _ => {}
            }
        }
        out.put(&text[run_start..]);
        self.open_line = if text.last() == Some(&b'\n') { None } else { Some(writer) };
        broke
    }

    /// Ends the open line, whoever wrote it.
    pub fn end_line(&mut self, out: &mut impl Sink) {
        if self.open_line.take().is_some() {
            out.put(b"\r\n");
        }
    }

    /// Whether the cursor is at a line start.
    pub fn at_line_start(&self) -> bool {
        self.open_line.is_none()
    }

    /// Who wrote the open line, if the cursor is not at a line start.
    pub fn owner(&self) -> Option<TaskId> {
        self.open_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHELL: TaskId = TaskId::new(3, 0);
    const OTHER: TaskId = TaskId::new(4, 0);

    fn show(screen: &mut Screen, writer: TaskId, text: &str) -> String {
        let mut out = Vec::new();
        screen.write(writer, text.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_get_crlf() {
        let mut s = Screen::new();
        assert_eq!(show(&mut s, SHELL, "a\nb\r\n"), "a\r\nb\r\n");
        assert!(s.at_line_start());
    }

    #[test]
    fn another_tasks_line_starts_on_a_fresh_line() {
        let mut s = Screen::new();
        assert_eq!(show(&mut s, SHELL, "$ "), "$ ");
        assert_eq!(show(&mut s, OTHER, "[1] done\n"), "\r\n[1] done\r\n");
        // The prompt is not reprinted; the shell continues on the new line.
        assert_eq!(show(&mut s, SHELL, "ls\n"), "ls\r\n");
    }

    #[test]
    fn the_owner_continues_its_own_line() {
        let mut s = Screen::new();
        assert_eq!(show(&mut s, SHELL, "$ "), "$ ");
        assert_eq!(show(&mut s, SHELL, "ls"), "ls");
        assert_eq!(s.owner(), Some(SHELL));
        let mut out = Vec::new();
        s.end_line(&mut out);
        assert_eq!(out, b"\r\n");
        s.end_line(&mut out);
        assert_eq!(out, b"\r\n", "ending twice adds nothing");
    }

    #[test]
    fn empty_writes_change_nothing() {
        let mut s = Screen::new();
        show(&mut s, SHELL, "$ ");
        assert_eq!(show(&mut s, OTHER, ""), "");
        assert_eq!(s.owner(), Some(SHELL));
    }
}
