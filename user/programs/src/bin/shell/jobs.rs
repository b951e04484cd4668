//! The background jobs the shell started, and the reports of their ends.
//!
//! Init keeps an ended background child for the shell's `poll`, and tells
//! the console, which ends the shell's read at the prompt: so a job's end
//! is reported at once, above the prompt, as well as before each prompt.

use alloc::string::String;
use alloc::vec::Vec;

use abi::TaskId;
use urt::proto::init::Ended;
use urt::{println, supervisor};

#[derive(Debug, Default)]
pub struct Jobs {
    /// Running background jobs: the first task and the command line.
    running: Vec<(TaskId, String)>,
}

impl Jobs {
    pub fn started(&mut self, task: TaskId, command: String) {
        self.running.push((task, command));
    }

    /// Prints `[ID] NAME exited (...)` for each background job that ended.
    pub fn report_finished(&mut self) {
        while let Some(done) = supervisor::poll() {
            println!("{}", report(done.task, &done.name, done.ended));
            self.running.retain(|(task, _)| *task != done.task);
        }
    }

    /// `jobs`: the background jobs still running, oldest first.
    pub fn list(&mut self) {
        self.report_finished();
        let mut listing = String::new();
        for (task, command) in &self.running {
            listing.push_str(&alloc::format!("[{task}] {command}\n"));
        }
        urt::print!("{listing}");
    }
}

/// The report of a job's end.
pub fn report(task: TaskId, name: &str, ended: Ended) -> String {
    alloc::format!("[{task}] {name} exited ({ended})")
}
