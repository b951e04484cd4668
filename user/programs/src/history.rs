//! The shell's history: the command lines of this boot, and walking them
//! with Up and Down while a line is being edited.
//!
//! A line that starts with a blank is not recorded (to keep a command out
//! of the history), nor is an empty line or a repeat of the line just
//! before. The oldest lines go when there are [`HISTORY_MAX`]; the numbers
//! `history` shows keep counting from the first line of the boot.

use alloc::collections::VecDeque;
use alloc::string::String;

/// Lines kept at most.
pub const HISTORY_MAX: usize = 200;

#[derive(Debug)]
pub struct History {
    lines: VecDeque<String>,
    /// The number of the oldest line kept (lines are numbered from 1).
    first_number: usize,
}

impl Default for History {
    /// Empty, numbering from 1 as `new` does.
    fn default() -> Self {
        Self::new()
    }
}

impl History {
    pub fn new() -> Self {
        History { lines: VecDeque::new(), first_number: 1 }
    }

    /// Records a line typed at the prompt (without blanks at its end, such
    /// as completion leaves), unless it is kept out.
    pub fn record(&mut self, line: &str) {
        let line = line.trim_end();
        if line.starts_with(char::is_whitespace)
            || line.is_empty()
            || self.lines.back().is_some_and(|last| last == line)
        {
            return;
        }
        if self.lines.len() == HISTORY_MAX {
            self.lines.pop_front();
            self.first_number += 1;
        }
        self.lines.push_back(line.into());
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines with their numbers, oldest first.
    pub fn numbered(&self) -> impl Iterator<Item = (usize, &str)> {
        self.lines.iter().enumerate().map(|(at, line)| (self.first_number + at, line.as_str()))
    }
}

/// Where Up and Down have taken one line being edited: an older line, or
/// back at the line the person was typing (kept as it was).
#[derive(Debug)]
pub struct Walk {
    /// Index into the history; `len` is the line being typed.
    at: usize,
    typed: String,
}

impl Walk {
    /// Starts at the line being typed.
    pub fn new(history: &History) -> Self {
        Walk { at: history.len(), typed: String::new() }
    }

    /// Up: the next older line, or `None` at the oldest. `current` is the
    /// text as edited now (kept if it is the line being typed).
    pub fn up(&mut self, history: &History, current: &str) -> Option<String> {
        if self.at == 0 || history.is_empty() {
            return None;
        }
        if self.at >= history.len() {
            self.typed = current.into();
        }
        self.at = self.at.min(history.len()) - 1;
        history.lines.get(self.at).cloned()
    }

    /// Down: the next newer line, the line being typed after the newest, or
    /// `None` when already there.
    pub fn down(&mut self, history: &History) -> Option<String> {
        if self.at >= history.len() {
            return None;
        }
        self.at += 1;
        Some(history.lines.get(self.at).cloned().unwrap_or_else(|| self.typed.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn history(lines: &[&str]) -> History {
        let mut history = History::new();
        lines.iter().for_each(|line| history.record(line));
        history
    }

    #[test]
    fn blank_led_empty_and_repeated_lines_are_not_recorded() {
        let h = history(&["ls", " secret", "", "  ", "ps", "ps ", "ls"]);
        let numbered: Vec<(usize, &str)> = h.numbered().collect();
        assert_eq!(numbered, [(1, "ls"), (2, "ps"), (3, "ls")]);
    }

    #[test]
    fn the_oldest_lines_go_and_numbers_keep_counting() {
        let mut h = History::new();
        for n in 0..HISTORY_MAX + 3 {
            h.record(&alloc::format!("echo {n}"));
        }
        assert_eq!(h.len(), HISTORY_MAX);
        assert_eq!(h.numbered().next(), Some((4, "echo 3")));
    }

    #[test]
    fn up_and_down_walk_the_lines_and_come_back_to_the_typed_one() {
        let h = history(&["one", "two"]);
        let mut walk = Walk::new(&h);
        assert_eq!(walk.down(&h), None);
        assert_eq!(walk.up(&h, "draft").as_deref(), Some("two"));
        assert_eq!(walk.up(&h, "two edited").as_deref(), Some("one"));
        assert_eq!(walk.up(&h, "one"), None);
        assert_eq!(walk.down(&h).as_deref(), Some("two"));
        assert_eq!(walk.down(&h).as_deref(), Some("draft"));
        assert_eq!(walk.down(&h), None);
        let empty = History::new();
        assert_eq!(Walk::new(&empty).up(&empty, "x"), None);
    }
}
