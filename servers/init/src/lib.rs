//! Init's pure parts, unit-tested on the host: the restart budget and what
//! to do when a service ends, the kill policy, the table of tasks init
//! started and their jobs, how ELF segments become mappings, init's answers
//! and the wording of fault reports. `main.rs` and its modules drive them
//! with syscalls.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod budget;
pub mod layout;
pub mod policy;
pub mod reply;
pub mod report;
pub mod supervision;
pub mod tasks;
