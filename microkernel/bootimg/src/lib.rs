//! The boot image archive: the one module the boot loader (QEMU `-initrd`) hands the kernel.
//!
//! An image is a header, an entry table and the data of each entry, every entry's data
//! starting on a 4096-byte boundary so the kernel can map it page by page without copying.
//! Two kinds of entry exist: [`EntryKind::Elf`], an ELF program that user-space init loads,
//! and [`EntryKind::Flat`], a program prepared on the host (see [`FlatProgram`]) that the
//! kernel can start as the very first task without parsing ELF.
//!
//! [`BootImage::parse`] checks everything up front (magic, version, table bounds, entry
//! bounds, names, and the CRC-32 of the table and of every entry's data), so code holding a
//! [`BootImage`] can trust it. The reader never panics and never allocates, whatever the input.
//! The writer, [`Builder`], exists only with the `std` feature, for host tools.
//!
//! Byte layout (all integers little endian; `docs/boot-image.md` has the full tables):
//!
//! ```text
//! header (32 bytes)   magic "MKBOOTIM", version, entry count, image size, reserved, table CRC
//! entry table         entry count x 64 bytes: name[32], kind, data CRC, offset, size, reserved
//! data                each entry's bytes at its offset (a multiple of 4096), zero padding between
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

#[cfg(all(feature = "std", not(test)))]
extern crate std;

mod error;
mod flat;
mod layout;
mod reader;
#[cfg(any(test, feature = "std"))]
mod writer;

#[cfg(test)]
mod tests;

pub use error::{EntryLabel, FormatError, TruncatedPart};
pub use flat::{FLAT_HEADER_SIZE, FlatProgram};
pub use layout::{DATA_ALIGN, ENTRY_SIZE, EntryKind, FORMAT_VERSION, HEADER_SIZE, MAGIC, MAX_ENTRIES, NAME_CAPACITY};
pub use reader::{BootImage, Entries, Entry};
#[cfg(any(test, feature = "std"))]
pub use writer::{BuildError, Builder};
