//! Why a boot image or flat program was rejected, worded for the person reading the
//! kernel's boot log.
//!
//! Errors own a copy of the entry name ([`EntryLabel`]) instead of borrowing the image, so
//! they can outlive it and need no allocation.

use core::fmt;

use crate::layout::{FORMAT_VERSION, NAME_CAPACITY, decode_name};

/// Which part of the image was cut short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruncatedPart {
    /// Fewer bytes than the fixed header.
    Header,
    /// The entry table runs past the end of the bytes given.
    EntryTable,
    /// The header's image size is larger than the bytes given.
    Image,
}

/// Names an entry in an error: by its stored name when that is readable, else by index.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EntryLabel {
    index: u16,
    name: [u8; NAME_CAPACITY],
}

impl EntryLabel {
    pub(crate) fn new(index: usize, name_field: &[u8]) -> EntryLabel {
        let mut name = [0u8; NAME_CAPACITY];
        let copied = name_field.len().min(NAME_CAPACITY);
        name[..copied].copy_from_slice(&name_field[..copied]);
        EntryLabel { index: u16::try_from(index).unwrap_or(u16::MAX), name }
    }

    /// Position of the entry in the table.
    pub fn index(&self) -> usize {
        usize::from(self.index)
    }

    /// The entry's name, if the stored name field is well formed.
    pub fn name(&self) -> Option<&str> {
        decode_name(&self.name)
    }
}

impl fmt::Display for EntryLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "'{name}'"),
            None => write!(f, "#{}", self.index),
        }
    }
}

impl fmt::Debug for EntryLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryLabel({} {self})", self.index)
    }
}

/// A boot image or flat program that cannot be used, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The bytes end before `part` does.
    Truncated { part: TruncatedPart, needed: u64, available: u64 },
    /// The first eight bytes are not [`crate::MAGIC`].
    BadMagic { found: [u8; 8] },
    /// The header names a format version this reader does not know.
    UnsupportedVersion { found: u32 },
    /// The header claims more entries than [`crate::MAX_ENTRIES`].
    TooManyEntries { count: u32 },
    /// The header's image size does not even cover its own entry table.
    ImageSizeTooSmall { image_size: u64, table_end: u64 },
    /// A header or table field that must be zero is not.
    ReservedNotZero { entry: Option<EntryLabel> },
    /// The CRC over header and entry table does not match: the table is damaged.
    TableChecksum { stored: u32, computed: u32 },
    /// A name field is empty, not UTF-8, contains NUL, or has non-zero padding.
    BadName { entry: EntryLabel },
    /// Two entries share a name.
    DuplicateName { entry: EntryLabel },
    /// An entry's kind number is not one this version knows.
    UnknownKind { entry: EntryLabel, code: u32 },
    /// An entry's data does not start on a 4096-byte boundary.
    MisalignedData { entry: EntryLabel, offset: u64 },
    /// An entry's data reaches past the end of the image.
    DataOutOfBounds { entry: EntryLabel, offset: u64, size: u64, image_size: u64 },
    /// An entry's data overlaps the entry table or the previous entry's data (entries are
    /// stored in ascending offset order).
    DataOverlap { entry: EntryLabel, offset: u64, previous_end: u64 },
    /// An entry's data does not match its stored CRC-32.
    DataChecksum { entry: EntryLabel, stored: u32, computed: u32 },
    /// A flat program is shorter than its fixed header.
    FlatTruncated { available: u64 },
    /// A flat program's load address is not page aligned.
    FlatMisaligned { load_addr: u64 },
    /// A flat program's memory size is smaller than the bytes it carries.
    FlatMemoryTooSmall { mem_size: u64, file_size: u64 },
    /// A flat program's load address plus memory size overflows the address space.
    FlatAddressOverflow { load_addr: u64, mem_size: u64 },
    /// A flat program's entry point lies outside its memory.
    FlatEntryOutside { entry: u64, load_addr: u64, mem_size: u64 },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FormatError::*;
        match *self {
            Truncated { part: TruncatedPart::Header, needed, available } => {
                write!(f, "boot image truncated: header needs {needed} bytes, image has {available}")
            }
            Truncated { part: TruncatedPart::EntryTable, needed, available } => {
                write!(f, "boot image truncated: entry table needs {needed} bytes, image has {available}")
            }
            Truncated { part: TruncatedPart::Image, needed, available } => {
                write!(f, "boot image truncated: header declares {needed} bytes, image has {available}")
            }
            BadMagic { found } => write!(f, "not a boot image: magic is {found:02x?}, expected \"MKBOOTIM\""),
            UnsupportedVersion { found } => write!(
                f,
                "boot image format version {found} is not supported (this reader knows version {FORMAT_VERSION})"
            ),
            TooManyEntries { count } => {
                write!(f, "boot image claims {count} entries, at most {} are allowed", crate::MAX_ENTRIES)
            }
            ImageSizeTooSmall { image_size, table_end } => write!(
                f,
                "boot image header is inconsistent: image size {image_size} is smaller than its entry table ({table_end} bytes)"
            ),
            ReservedNotZero { entry: None } => {
                write!(f, "boot image header has a non-zero reserved field")
            }
            ReservedNotZero { entry: Some(entry) } => {
                write!(f, "entry {entry} has a non-zero reserved field")
            }
            TableChecksum { stored, computed } => {
                write!(f, "boot image entry table is damaged: checksum {computed:#010x}, header says {stored:#010x}")
            }
            BadName { entry } => {
                write!(f, "entry {entry} has an invalid name (must be 1 to 32 bytes of UTF-8 without NUL, zero padded)")
            }
            DuplicateName { entry } => write!(f, "entry {entry} appears twice in the boot image"),
            UnknownKind { entry, code } => write!(f, "entry {entry} has unknown kind {code}"),
            MisalignedData { entry, offset } => {
                write!(f, "entry {entry} data at offset {offset:#x} is not aligned to {} bytes", crate::DATA_ALIGN)
            }
            DataOutOfBounds { entry, offset, size, image_size } => write!(
                f,
                "entry {entry} data ({size} bytes at offset {offset:#x}) runs past the end of the {image_size}-byte image"
            ),
            DataOverlap { entry, offset, previous_end } => write!(
                f,
                "entry {entry} data at offset {offset:#x} overlaps the table or the previous entry (which end at {previous_end:#x})"
            ),
            DataChecksum { entry, stored, computed } => {
                write!(f, "checksum mismatch in entry {entry}: data has {computed:#010x}, table says {stored:#010x}")
            }
            FlatTruncated { available } => write!(
                f,
                "flat program truncated: header needs {} bytes, entry has {available}",
                crate::FLAT_HEADER_SIZE
            ),
            FlatMisaligned { load_addr } => write!(f, "flat program load address {load_addr:#x} is not page aligned"),
            FlatMemoryTooSmall { mem_size, file_size } => {
                write!(f, "flat program memory size {mem_size:#x} is smaller than its {file_size:#x} file bytes")
            }
            FlatAddressOverflow { load_addr, mem_size } => {
                write!(f, "flat program memory ({mem_size:#x} bytes at {load_addr:#x}) overflows the address space")
            }
            FlatEntryOutside { entry, load_addr, mem_size } => write!(
                f,
                "flat program entry point {entry:#x} lies outside its memory ({mem_size:#x} bytes at {load_addr:#x})"
            ),
        }
    }
}

#[cfg(any(test, feature = "std"))]
impl std::error::Error for FormatError {}
