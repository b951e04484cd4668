//! Processes: `fork`, `exit`, `wait`, `kill`, `getpid`, and time in xv6
//! ticks: `sleep`, `uptime`. Process ids are task ids; init serves fork,
//! wait and kill with its own rules (see `docs/task-lifecycle.md`).

use urt::supervisor::{self, Forked};

use crate::{FAILED, pid_of, task_of, ticks};

/// xv6 `int fork(void)`: the child's id in the parent, 0 in the child, -1
/// when the job has no room (task quota or memory) for a copy.
#[unsafe(export_name = "fork")]
pub extern "C" fn fork() -> i32 {
    match supervisor::fork() {
        Ok(Forked::Parent(child)) => pid_of(child),
        Ok(Forked::Child) => 0,
        Err(_) => FAILED,
    }
}

/// xv6 `int exit(void)`: ends the task with status 0.
#[unsafe(export_name = "exit")]
pub extern "C" fn exit() -> ! {
    urt::exit(0)
}

/// xv6 `int wait(void)`: the id of a child that ended (waiting for one if
/// none has), or -1 when there are no children.
#[unsafe(export_name = "wait")]
pub extern "C" fn wait() -> i32 {
    supervisor::wait_any().map_or(FAILED, |(child, _)| pid_of(child))
}

/// xv6 `int kill(int pid)`: 0 once killed, -1 if not allowed (a task may
/// kill its descendants) or no such task.
#[unsafe(export_name = "kill")]
pub extern "C" fn kill(pid: i32) -> i32 {
    match task_of(pid).map(supervisor::kill) {
        Some(Ok(())) => 0,
        _ => FAILED,
    }
}

/// xv6 `int getpid(void)`: this task's id.
#[unsafe(export_name = "getpid")]
pub extern "C" fn getpid() -> i32 {
    supervisor::task_id().map_or(FAILED, pid_of)
}

/// xv6 `int sleep(int ticks)`: blocks for at least `ticks` hundredths of a
/// second; 0.
#[unsafe(export_name = "sleep")]
pub extern "C" fn sleep(ticks: i32) -> i32 {
    match urt::sleep(ticks::sleep_ms(ticks)) {
        Ok(()) => 0,
        Err(_) => FAILED,
    }
}

/// xv6 `int uptime(void)`: ticks (1/100 s) since boot.
#[unsafe(export_name = "uptime")]
pub extern "C" fn uptime() -> i32 {
    ticks::uptime(urt::now_ns())
}
