//! The shell: reads commands from the console (line editing is the
//! console's; history and completion are `prompt.rs`), runs builtins, and
//! starts programs from the boot image through init, in the foreground
//! (waiting for them; Ctrl-C kills them) or in the background (`&`).
//! Errors read `COMMAND: ...`.
#![no_std]
#![no_main]

extern crate alloc;

#[path = "shell/builtins.rs"]
mod builtins;
#[path = "shell/jobs.rs"]
mod jobs;
#[path = "shell/prompt.rs"]
mod prompt;

use abi::KernelError;
use programs::command::{Command, command_name, parse};
use urt::io::{ForegroundWait, wait_foreground};
use urt::proto::init::Ended;
use urt::{println, supervisor};

use jobs::Jobs;
use prompt::Prompt;

urt::entry!(main);

struct Shell {
    prompt: Prompt,
    jobs: Jobs,
}

fn main() {
    let mut shell = Shell { prompt: Prompt::new(), jobs: Jobs::default() };
    loop {
        shell.jobs.report_finished();
        let Some(line) = shell.prompt.read(&mut shell.jobs) else { continue };
        match parse(&line) {
            Ok(command) => shell.execute(command, &line),
            Err(err) => println!("{}: {err}", command_name(&line)),
        }
    }
}

impl Shell {
    fn execute(&mut self, command: Command, line: &str) {
        match command {
            Command::Empty => {}
            Command::Help => builtins::help(),
            Command::Ls => builtins::ls(),
            Command::Ps => builtins::ps(),
            Command::Kill(targets) => builtins::kill(&targets),
            Command::Echo(words) => println!("{}", words.join(" ")),
            Command::Sleep(ms) => {
                let _ = urt::sleep(ms);
            }
            Command::Mem => builtins::mem(),
            Command::Dmesg => builtins::dmesg(),
            Command::History => self.prompt.list_history(),
            Command::Jobs => self.jobs.list(),
            Command::Poweroff => println!("poweroff: {}", supervisor::poweroff()),
            Command::Restart(name) => {
                if let Err(err) = supervisor::restart(&name) {
                    println!("restart: {name}: {err}");
                }
            }
            Command::Crash { name, flags } => {
                // Init prints the fault and what it did about it.
                if let Err(err) = supervisor::crash(&name, flags) {
                    println!("crash: {name}: {err}");
                }
            }
            Command::Run { argv, background } => self.run(&argv, background, line),
        }
    }

    fn run(&mut self, argv: &[alloc::string::String], background: bool, line: &str) {
        let words: alloc::vec::Vec<&str> = argv.iter().map(|w| w.as_str()).collect();
        let name = words[0];
        let task = match supervisor::spawn(&words, !background) {
            Ok(task) => task,
            Err(KernelError::NotFound) => {
                println!("{name}: unknown command");
                return;
            }
            Err(err) => {
                println!("{name}: cannot start: {err}");
                return;
            }
        };
        if background {
            println!("[{task}] {name}");
            self.jobs.started(task, line.trim().into());
            return;
        }
        // The console answers when the program ends or Ctrl-C is pressed;
        // without a console, wait for the end alone.
        // Ctrl-C ends the whole job: the program and every task it started.
        let interrupted = wait_foreground(task) == Ok(ForegroundWait::Interrupted);
        if interrupted {
            let _ = supervisor::kill_job(task);
        }
        match supervisor::wait(task) {
            // A clean end, or the end the person asked for, goes unsaid.
            Ok(Ended::Exited(0)) => {}
            Ok(Ended::Killed) if interrupted => {}
            Ok(ended) => println!("{}", jobs::report(task, name, ended)),
            Err(err) => println!("{name}: wait: {err}"),
        }
    }
}
