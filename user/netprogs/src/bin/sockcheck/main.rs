//! `sockcheck`: the socket contract (docs/socket-contract.md, section 2), checked from
//! inside the running system.
//!
//! Run without arguments it checks each call's error codes in the order the
//! contract lists them, blocking and wake-ups, message boundaries, empty
//! and 64 KiB messages, short receive buffers, peer close with data still
//! pending, ownership across tasks, task-exit cleanup and the per-task
//! limit, then the extensions (many clients per port, timeouts,
//! non-blocking calls, poll). It prints one line per check and ends with
//! `N passed, M failed`;
//! the exit status is 0 only if none failed.
//!
//! The other ends of its connections are copies of itself in helper roles
//! (`sockcheck peer ...`, see `roles.rs`), started and killed through init.
//! It may run while other programs hold sockets: it works on a block of
//! ports that is free when it starts, and measures the per-task limit from
//! what it holds. Not covered: the system-wide table limit (1,024 sockets)
//! and netd restarts (only the shell's `kill netd` and `crash netd` restart
//! it; `tests/restart.rs` covers them).
#![no_std]
#![no_main]

extern crate alloc;

mod arg_checks;
mod conn_checks;
mod data_checks;
mod ext_checks;
mod limit_checks;
mod roles;
mod suite;
mod wait_checks;

use urt::println;

urt::entry!(main);

fn main() -> i32 {
    let mut args = urt::args().skip(1);
    match args.next() {
        None => run_all(),
        Some("peer") => roles::run(args),
        Some(_) => {
            println!("usage: sockcheck");
            2
        }
    }
}

fn run_all() -> i32 {
    let mut suite = match suite::Suite::new() {
        Ok(suite) => suite,
        Err(why) => {
            println!("sockcheck: {why}");
            return 1;
        }
    };
    arg_checks::run(&mut suite);
    conn_checks::run(&mut suite);
    data_checks::run(&mut suite);
    wait_checks::run(&mut suite);
    limit_checks::run(&mut suite);
    ext_checks::run(&mut suite);
    suite.kill_helpers();
    suite.drop_all();
    let tally = suite.tally();
    println!("{}", tally.summary());
    tally.status()
}
