//! Calls to init, the supervisor: starting programs, waiting for them,
//! killing, restarting and crashing services, powering off, and what the boot image holds.

use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering};

use abi::{KernelError, MAX_MESSAGE, TaskId};

use crate::args;
use crate::ipc::call;
use crate::proto::check_code;
use crate::proto::init::{self as proto, ENDED_LEN, Ended, FINISHED_MAX, Finished};
use crate::sys;

static INIT: AtomicU32 = AtomicU32::new(TaskId::KERNEL.raw());

fn init() -> Result<TaskId, KernelError> {
    let known = TaskId::from_raw(INIT.load(Ordering::Relaxed));
    if known != TaskId::KERNEL {
        return Ok(known);
    }
    let found = sys::lookup(proto::NAME)?;
    INIT.store(found.raw(), Ordering::Relaxed);
    Ok(found)
}

/// One call to init; returns the reply length, or the error init answered.
fn ask(op: u32, request: &[u8], reply: &mut [u8]) -> Result<usize, KernelError> {
    let answer = call(init()?, op, request, reply, &[])?;
    check_code(answer.code)?;
    Ok(answer.len)
}

/// Starts program `argv[0]` from the boot image with arguments `argv`.
/// A foreground program (and its children) gets the console's input.
pub fn spawn(argv: &[&str], foreground: bool) -> Result<TaskId, KernelError> {
    let mut request = [0u8; MAX_MESSAGE];
    request[0] = if foreground { proto::FOREGROUND } else { 0 };
    let len = args::encode(argv.iter().copied(), &mut request[1..]).map_err(|_| KernelError::BadArgument)?;
    let mut id = [0u8; 4];
    ask(proto::SPAWN, &request[..1 + len], &mut id)?;
    Ok(TaskId::from_raw(u32::from_le_bytes(id)))
}

/// Blocks until child `task` has ended; only its parent may wait.
pub fn wait(task: TaskId) -> Result<Ended, KernelError> {
    let mut reply = [0u8; ENDED_LEN];
    let len = ask(proto::WAIT, &task.raw().to_le_bytes(), &mut reply)?;
    Ended::decode(&reply[..len]).ok_or(KernelError::BadArgument)
}

/// Which side of a [`fork`] this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forked {
    /// The original task; the child has this id.
    Parent(TaskId),
    /// The copy.
    Child,
}

/// Asks init for a copy of this task: same job, memory and registers. Both
/// return from here: the parent with the child's id, the child with
/// [`Forked::Child`]. Only memory is copied: the child owns none of the
/// parent's sockets (netd knows them by task), and the parent is its
/// parent for `wait`, `wait_any` and `kill`.
pub fn fork() -> Result<Forked, KernelError> {
    let mut id = [0u8; 4];
    match ask(proto::FORK, &[], &mut id)? {
        4 => Ok(Forked::Parent(TaskId::from_raw(u32::from_le_bytes(id)))),
        0 => Ok(Forked::Child),
        _ => Err(KernelError::BadArgument),
    }
}

/// Blocks until any child of this task has ended; returns its id and how
/// it ended. `NotFound` when this task has no children left.
pub fn wait_any() -> Result<(TaskId, Ended), KernelError> {
    let mut reply = [0u8; proto::CHILD_ENDED_LEN];
    let len = ask(proto::WAIT_ANY, &[], &mut reply)?;
    proto::decode_child_ended(&reply[..len]).ok_or(KernelError::BadArgument)
}

/// This task's own id, as init (and every server) knows it.
pub fn task_id() -> Result<TaskId, KernelError> {
    let mut id = [0u8; 4];
    ask(proto::TASK_ID, &[], &mut id)?;
    Ok(TaskId::from_raw(u32::from_le_bytes(id)))
}

/// An ended background child of the caller, not yet reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finish {
    pub task: TaskId,
    pub ended: Ended,
    pub name: String,
}

/// The next ended background child, if any.
pub fn poll() -> Option<Finish> {
    let mut reply = [0u8; FINISHED_MAX];
    let len = ask(proto::POLL, &[], &mut reply).ok()?;
    let f = Finished::decode(&reply[..len])?;
    Some(Finish { task: f.task, ended: f.ended, name: String::from(f.name) })
}

/// Asks init to kill `task`.
pub fn kill(task: TaskId) -> Result<(), KernelError> {
    ask(proto::KILL, &task.raw().to_le_bytes(), &mut []).map(|_| ())
}

/// Asks init to kill every task of `task`'s job (the shell's Ctrl-C).
pub fn kill_job(task: TaskId) -> Result<(), KernelError> {
    ask(proto::KILL_JOB, &task.raw().to_le_bytes(), &mut []).map(|_| ())
}

/// Restarts the supervised service `name`; returns its new id.
pub fn restart(name: &str) -> Result<TaskId, KernelError> {
    let mut id = [0u8; 4];
    ask(proto::RESTART, name.as_bytes(), &mut id)?;
    Ok(TaskId::from_raw(u32::from_le_bytes(id)))
}

/// Makes the supervised service `name` (netd) fault: init has the kernel end
/// it with an injected fault (the shell only). `flags`: with
/// `proto::CRASH_ALWAYS` it also faults at every start until the next
/// [`restart`] of it; with `proto::CRASH_HANG` its next incarnation spins
/// without answering anything. Returns the id
/// of the incarnation init started after the fault, or `None` when init
/// stopped restarting it (its restart budget is spent).
pub fn crash(name: &str, flags: u8) -> Result<Option<TaskId>, KernelError> {
    let mut request = [0u8; MAX_MESSAGE];
    let name = name.as_bytes();
    let end = 1 + name.len();
    if end > request.len() {
        return Err(KernelError::BadArgument);
    }
    request[0] = flags;
    request[1..end].copy_from_slice(name);
    let mut id = [0u8; 4];
    match ask(proto::CRASH, &request[..end], &mut id)? {
        4 => Ok(Some(TaskId::from_raw(u32::from_le_bytes(id)))),
        _ => Ok(None),
    }
}

/// Powers the machine off (the shell only); returns the refusal otherwise.
pub fn poweroff() -> KernelError {
    match ask(proto::POWEROFF, &[], &mut []) {
        Err(err) => err,
        Ok(_) => KernelError::BadArgument,
    }
}

/// The name of the boot image's program at `index`.
pub fn program(index: u32) -> Result<String, KernelError> {
    let mut name = [0u8; MAX_MESSAGE];
    let len = ask(proto::PROGRAM, &index.to_le_bytes(), &mut name)?;
    Ok(String::from_utf8_lossy(&name[..len]).into_owned())
}

/// How often the service `task` runs has been restarted (0 for other tasks).
pub fn restarts(task: TaskId) -> Result<u32, KernelError> {
    let mut count = [0u8; 4];
    ask(proto::RESTARTS, &task.raw().to_le_bytes(), &mut count)?;
    Ok(u32::from_le_bytes(count))
}
