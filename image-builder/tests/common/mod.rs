//! Talking to the OS's shell over the serial console, the way a person at a terminal
//! would: wait for the `$ ` prompt, type a line, read what the shell printed up to the
//! next prompt.
//!
//! Every wait has a timeout (and the machine has an overall limit); every failure,
//! whether the harness's or a test's own assertion, shows the whole serial log.
//! Limits: a prompt is recognised as `$ ` at the start of a line, so commands whose
//! output contains such a line confuse [`Shell::run`].

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::thread::sleep;
use std::time::{Duration, Instant};

use image_builder::qemu::{BootOptions, HarnessError, Machine};

/// Longest wait for any one reply of the guest. Generous, for a loaded host (a compiler
/// and the other QEMU running beside this one); a healthy guest answers in milliseconds.
pub const STEP: Duration = Duration::from_secs(30);
/// The prompt as it follows a line end; the shell prints it at the start of a line.
const PROMPT: &str = "\n$ ";
/// QEMU's exit status when the guest powers off (ACPI shutdown, not isa-debug-exit).
pub const POWEROFF_STATUS: i32 = 0;

/// Unwraps with the error's Display (which holds the whole serial log).
pub fn ok<T>(result: Result<T, HarnessError>) -> T {
    result.unwrap_or_else(|error| panic!("{error}"))
}

/// The booted OS, sitting at a shell prompt.
pub struct Shell {
    pub machine: Machine,
}

impl Shell {
    /// Boots the default artifacts and waits for the first prompt, after the banner.
    pub fn boot() -> Shell {
        Self::boot_with(BootOptions::from_env())
    }

    /// Like [`Shell::boot`], with an overall time limit of `limit` (long tests).
    pub fn boot_for(limit: Duration) -> Shell {
        Self::boot_with(BootOptions { timeout: limit, ..BootOptions::from_env() })
    }

    /// Boots with these options (a kernel command line, QEMU arguments) and
    /// waits for the first prompt.
    pub fn boot_with(options: BootOptions) -> Shell {
        let mut machine = ok(Machine::boot(options));
        ok(machine.expect("microkernel 0.1.0", STEP));
        ok(machine.expect(PROMPT, STEP));
        Shell { machine }
    }

    /// Starts `command &` and returns its job id, checking that the shell
    /// answered `[id] name`.
    pub fn start_background(&mut self, command: &str, name: &str) -> u32 {
        let answer = self.run_one_line(&format!("{command} &"));
        let id = job_id(&answer).filter(|id| answer == format!("[{id}] {name}"));
        id.unwrap_or_else(|| self.fail(&format!("`{command} &` answered {answer:?}")))
    }

    /// Where the serial log ends now: later checks look only past this.
    pub fn mark(&self) -> usize {
        self.machine.output().len()
    }

    /// The serial log since `from`.
    pub fn since(&self, from: usize) -> String {
        self.machine.output().get(from..).unwrap_or("").to_string()
    }

    pub fn count_since(&self, from: usize, needle: &str) -> usize {
        self.since(from).matches(needle).count()
    }

    /// Waits, without typing, until `needle` was printed `count` times since
    /// `from`, for at most `patience`.
    pub fn wait_printed(&self, from: usize, needle: &str, count: usize, patience: Duration) {
        let deadline = Instant::now() + patience;
        while self.count_since(from, needle) < count {
            if Instant::now() > deadline {
                self.fail(&format!("waited for {count} x {needle:?}"));
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Presses on until the shell reported `count` background exits matching
    /// `report` since `from` (it reports them before each prompt).
    pub fn wait_reports(&mut self, from: usize, report: &str, count: usize) {
        for _ in 0..100 {
            if self.count_since(from, report) >= count {
                return;
            }
            self.run("sleep 50");
        }
        self.fail(&format!("the shell did not report {count} x {report:?}"))
    }

    /// Asks `ps` until at least `count` tasks named `name` wait for a reply
    /// (blocked in a call).
    pub fn wait_blocked(&mut self, name: &str, count: usize) {
        for _ in 0..100 {
            if self.ps().iter().filter(|row| row.name == name && row.state == "reply").count() >= count {
                return;
            }
            self.run("sleep 50");
        }
        self.fail(&format!("{count} x {name} never blocked in a call"))
    }

    /// Passes on every `FIGURE | ...` line the guest printed (see [`figure`]).
    pub fn forward_figures(&self) {
        for line in self.machine.output().lines().map(str::trim_end) {
            if line.starts_with(FIGURE_PREFIX) {
                println!("{line}");
            }
        }
    }

    /// Types a command and a terminal's line end (CR) and returns what the shell printed
    /// before the next prompt, as lines without their ends.
    pub fn run(&mut self, command: &str) -> Vec<String> {
        self.run_ended(command, "\r")
    }

    /// Like [`Shell::run`], for a command that may take up to `patience`.
    pub fn run_within(&mut self, command: &str, patience: Duration) -> Vec<String> {
        self.send(&format!("{command}\r"));
        ok(self.machine.expect(command, STEP));
        let text = ok(self.machine.expect(PROMPT, patience));
        lines(text.strip_suffix("$ ").unwrap_or(&text))
    }

    /// Like [`Shell::run`], with the given line end (`"\r"`, `"\n"` or `"\r\n"`).
    pub fn run_ended(&mut self, command: &str, line_end: &str) -> Vec<String> {
        self.send(&format!("{command}{line_end}"));
        self.reply_to(command)
    }

    /// Reads the answer to a command typed earlier (perhaps as part of a batch): its echo,
    /// then everything up to the next prompt, as lines.
    pub fn reply_to(&mut self, command: &str) -> Vec<String> {
        // The echo ends with the console's CR LF. Matching the command with the CR skips
        // any earlier drawing of the line being typed (the console draws it again below
        // background output), and leaves the LF that starts the prompt's "\n$ ".
        ok(self.machine.expect(&format!("{command}\r"), STEP));
        lines(&self.expect_prompt())
    }

    /// Like [`Shell::run`], but fails unless the answer is exactly one line; returns it.
    pub fn run_one_line(&mut self, command: &str) -> String {
        let answer = self.run(command);
        self.check(answer.len() == 1, &format!("`{command}` should answer one line, got {answer:?}"));
        answer.into_iter().next().unwrap_or_default()
    }

    /// Types raw input (no line end added).
    pub fn send(&mut self, text: &str) {
        ok(self.machine.send(text));
    }

    /// Waits for `needle` after the previous match; returns the text up to it.
    pub fn expect(&mut self, needle: &str) -> String {
        ok(self.machine.expect(needle, STEP))
    }

    /// Waits for the next prompt; returns the text before it (including the line end).
    pub fn expect_prompt(&mut self) -> String {
        let text = self.expect(PROMPT);
        text.strip_suffix("$ ").unwrap_or(&text).to_string()
    }

    /// Waits for the next complete line that starts with `prefix`; returns it.
    pub fn expect_line(&mut self, prefix: &str) -> String {
        ok(self.machine.expect_line(prefix, STEP))
    }

    /// Like [`Shell::expect_line`], for output that may take longer than [`STEP`].
    pub fn expect_line_within(&mut self, prefix: &str, timeout: Duration) -> String {
        ok(self.machine.expect_line(prefix, timeout))
    }

    /// Types `command` and returns how long (host time) the shell took to prompt again.
    pub fn time_command(&mut self, command: &str) -> Duration {
        let started = Instant::now();
        self.run(command);
        started.elapsed()
    }

    /// `mem`'s answer, parsed: (free frames, used frames, tasks).
    pub fn mem(&mut self) -> (u64, u64, u64) {
        let line = self.run_one_line("mem");
        match parse_mem(&line) {
            Some(numbers) => numbers,
            None => self.fail(&format!("`mem` answered {line:?}, not `free frames: N, used frames: M, tasks: T`")),
        }
    }

    /// `ps`'s answer: the rows after the header line.
    pub fn ps(&mut self) -> Vec<PsRow> {
        let answer = self.run("ps");
        let header = answer.first().map(String::as_str).unwrap_or("");
        self.check(
            header.split_whitespace().collect::<Vec<_>>() == ["ID", "NAME", "STATE", "PRIO", "RESTARTS"],
            &format!("`ps` header is {header:?}"),
        );
        let rows: Option<Vec<PsRow>> = answer[1..].iter().map(|row| PsRow::parse(row)).collect();
        rows.unwrap_or_else(|| self.fail(&format!("`ps` rows do not parse: {answer:?}")))
    }

    /// Asks `netstat` until a socket listens on `port`.
    pub fn wait_listening(&mut self, port: u16) {
        let start = format!("{port} ");
        for _ in 0..100 {
            let table = self.run("netstat");
            if table.iter().map(|l| l.trim()).any(|l| l.starts_with(&start) && l.contains("listening")) {
                return;
            }
            self.run("sleep 50");
        }
        self.fail(&format!("nothing listens on port {port}"))
    }

    /// Powers off and returns QEMU's exit status.
    pub fn poweroff(&mut self) -> i32 {
        self.send("poweroff\r");
        ok(self.machine.expect_exit(STEP))
    }

    /// Fails the test with `message` and the whole serial log unless `condition` holds.
    pub fn check(&self, condition: bool, message: &str) {
        if !condition {
            self.fail(message);
        }
    }

    /// Fails the test with `message` and the whole serial log.
    pub fn fail(&self, message: &str) -> ! {
        panic!("{message}\n----- guest serial log -----\n{}\n----- end of log -----", self.machine.output())
    }
}

const FIGURE_PREFIX: &str = "FIGURE | ";

/// Prints one row of the figures `make stress` writes into `docs/robustness.md`
/// (`stress/run.sh` collects the lines; rows with the same `what` add up).
pub fn figure(what: &str, value: i64, command: &str) {
    println!("{FIGURE_PREFIX}{what} | {value} | {command}");
}

/// One row of `ps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsRow {
    pub id: u32,
    pub name: String,
    pub state: String,
    pub priority: u32,
    pub restarts: u32,
}

/// The states `ps` names (`abi::task_state::name`); a task it lists is never dead.
pub const LIVE_STATES: &[&str] = &["run", "send", "reply", "recv"];

impl PsRow {
    fn parse(row: &str) -> Option<PsRow> {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let [id, name, state, priority, restarts] = fields[..] else {
            return None;
        };
        Some(PsRow {
            id: id.parse().ok()?,
            name: name.to_string(),
            state: state.to_string(),
            priority: priority.parse().ok()?,
            restarts: restarts.parse().ok()?,
        })
    }
}

/// Splits what the console printed between a typed line and the next prompt into
/// lines: it starts with the CR LF (or, after an echo matched with its CR, the LF) that
/// ends the echoed input, and each line of output ends with CR LF. An empty line of
/// output stays an empty string.
pub fn lines(text: &str) -> Vec<String> {
    let output = text.strip_prefix("\r\n").or_else(|| text.strip_prefix('\n')).unwrap_or(text);
    output.split_terminator("\r\n").map(String::from).collect()
}

/// Parses exactly `free frames: N, used frames: M, tasks: T`.
pub fn parse_mem(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.strip_prefix("free frames: ")?;
    let (free, rest) = rest.split_once(", used frames: ")?;
    let (used, tasks) = rest.split_once(", tasks: ")?;
    Some((free.parse().ok()?, used.parse().ok()?, tasks.parse().ok()?))
}

/// The number in `[ID] ...`, the shell's job notation.
pub fn job_id(line: &str) -> Option<u32> {
    let rest = line.strip_prefix('[')?;
    let (id, _) = rest.split_once(']')?;
    id.parse().ok()
}

/// Whether `line` is the shell's `[ID] NAME exited (HOW)` for some job id.
pub fn is_exit_report(line: &str, name: &str, how: &str) -> bool {
    job_id(line).is_some_and(|id| line == format!("[{id}] {name} exited ({how})"))
}
