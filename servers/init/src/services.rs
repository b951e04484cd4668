//! The servers init starts itself and restarts when they end: the console,
//! netd (when the boot image has it) and the shell.

use abi::TaskId;
use alloc::vec::Vec;
use init::supervision::Supervision;

/// What a service needs besides its program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Owns COM1: gets its ports and IRQ; refuses to be killed.
    Console,
    /// A named server (netd); the one kind that takes a crash request.
    Server,
    /// The shell: takes the console's input; may restart and power off.
    Shell,
}

#[derive(Debug)]
pub struct Service {
    /// Program name in the boot image, task name and registry name.
    pub name: &'static str,
    pub kind: Kind,
    pub priority: u8,
    /// The running incarnation.
    pub current: Option<TaskId>,
    /// Restart count, budget, and whether the next end was asked for.
    pub supervision: Supervision,
    /// Callers (`restart`, `crash`) answered once the running incarnation
    /// has ended: with the next one's id, or as init gives up.
    pub waiting: Vec<TaskId>,
}

impl Service {
    const fn new(name: &'static str, kind: Kind, priority: u8) -> Self {
        Service { name, kind, priority, current: None, supervision: Supervision::new(), waiting: Vec::new() }
    }

    /// Whether its name is bound in the registry.
    pub fn is_named(&self) -> bool {
        self.kind != Kind::Shell
    }
}

/// Scheduling priorities (0 is the most urgent): the console answers every
/// print, so it goes first; programs the shell starts come last.
pub const CONSOLE_PRIORITY: u8 = 0;
pub const SERVER_PRIORITY: u8 = 1;
pub const PROGRAM_PRIORITY: u8 = 2;

/// The services in start order.
pub fn all() -> [Service; 3] {
    [
        Service::new(urt::proto::console::NAME, Kind::Console, CONSOLE_PRIORITY),
        Service::new("netd", Kind::Server, SERVER_PRIORITY),
        Service::new("shell", Kind::Shell, SERVER_PRIORITY),
    ]
}
