//! The console server's pure parts, unit-tested on the host: what typed
//! bytes mean (`keys`), the line being edited (`editor`), input typed ahead
//! (`input_queue`), reads and their lines (`discipline`), how output from
//! many tasks is put together line by line (`screen`), how the line being
//! typed and that output share the terminal (`terminal`), and how long
//! writes are shown piece by piece, fairly (`output_queue`), and who is told
//! when input waits for it (`input_watch`). `main.rs` drives them with the
//! UART and IPC.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod discipline;
pub mod editor;
pub mod input_queue;
pub mod input_watch;
pub mod keys;
pub mod output_queue;
pub mod screen;
pub mod terminal;

#[cfg(test)]
mod vt_model;
