//! The shell's command language: words separated by blanks, `"..."` or
//! `'...'` to keep blanks inside a word, and a final `&` to run a program in
//! the background. The first word is a builtin or a program's name.

use alloc::string::String;
use alloc::vec::Vec;

use urt::proto::init::{CRASH_ALWAYS, CRASH_HANG};

/// Which task(s) `kill` means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KillTarget {
    /// A task slot number, as `ps` shows it.
    Index(usize),
    /// Every task with this name.
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Empty,
    Help,
    Ls,
    Ps,
    Kill(Vec<KillTarget>),
    Echo(Vec<String>),
    Sleep(u64),
    Mem,
    Dmesg,
    History,
    Jobs,
    Poweroff,
    Restart(String),
    /// Make a supervised server fault. `flags`: `urt::proto::init::CRASH_ALWAYS`
    /// (at every start, until the next `restart` of it), `CRASH_HANG` (the
    /// next incarnation spins), or none.
    Crash {
        name: String,
        flags: u8,
    },
    Run {
        argv: Vec<String>,
        background: bool,
    },
}

/// A line the shell cannot run, and the message to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    UnclosedQuote,
    /// A builtin got the wrong arguments: its usage line.
    Usage(&'static str),
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ParseError::UnclosedQuote => f.write_str("unclosed quote"),
            ParseError::Usage(usage) => write!(f, "usage: {usage}"),
        }
    }
}

/// The builtins and what they do, for `help`.
pub const BUILTINS: &[(&str, &str)] = &[
    ("help", "list commands"),
    ("ls", "list the programs in the boot image"),
    ("ps", "list tasks: id, name, state, priority, restarts"),
    ("kill ID|NAME...", "kill a task by id, or every task of that name"),
    ("echo ARGS", "print the arguments"),
    ("sleep MS", "wait MS milliseconds"),
    ("mem", "show free and used frames and the task count"),
    ("dmesg", "show the kernel log"),
    ("history", "list the command lines typed since boot"),
    ("jobs", "list the background jobs still running"),
    ("restart NAME", "restart a supervised server (netd, console)"),
    (
        "crash NAME [always|hang]",
        "make a server (netd) fault; always: at each start, until restart; hang: its next incarnation spins",
    ),
    ("poweroff", "turn the machine off"),
];

/// The builtins' names, for completion.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(usage, _)| usage.split(' ').next().unwrap_or(usage))
}

/// The command a line names, for its error messages (`COMMAND: ...`): its
/// first word without quotes, or `shell` if it has none.
pub fn command_name(line: &str) -> &str {
    let word = line.split_whitespace().next().unwrap_or("");
    let word = word.split(['"', '\'']).find(|part| !part.is_empty()).unwrap_or("");
    if word.is_empty() { "shell" } else { word }
}

/// Splits a line into words, honouring quotes.
pub fn split_words(line: &str) -> Result<Vec<String>, ParseError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(core::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(ParseError::UnclosedQuote);
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Parses one command line.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let mut words = split_words(line)?;
    let mut background = false;
    if let Some(last) = words.last_mut() {
        if last == "&" {
            words.pop();
            background = true;
        } else if last.len() > 1 && last.ends_with('&') {
            last.pop();
            background = true;
        }
    }
    let Some(first) = words.first() else {
        return Ok(Command::Empty);
    };
    let rest = &words[1..];
    let no_args = |command: Command, usage| if rest.is_empty() { Ok(command) } else { Err(ParseError::Usage(usage)) };
    match first.as_str() {
        "help" => no_args(Command::Help, "help"),
        "ls" => no_args(Command::Ls, "ls"),
        "ps" => no_args(Command::Ps, "ps"),
        "mem" => no_args(Command::Mem, "mem"),
        "dmesg" => no_args(Command::Dmesg, "dmesg"),
        "history" => no_args(Command::History, "history"),
        "jobs" => no_args(Command::Jobs, "jobs"),
        "poweroff" => no_args(Command::Poweroff, "poweroff"),
        "echo" => Ok(Command::Echo(rest.to_vec())),
        "sleep" => match rest {
            [ms] => ms.parse().map(Command::Sleep).map_err(|_| ParseError::Usage("sleep MS")),
            _ => Err(ParseError::Usage("sleep MS")),
        },
        "restart" => match rest {
            [name] => Ok(Command::Restart(name.clone())),
            _ => Err(ParseError::Usage("restart NAME")),
        },
        "crash" => match rest {
            [name] => Ok(Command::Crash { name: name.clone(), flags: 0 }),
            [name, mode] if mode == "always" => Ok(Command::Crash { name: name.clone(), flags: CRASH_ALWAYS }),
            [name, mode] if mode == "hang" => Ok(Command::Crash { name: name.clone(), flags: CRASH_HANG }),
            _ => Err(ParseError::Usage("crash NAME [always|hang]")),
        },
        "kill" if rest.is_empty() => Err(ParseError::Usage("kill ID|NAME...")),
        "kill" => Ok(Command::Kill(
            rest.iter().map(|w| w.parse().map_or_else(|_| KillTarget::Name(w.clone()), KillTarget::Index)).collect(),
        )),
        _ => Ok(Command::Run { argv: words, background }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[&str], background: bool) -> Command {
        Command::Run { argv: words.iter().map(|w| w.to_string()).collect(), background }
    }

    #[test]
    fn blank_lines_are_empty() {
        assert_eq!(parse(""), Ok(Command::Empty));
        assert_eq!(parse("   \t "), Ok(Command::Empty));
    }

    #[test]
    fn builtins_parse_with_their_arguments() {
        assert_eq!(parse("ps"), Ok(Command::Ps));
        assert_eq!(parse("  mem  "), Ok(Command::Mem));
        assert_eq!(parse("sleep 250"), Ok(Command::Sleep(250)));
        assert_eq!(parse("restart netd"), Ok(Command::Restart("netd".into())));
        assert_eq!(parse("crash netd"), Ok(Command::Crash { name: "netd".into(), flags: 0 }));
        assert_eq!(parse("crash netd always"), Ok(Command::Crash { name: "netd".into(), flags: CRASH_ALWAYS }));
        assert_eq!(parse("crash netd hang"), Ok(Command::Crash { name: "netd".into(), flags: CRASH_HANG }));
        assert_eq!(parse("echo a  b"), Ok(Command::Echo(vec!["a".into(), "b".into()])));
        assert_eq!(parse("echo"), Ok(Command::Echo(vec![])));
        assert_eq!(
            parse("kill 7 spin"),
            Ok(Command::Kill(vec![KillTarget::Index(7), KillTarget::Name("spin".into())]))
        );
    }

    #[test]
    fn wrong_builtin_arguments_give_usage() {
        assert_eq!(parse("sleep"), Err(ParseError::Usage("sleep MS")));
        assert_eq!(parse("sleep soon"), Err(ParseError::Usage("sleep MS")));
        assert_eq!(parse("kill"), Err(ParseError::Usage("kill ID|NAME...")));
        assert_eq!(parse("ps aux"), Err(ParseError::Usage("ps")));
        assert_eq!(parse("restart"), Err(ParseError::Usage("restart NAME")));
        assert_eq!(parse("crash"), Err(ParseError::Usage("crash NAME [always|hang]")));
        assert_eq!(parse("crash netd sometimes"), Err(ParseError::Usage("crash NAME [always|hang]")));
    }

    #[test]
    fn programs_run_in_the_foreground_or_background() {
        assert_eq!(parse("fault null"), Ok(run(&["fault", "null"], false)));
        assert_eq!(parse("spin &"), Ok(run(&["spin"], true)));
        assert_eq!(parse("spin&"), Ok(run(&["spin"], true)));
        assert_eq!(parse("&"), Ok(Command::Empty));
    }

    #[test]
    fn errors_name_the_command() {
        assert_eq!(command_name("  echo \"open"), "echo");
        assert_eq!(command_name("\"ec"), "ec");
        assert_eq!(command_name("'' x"), "shell");
        assert_eq!(command_name("sleep soon"), "sleep");
        let names: Vec<&str> = builtin_names().collect();
        assert!(names.contains(&"kill") && names.contains(&"crash") && names.contains(&"history"), "{names:?}");
        assert_eq!(parse("jobs"), Ok(Command::Jobs));
        assert_eq!(parse("history 3"), Err(ParseError::Usage("history")));
    }

    #[test]
    fn quotes_keep_blanks() {
        assert_eq!(parse("echo \"a  b\" 'c d'"), Ok(Command::Echo(vec!["a  b".into(), "c d".into()])));
        assert_eq!(parse("echo \"\""), Ok(Command::Echo(vec!["".into()])));
        assert_eq!(parse("echo \"open"), Err(ParseError::UnclosedQuote));
    }
}
