//! Host side of the boot image: building it from ELF files and booting it in QEMU.
//!
//! - [`flatten`] and [`multiboot`]: the kernel as a flat file QEMU's `-kernel` accepts.
//! - [`commands`]: `kernel`, `pack` and `list` (the binary is a thin wrapper over [`cli`]).
//! - [`qemu`]: the harness integration tests use to boot the image and talk over serial.

pub mod cli;
pub mod commands;
pub mod elf;
pub mod flatten;
pub mod multiboot;
pub mod qemu;
