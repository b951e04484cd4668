//! Tab completion of the command word (the first word of the line)
//! against the builtins and the programs in the boot image.

use alloc::string::String;
use alloc::vec::Vec;

/// What Tab does to the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Nothing matches, or the cursor is past the command word.
    Nothing,
    /// Insert this at the cursor: the rest of the one name that matches and
    /// a blank, or what all the names that match have in common.
    Insert(String),
    /// Several names match and have nothing more in common: these, sorted.
    Choices(Vec<String>),
}

/// Completes the word before `cursor` in `line` from `names`.
pub fn complete<'a>(line: &str, cursor: usize, names: impl IntoIterator<Item = &'a str>) -> Completion {
    let Some(before) = line.get(..cursor) else {
        return Completion::Nothing;
    };
    let word = before.trim_start();
    if word.contains(char::is_whitespace) {
        return Completion::Nothing;
    }
    let mut matches: Vec<&str> = names.into_iter().filter(|name| name.starts_with(word)).collect();
    matches.sort_unstable();
    matches.dedup();
    match matches[..] {
        [] => Completion::Nothing,
        [only] => {
            let blank = if line[cursor..].starts_with(' ') { "" } else { " " };
            Completion::Insert(alloc::format!("{}{blank}", &only[word.len()..]))
        }
        [first, ..] => {
            let common = matches.iter().fold(first.len(), |len, name| common_prefix(&first[..len], name));
            if common > word.len() {
                Completion::Insert(first[word.len()..common].into())
            } else {
                Completion::Choices(matches.into_iter().map(String::from).collect())
            }
        }
    }
}

/// Bytes `a` and `b` share at their start, on a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices().zip(b.chars()).find(|((_, x), y)| x != y).map_or(a.len().min(b.len()), |((at, _), _)| at)
}

/// Lays out `choices` in lines of at most `width` columns, two blanks apart.
pub fn columns(choices: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for choice in choices {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + choice.chars().count() <= width => {
                line.push_str("  ");
                line.push_str(choice);
            }
            _ => lines.push(choice.clone()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["netstat", "nc", "netd", "sockcheck", "socktest", "sockstress", "ls", "sleep"];

    fn complete_at_end(line: &str) -> Completion {
        complete(line, line.len(), NAMES.iter().copied())
    }

    #[test]
    fn one_match_completes_the_word_and_adds_a_blank() {
        assert_eq!(complete_at_end("netst"), Completion::Insert("at ".into()));
        assert_eq!(complete_at_end("  sl"), Completion::Insert("eep ".into()));
        assert_eq!(complete("netst 5", 5, NAMES.iter().copied()), Completion::Insert("at".into()));
    }

    #[test]
    fn several_matches_complete_what_they_share_then_are_listed() {
        assert_eq!(complete_at_end("so"), Completion::Insert("ck".into()));
        assert_eq!(
            complete_at_end("sock"),
            Completion::Choices(vec!["sockcheck".into(), "sockstress".into(), "socktest".into()])
        );
        assert_eq!(complete_at_end("net"), Completion::Choices(vec!["netd".into(), "netstat".into()]));
    }

    #[test]
    fn only_the_command_word_completes() {
        assert_eq!(complete_at_end("ls net"), Completion::Nothing);
        assert_eq!(complete_at_end("zz"), Completion::Nothing);
        assert_eq!(complete("ls", 9, NAMES.iter().copied()), Completion::Nothing);
        let all = complete_at_end("");
        assert!(matches!(all, Completion::Choices(ref c) if c.len() == NAMES.len()), "{all:?}");
    }

    #[test]
    fn choices_are_laid_out_in_lines() {
        let choices: Vec<String> = ["aaaa", "bbbb", "cccc"].iter().map(|s| s.to_string()).collect();
        assert_eq!(columns(&choices, 10), ["aaaa  bbbb", "cccc"]);
        assert_eq!(columns(&choices, 80), ["aaaa  bbbb  cccc"]);
    }
}
