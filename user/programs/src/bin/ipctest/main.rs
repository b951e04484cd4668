//! `ipctest`: checks the kernel's IPC and authority rules from user space.
//!
//! Run without arguments it spawns copies of itself in helper roles (a
//! server, clients, a task that exits at once), runs each check, prints one
//! line per check and ends with `N passed, M failed` (exit status: the
//! number of failures). The roles are in `roles.rs`.
#![no_std]
#![no_main]

extern crate alloc;

mod checks;
mod roles;

urt::entry!(main);

fn main() -> i32 {
    let mut args = urt::args().skip(1);
    match args.next() {
        None => checks::run_all(),
        Some(role) => roles::run(role, args),
    }
}
