//! The console server's pure parts, unit-tested on the host: the line
//! discipline (what typed bytes mean), the screen (how output from many
//! tasks is put together line by line), the output queue (how long
//! writes are shown piece by piece, fairly) and the input watches (who is
//! told when input waits for it). `main.rs` drives them with the
//! UART and IPC.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod discipline;
pub mod input_watch;
pub mod output_queue;
pub mod screen;
