//! The runtime of C programs written for xv6's user library, linked into
//! every program built from `user/c` (see `docs/c-programs.md`).
//!
//! A static library: the C objects call its functions by their xv6 names
//! (`fork`, `wait`, `read`, `sbrk`, `listen`, ...), and it brings the
//! program's `_start`, heap and panic handler. Everything it does goes
//! through `urt` (console, init, time, memory) and libsock's integer API (the
//! socket calls, with the codes -1025..-1030), so C programs make the same
//! calls as Rust ones. The string functions and `printf` are small C in
//! `user/c/lib`.
//!
//! The modules here are the pure parts, tested on the host; `exports` holds
//! the functions under their C names, built only for the guest (on the host
//! they would clash with libc's).
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod argv;
pub mod blocks;
pub mod brk;
pub mod lines;
pub mod ticks;

#[cfg(not(test))]
mod exports;

/// What xv6's calls return for a failure.
pub const FAILED: i32 = -1;

/// A task id as a C process id. Ids are positive `int`s (their generation
/// stays below 2^15, see `abi::TaskId`).
pub fn pid_of(task: abi::TaskId) -> i32 {
    task.raw() as i32
}

/// The task a C process id names; `None` for ids no task can have.
pub fn task_of(pid: i32) -> Option<abi::TaskId> {
    (pid > 0).then(|| abi::TaskId::from_raw(pid as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::TaskId;

    #[test]
    fn pids_round_trip_and_are_positive() {
        for task in [TaskId::new(1, 0), TaskId::new(511, 3), TaskId::new(u16::MAX, TaskId::MAX_GENERATION)] {
            let pid = pid_of(task);
            assert!(pid > 0);
            assert_eq!(task_of(pid), Some(task));
        }
        assert_eq!(task_of(0), None);
        assert_eq!(task_of(-1), None);
    }
}
