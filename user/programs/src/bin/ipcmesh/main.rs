//! `ipcmesh [SEED] [MS] [CLIENTS RELAYS SERVERS] [KILL_EVERY_MS]`: real IPC
//! between fuzzing tasks, with kills in the middle of conversations
//! (defaults: seed 1, 3000 ms, 4 clients, 2 relays, 3 servers, a kill every
//! 30 ms on average).
//!
//! The children are copies of this program (`ipcmesh --child ROLE PARENT
//! SEED`). Clients call relays and servers with random leases over their
//! arena; servers hold callers, try random lease calls on them, reply out
//! of order, late, with `reply_recv`, to tasks that do not wait and with
//! data the kernel must refuse; relays serve and call servers while they
//! hold callers (`programs::ipcmesh` has the model and the checks). Each
//! child reports its counts to the parent every 20 ms and gets the roster
//! back; the parent kills a random child at random moments through init,
//! starts a new one, and fails the run if a child stops reporting for 2 s.
//!
//! Checked: request and reply bytes arrive intact; every lease call gives
//! a result the ABI allows for its leases, reads bring the caller's bytes
//! and the caller's arena afterwards is exactly what the server's model
//! says; `PeerDied` comes only from tasks that have ended; replies to tasks
//! that do not wait are refused; after the last child is killed the free
//! frames and task count are those of before. The last line is
//! `ipcmesh: seed=S ms=M tasks=C+R+S calls=N replies=N lease_ops=N
//! lease_copies=N kills=N spawned=N errors_ok=N peer_died=N frames_leaked=0
//! failures=0`; the exit status is 1 on any failure.
#![no_std]
#![no_main]

extern crate alloc;

mod child;
mod parent;
mod serve;

use abi::TaskId;
use programs::ipcmesh::{CHILD_ARG, Role};
use urt::println;

urt::entry!(main);

const USAGE: &str = "usage: ipcmesh [SEED] [MS] [CLIENTS RELAYS SERVERS] [KILL_EVERY_MS]";

fn main() -> i32 {
    let args: alloc::vec::Vec<&str> = urt::args().skip(1).collect();
    if args.first() == Some(&CHILD_ARG) {
        return run_child(&args[1..]);
    }
    let number = |at: usize, default: u64| args.get(at).map_or(Some(default), |text| text.parse().ok());
    let numbers = [number(0, 1), number(1, 3000), number(2, 4), number(3, 2), number(4, 3), number(5, 30)];
    let (true, [Some(seed), Some(ms), Some(c), Some(r), Some(s), Some(kill_every_ms)]) = (args.len() <= 6, numbers)
    else {
        println!("{USAGE}");
        return 2;
    };
    if c + r + s > 24 || s == 0 || c + r == 0 {
        println!("ipcmesh: between 1 and 24 children, at least one server and one client or relay");
        return 2;
    }
    parent::run(parent::Plan { seed, ms, children: [c as usize, r as usize, s as usize], kill_every_ms })
}

fn run_child(args: &[&str]) -> i32 {
    let parsed = match args {
        [role, parent, seed] => Role::parse(role).zip(parent.parse().ok()).zip(seed.parse().ok()),
        _ => None,
    };
    let Some(((role, parent), seed)) = parsed else {
        println!("ipcmesh: bad child arguments {args:?}");
        return 2;
    };
    let child = match child::Child::start(role, TaskId::from_raw(parent), seed) {
        Ok(child) => child,
        Err(err) => {
            println!("ipcmesh: {}: cannot map the arena: {err}", role.name());
            return 1;
        }
    };
    if role.serves() {
        serve::serve(child)
    }
    let mut child = child;
    loop {
        child.report_if_due();
        child.call_someone();
    }
}
