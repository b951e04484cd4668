//! The shell: reads commands from the console, runs builtins, and starts
//! programs from the boot image through init, in the foreground (waiting for
//! them; Ctrl-C kills them) or in the background (`&`).
#![no_std]
#![no_main]

extern crate alloc;

#[path = "shell/builtins.rs"]
mod builtins;

use abi::KernelError;
use programs::command::{parse, Command};
use urt::io::{wait_foreground, ForegroundWait, Input};
use urt::{print, println, supervisor};

urt::entry!(main);

fn main() {
    loop {
        report_finished();
        print!("$ ");
        match urt::read_line() {
            Input::Line(line) => match parse(&line) {
                Ok(command) => execute(command),
                Err(err) => println!("shell: {err}"),
            },
            Input::Interrupted => {}
            Input::EndOfInput => {
                if urt::io::console().is_err() {
                    // No console: nothing to read; do not spin.
                    let _ = urt::sleep(1000);
                }
            }
        }
    }
}

/// Prints `[ID] NAME exited (...)` for background children that ended.
fn report_finished() {
    while let Some(done) = supervisor::poll() {
        println!("[{}] {} exited ({})", done.task, done.name, done.ended);
    }
}

fn execute(command: Command) {
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
        Command::Run { argv, background } => run(&argv, background),
    }
}

fn run(argv: &[alloc::string::String], background: bool) {
    let words: alloc::vec::Vec<&str> = argv.iter().map(|w| w.as_str()).collect();
    let name = words[0];
    let task = match supervisor::spawn(&words, !background) {
        Ok(task) => task,
        Err(KernelError::NotFound) => {
            println!("unknown command: {name}");
            return;
        }
        Err(err) => {
            println!("{name}: cannot start: {err}");
            return;
        }
    };
    if background {
        println!("[{task}] {name}");
        return;
    }
    // The console answers when the program ends or Ctrl-C is pressed;
    // without a console, wait for the end alone.
    // Ctrl-C ends the whole job: the program and every task it started.
    if wait_foreground(task) == Ok(ForegroundWait::Interrupted) {
        let _ = supervisor::kill_job(task);
    }
    if let Err(err) = supervisor::wait(task) {
        println!("{name}: wait: {err}");
    }
}
