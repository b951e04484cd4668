//! The console server: owns COM1, shows every task's output line by line,
//! and gives typed lines to the foreground program.
//!
//! It only ever answers calls and never calls another task, so no task can
//! deadlock with it. Init grants it the COM1 ports and IRQ 4 before it runs
//! and tells it which tasks form the foreground (`SET_FOREGROUND`). The
//! protocol is in `urt::proto::console`; the line discipline and the output
//! assembly are in this crate's library.
#![no_std]
#![no_main]

extern crate alloc;

mod server;
mod uart;

urt::entry!(main);

fn main() -> i32 {
    server::run()
}
