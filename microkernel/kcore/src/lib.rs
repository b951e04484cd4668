//! The kernel's pure logic, kept apart from the hardware so it can be tested
//! on the host with `cargo test -p kcore`.
//!
//! Nothing here issues a syscall, touches a port or dereferences a raw
//! pointer: the kernel hands these types its memory (a bitmap, a
//! `PhysMemory` reader, a page table behind `Translate`) and applies their
//! answers. None of them allocates. The checks the kernel's safety rests on
//! live here: user ranges and page rights (`user_memory`), lease bounds
//! (`lease`), map ranges and flags (`pages`), device grants (`grants`).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod cmdline;
pub mod fastpath;
pub mod frames;
pub mod grants;
pub mod ipc;
pub mod jobs;
pub mod klog;
pub mod lease;
pub mod multiboot;
pub mod names;
pub mod next_task;
pub mod pages;
pub mod resume;
pub mod sched;
pub mod task_index;
pub mod user_memory;

mod frame_ranges;
