//! `sockstress [--kill-every N] [--seed S] PAIRS MESSAGES`: many socket
//! connections at once, checked byte for byte while clients are killed.
//!
//! It keeps PAIRS client/server pairs busy (copies of itself, `sockstress
//! server ...` and `sockstress client ...`, spawned through init) until
//! MESSAGES messages have been verified in total. Each message carries a
//! sequence number and checksums (`netprogs::stress::wire`); both ends
//! verify what they receive and report to this task (`roles.rs`), which
//! kills a random running client once per N verified messages (default
//! 100; 0 never), checks that its server saw E_CONNECTION_RESET_BY_REMOTE,
//! and starts a new pair in its place (`run.rs`). A watchdog fails the run
//! when nothing moves for 10 s.
//!
//! It ends with one line, `sockstress: pairs=P messages=M bytes=B lost=L
//! duplicated=D corrupted=C resets=R` (bytes: payload bytes verified;
//! resets: killed clients whose server saw the reset), preceded by a line
//! for each failure; the exit status is 0 only when all M messages arrived
//! and nothing was lost, duplicated, corrupted, unexpected or stuck.
#![no_std]
#![no_main]

extern crate alloc;

mod roles;
mod run;

use alloc::vec::Vec;

use netprogs::stress::args::{Invocation, USAGE, parse};
use urt::println;

urt::entry!(main);

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    if args.first() == Some(&"whoami") {
        return run::tell_caller_its_id();
    }
    match parse(&args) {
        Ok(Invocation::Run(config)) => run::run(config),
        Ok(Invocation::Server(pair)) => roles::server(pair),
        Ok(Invocation::Client(pair)) => roles::client(pair),
        Err(why) => {
            println!("sockstress: {why}\n{USAGE}");
            2
        }
    }
}
