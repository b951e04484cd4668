//! The user runtime: everything a program needs between `main` and the kernel.
//!
//! - [`entry!`] defines `_start`, the panic handler, the global allocator and
//!   the C memory functions in a binary (they must live in the binary crate).
//! - [`sys`], [`ipc`], [`task`]: a safe wrapper per syscall; [`arch`] holds
//!   the only inline assembly.
//! - [`heap`]: the allocator, growing by mapping pages.
//! - [`io`]: `print!`/`println!` through the console server and line input.
//! - [`args`], [`rt`]: program arguments, start, exit status and panics.
//! - [`proto`]: the console's and init's IPC protocols, shared with those
//!   servers; [`supervisor`] calls init.
//! - [`rng`]: a seeded random source, for fuzzers and tests that replay by
//!   seed.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod arch;
pub mod args;
pub mod fmtbuf;
pub mod heap;
pub mod io;
pub mod ipc;
pub mod proto;
pub mod rng;
pub mod rt;
pub mod supervisor;
pub mod sys;
pub mod task;
pub mod time;

pub use memops;

pub use abi::{KernelError, Received, TaskId};
pub use io::{Input, read_line};
pub use rt::{args, program_name};
pub use sys::{exit, now_ns};
pub use time::sleep;
