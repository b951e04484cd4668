//! Host tests of the whole format: round trips, damage of every kind, random input.

mod corruption;
mod random_input;
mod round_trip;

use crate::{Builder, EntryKind, FlatProgram};

/// A three-entry image with a Flat program and ELF-kind data of awkward sizes (empty,
/// exactly one page, not a multiple of anything).
pub(super) fn sample_image() -> Vec<u8> {
    let mut flat = FlatProgram::encode_header(0x40_0000, 0x40_0020, 0x5000).to_vec();
    flat.extend((0..5000u32).map(|i| (i * 7) as u8));
    Builder::new()
        .add("init", EntryKind::Flat, flat)
        .unwrap()
        .add("empty", EntryKind::Elf, Vec::new())
        .unwrap()
        .add("page", EntryKind::Elf, vec![0xab; 4096])
        .unwrap()
        .add("shell", EntryKind::Elf, b"\x7fELF and then some".to_vec())
        .unwrap()
        .build()
}
