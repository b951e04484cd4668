//! The pure half of `sockbench`, unit-tested on the host: what to run
//! ([`plan`]), how results are printed ([`report`]), how timestamp ticks become
//! nanoseconds ([`clock`]), and the bulk payload with its checksum
//! ([`pattern`]). The binary (`src/bin/sockbench`) does the syscalls.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod clock;
pub mod pattern;
pub mod plan;
pub mod report;
