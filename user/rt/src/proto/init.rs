//! The protocol of init, the supervisor.
//!
//! | op | request | reply |
//! |----|---------|-------|
//! | `SPAWN` | flags byte ([`FOREGROUND`]), then an argument blob (`crate::args`) | task id (u32) |
//! | `WAIT` | child id (u32); only its parent may wait | [`Ended`], when the child has ended |
//! | `POLL` | nothing | an ended background child: id, [`Ended`], name; `NotFound` if none |
//! | `KILL` | task id | nothing; `Denied` unless allowed (see init's kill policy) |
//! | `KILL_JOB` | task id (shell only) | nothing; every task of that task's job is killed; `Denied` for the system job |
//! | `RESTART` | service name (shell only) | new task id |
//! | `POWEROFF` | nothing (shell only) | never answers on success |
//! | `PROGRAM` | index (u32) | name of the boot image's program at that index; `NotFound` past the end |
//! | `RESTARTS` | task id | how often the service that task runs was restarted (u32) |
//! | `CRASH` | flags byte ([`CRASH_ALWAYS`], [`CRASH_HANG`]), then a service name (shell only) | the new task id, or nothing if init stopped restarting it; the service gets an injected fault (`task_fault`), so a service that answers nothing still crashes |
//! | `FORK` | nothing | the child's id (u32) to the caller; the child's copy of the call returns with no bytes |
//! | `WAIT_ANY` | nothing | the id (u32) and [`Ended`] of an ended child, when one has ended; `NotFound` with no children |
//! | `TASK_ID` | nothing | the caller's own id (u32) |

use abi::{ExitReason, TaskId};

use super::read_u32;

/// Registry name.
pub const NAME: &str = "init";

pub const SPAWN: u32 = 1;
pub const WAIT: u32 = 2;
pub const POLL: u32 = 3;
pub const KILL: u32 = 4;
pub const RESTART: u32 = 5;
pub const POWEROFF: u32 = 6;
pub const PROGRAM: u32 = 7;
pub const RESTARTS: u32 = 8;
pub const CRASH: u32 = 9;
pub const FORK: u32 = 10;
pub const WAIT_ANY: u32 = 11;
pub const TASK_ID: u32 = 12;
pub const KILL_JOB: u32 = 13;

/// `SPAWN` flag: the program takes the console's input (the shell's
/// foreground job); its own children inherit that.
pub const FOREGROUND: u8 = 1 << 0;

/// `CRASH` flag: besides faulting now, the service faults at every start
/// until the next `RESTART` of it (to test the restart budget).
pub const CRASH_ALWAYS: u8 = 1 << 0;
/// `CRASH` flag: the next incarnation spins at once and answers nothing
/// (to show that init and the shell never wait on a service).
pub const CRASH_HANG: u8 = 1 << 1;

/// The argument init adds to a service's command line for [`CRASH_HANG`].
pub const HANG_AT_START: &str = "--hang-at-start";

/// The argument init adds to a service's command line while it must fault
/// at every start ([`CRASH_ALWAYS`]); the service checks for it first thing.
pub const CRASH_AT_START: &str = "--crash-at-start";

/// How a task ended, as reported to its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Killed,
    Fault,
}

/// Bytes of an encoded [`Ended`].
pub const ENDED_LEN: usize = 5;

impl Ended {
    pub fn encode(self) -> [u8; ENDED_LEN] {
        let (kind, status) = match self {
            Ended::Exited(status) => (0, status),
            Ended::Killed => (1, 0),
            Ended::Fault => (2, 0),
        };
        let s = status.to_le_bytes();
        [kind, s[0], s[1], s[2], s[3]]
    }

    pub fn decode(bytes: &[u8]) -> Option<Ended> {
        let status = read_u32(bytes, 1)? as i32;
        match bytes[0] {
            0 => Some(Ended::Exited(status)),
            1 => Some(Ended::Killed),
            2 => Some(Ended::Fault),
            _ => None,
        }
    }
}

impl From<ExitReason> for Ended {
    fn from(reason: ExitReason) -> Self {
        match reason {
            ExitReason::Exited(status) => Ended::Exited(status),
            ExitReason::Killed => Ended::Killed,
            ExitReason::Fault(_) => Ended::Fault,
        }
    }
}

impl core::fmt::Display for Ended {
    /// The shell's wording: `status 3`, `killed`, `fault`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Ended::Exited(status) => write!(f, "status {status}"),
            Ended::Killed => f.write_str("killed"),
            Ended::Fault => f.write_str("fault"),
        }
    }
}

/// An ended background child, as `POLL` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished<'a> {
    pub task: TaskId,
    pub ended: Ended,
    pub name: &'a str,
}

impl<'a> Finished<'a> {
    /// Writes the `POLL` reply into `out`; returns its length.
    pub fn encode(&self, out: &mut [u8]) -> usize {
        let name = &self.name.as_bytes()[..self.name.len().min(abi::TASK_NAME_MAX)];
        let len = 4 + ENDED_LEN + name.len();
        out[..4].copy_from_slice(&self.task.raw().to_le_bytes());
        out[4..4 + ENDED_LEN].copy_from_slice(&self.ended.encode());
        out[4 + ENDED_LEN..len].copy_from_slice(name);
        len
    }

    pub fn decode(bytes: &'a [u8]) -> Option<Finished<'a>> {
        let task = TaskId::from_raw(read_u32(bytes, 0)?);
        let ended = Ended::decode(bytes.get(4..4 + ENDED_LEN)?)?;
        let name = core::str::from_utf8(bytes.get(4 + ENDED_LEN..)?).ok()?;
        Some(Finished { task, ended, name })
    }
}

/// Bytes of a `WAIT_ANY` reply: the child's id, then how it ended.
pub const CHILD_ENDED_LEN: usize = 4 + ENDED_LEN;

/// Encodes a `WAIT_ANY` reply.
pub fn encode_child_ended(child: TaskId, ended: Ended) -> [u8; CHILD_ENDED_LEN] {
    let mut out = [0u8; CHILD_ENDED_LEN];
    out[..4].copy_from_slice(&child.raw().to_le_bytes());
    out[4..].copy_from_slice(&ended.encode());
    out
}

/// Decodes a `WAIT_ANY` reply.
pub fn decode_child_ended(bytes: &[u8]) -> Option<(TaskId, Ended)> {
    let child = TaskId::from_raw(read_u32(bytes, 0)?);
    Some((child, Ended::decode(bytes.get(4..)?)?))
}

/// Largest `POLL` reply.
pub const FINISHED_MAX: usize = 4 + ENDED_LEN + abi::TASK_NAME_MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_round_trips() {
        for ended in [Ended::Exited(-7), Ended::Exited(0), Ended::Killed, Ended::Fault] {
            assert_eq!(Ended::decode(&ended.encode()), Some(ended));
        }
        assert_eq!(Ended::decode(&[9, 0, 0, 0, 0]), None);
        assert_eq!(Ended::decode(&[0, 0]), None);
        assert_eq!(Ended::Exited(3).to_string(), "status 3");
    }

    #[test]
    fn finished_round_trips_and_cuts_long_names() {
        let mut buf = [0u8; FINISHED_MAX];
        let f = Finished { task: TaskId::new(4, 1), ended: Ended::Killed, name: "spin" };
        let len = f.encode(&mut buf);
        assert_eq!(Finished::decode(&buf[..len]), Some(f));
        let long = Finished { name: "abcdefghijklmnopqrstuvwxyz", ..f };
        let len = long.encode(&mut buf);
        assert_eq!(Finished::decode(&buf[..len]).unwrap().name, "abcdefghijklmnop");
    }

    #[test]
    fn child_ended_round_trips() {
        let child = TaskId::new(9, 2);
        let bytes = encode_child_ended(child, Ended::Exited(4));
        assert_eq!(decode_child_ended(&bytes), Some((child, Ended::Exited(4))));
        assert_eq!(decode_child_ended(&bytes[..6]), None);
    }

    #[test]
    fn exit_reasons_map_to_what_the_shell_shows() {
        assert_eq!(Ended::from(ExitReason::Exited(2)), Ended::Exited(2));
        assert_eq!(Ended::from(ExitReason::Killed), Ended::Killed);
    }
}
