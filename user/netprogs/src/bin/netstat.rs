//! `netstat`: lists every socket netd holds, one line each: local port,
//! state, owner (task number and name), peer port and bytes waiting to be
//! received. Task names come from the kernel's task table; an owner that is
//! gone shows `?`. It takes no arguments (any gets the usage line).
#![no_std]
#![no_main]

extern crate alloc;

use abi::{TaskId, task_state};
use netprogs::cli::NETSTAT_USAGE;
use netprogs::net::all_rows;
use netprogs::table::{EMPTY, HEADER, line};
use netprogs::text::failure;
use urt::println;
use urt::sys::{task_info, task_name};

urt::entry!(main);

fn main() -> i32 {
    if urt::args().nth(1).is_some() {
        println!("{NETSTAT_USAGE}");
        return 1;
    }
    let mut sockets = libsock::system();
    let rows = match all_rows(&mut sockets) {
        Ok(rows) => rows,
        Err(err) => {
            println!("{}", failure("netstat", "list", err));
            return 1;
        }
    };
    if rows.is_empty() {
        println!("{EMPTY}");
        return 0;
    }
    let mut table = alloc::string::String::from(HEADER);
    table.push('\n');
    for row in &rows {
        let owner = TaskId::from_raw(row.owner);
        let info = task_info(owner.index()).ok();
        // The slot may hold another incarnation by now: match the whole id.
        let name = info.as_ref().filter(|i| i.id == row.owner && i.state != task_state::DEAD).map(task_name);
        table.push_str(&line(row, name));
        table.push('\n');
    }
    // One write, so the table is never interleaved with other output.
    urt::print!("{table}");
    0
}
