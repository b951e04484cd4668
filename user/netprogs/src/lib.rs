//! The socket programs' shared code: argument parsing, output wording, the
//! socket helpers every program uses, and sockstress's pure parts.
//!
//! Everything here is free of syscalls except through a `libsock::Transport`,
//! so the wording and parsing are unit-tested on the host.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cli;
pub mod net;
pub mod stress;
pub mod table;
pub mod tally;
pub mod text;
