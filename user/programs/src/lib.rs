//! The pure parts of the user programs, unit-tested on the host: the shell's
//! command parser, history and completion, sockloop's arguments and
//! messages, the fuzzers' generators and result oracle, and ipcmesh's arena
//! model and messages.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod command;
pub mod completion;
pub mod fuzzgen;
pub mod history;
pub mod ipcdigest;
pub mod ipcmesh;
pub mod sockloop;
