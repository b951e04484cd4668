//! Reading a command line at the `$ ` prompt: the console edits the line;
//! the shell walks the history on Up and Down, completes the command word
//! on Tab, and reports ended background jobs when the console hands the
//! line back for that. The line stays on screen meanwhile; what the shell
//! prints goes above it, and reading again draws it below.

use alloc::string::String;
use alloc::vec::Vec;

use programs::command::builtin_names;
use programs::completion::{Completion, columns, complete};
use programs::history::{History, Walk};
use urt::io::{Edited, LineEdit, edit_line};
use urt::proto::console::HandBack;
use urt::supervisor;

use crate::jobs::Jobs;

pub const PROMPT: &str = "$ ";
/// Width the list of completions is laid out in.
const LIST_WIDTH: usize = 78;

#[derive(Debug, Default)]
pub struct Prompt {
    pub history: History,
    /// The boot image's programs, asked of init once.
    programs: Option<Vec<String>>,
}

impl Prompt {
    pub fn new() -> Self {
        Prompt { history: History::new(), programs: None }
    }

    /// The next command line; `None` after Ctrl-C or Ctrl-D (prompt again).
    pub fn read(&mut self, jobs: &mut Jobs) -> Option<String> {
        let mut text = String::new();
        let mut cursor = 0;
        let mut walk = Walk::new(&self.history);
        // The line and cursor at the last Tab: a second Tab lists choices.
        let mut last_tab: Option<(String, usize)> = None;
        loop {
            let edit = LineEdit { prompt: PROMPT, text: &text, cursor, keys: true, wake: true };
            let (why, edited, at) = match edit_line(&edit) {
                Edited::Line(line) => {
                    self.history.record(&line);
                    return Some(line);
                }
                Edited::Interrupted => return None,
                Edited::EndOfInput => {
                    if urt::io::console().is_err() {
                        // No console: nothing to read; do not spin.
                        let _ = urt::sleep(1000);
                    }
                    return None;
                }
                Edited::HandedBack { why, text, cursor } => (why, text, cursor),
            };
            let second_tab = why == HandBack::Tab && last_tab.as_ref() == Some(&(edited.clone(), at));
            (text, cursor) = (edited, at);
            last_tab = None;
            match why {
                HandBack::Woken => jobs.report_finished(),
                HandBack::Up => {
                    if let Some(older) = walk.up(&self.history, &text) {
                        (text, cursor) = at_end(older);
                    }
                }
                HandBack::Down => {
                    if let Some(newer) = walk.down(&self.history) {
                        (text, cursor) = at_end(newer);
                    }
                }
                HandBack::Tab => {
                    self.complete(&mut text, &mut cursor, second_tab);
                    last_tab = Some((text.clone(), cursor));
                }
            }
        }
    }

    fn complete(&mut self, text: &mut String, cursor: &mut usize, second_tab: bool) {
        let programs = self.programs.get_or_insert_with(boot_programs);
        let mut names: Vec<&str> = programs.iter().map(String::as_str).collect();
        for builtin in builtin_names() {
            names.push(builtin);
        }
        match complete(text, *cursor, names) {
            Completion::Insert(more) => {
                text.insert_str(*cursor, &more);
                *cursor += more.len();
            }
            Completion::Choices(choices) if second_tab => {
                let mut listing = String::new();
                for line in columns(&choices, LIST_WIDTH) {
                    listing.push_str(&line);
                    listing.push('\n');
                }
                urt::print!("{listing}");
            }
            Completion::Choices(_) | Completion::Nothing => {}
        }
    }

    /// `history`: the lines typed since boot, numbered.
    pub fn list_history(&self) {
        let mut listing = String::new();
        for (number, line) in self.history.numbered() {
            listing.push_str(&alloc::format!("{number:>4}  {line}\n"));
        }
        urt::print!("{listing}");
    }
}

fn at_end(text: String) -> (String, usize) {
    let cursor = text.len();
    (text, cursor)
}

/// The names of the boot image's programs.
fn boot_programs() -> Vec<String> {
    let mut names = Vec::new();
    while let Ok(name) = supervisor::program(names.len() as u32) {
        names.push(name);
    }
    names
}
