//! The kernel's pure logic, kept apart from the hardware so it can be tested
//! on the host with `cargo test -p kcore`.
//!
//! Nothing here issues a syscall, touches a port or dereferences a raw
//! pointer: the kernel hands these types its memory (a bitmap, a
//! `PhysMemory` reader) and applies their answers. None of them allocates.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod cmdline;
pub mod frames;
pub mod ipc;
pub mod jobs;
pub mod klog;
pub mod multiboot;
pub mod names;
pub mod resume;
pub mod sched;

mod frame_ranges;
