//! Why an executable was refused.

/// What is wrong with an ELF file. `index` values name program headers by
/// their position in the program header table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than an ELF header.
    TooShort,
    BadMagic,
    NotElf64,
    NotLittleEndian,
    BadVersion,
    /// `e_type` is not `ET_EXEC` (relocatable, shared object, core...).
    NotExecutable(u16),
    /// `e_machine` is not x86_64.
    WrongMachine(u16),
    /// `e_phentsize` is smaller than an ELF64 program header.
    BadProgramHeaderSize(u16),
    ProgramHeadersOutOfBounds,
    /// The segment's file bytes run past the end of the file.
    SegmentOutsideFile {
        index: usize,
    },
    FileSizeExceedsMemSize {
        index: usize,
    },
    /// `vaddr + memsz` does not fit in 64 bits.
    AddressOverflow {
        index: usize,
    },
    /// The segment is not inside `[abi::USER_START, abi::USER_END)`.
    OutsideUserSpace {
        index: usize,
        vaddr: u64,
    },
    OverlappingSegments {
        first: usize,
        second: usize,
    },
    /// The entry point is not inside an executable segment.
    EntryNotExecutable(u64),
    /// More than `MAX_SEGMENTS` loadable segments.
    TooManySegments,
    /// No loadable segment at all.
    NoSegments,
}

impl core::fmt::Display for ElfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ElfError::TooShort => write!(f, "file too short for an ELF header"),
            ElfError::BadMagic => write!(f, "not an ELF file (bad magic)"),
            ElfError::NotElf64 => write!(f, "not a 64-bit ELF file"),
            ElfError::NotLittleEndian => write!(f, "not a little-endian ELF file"),
            ElfError::BadVersion => write!(f, "unknown ELF version"),
            ElfError::NotExecutable(kind) => {
                write!(f, "ELF type {kind} is not a static executable")
            }
            ElfError::WrongMachine(machine) => write!(f, "ELF machine {machine} is not x86_64"),
            ElfError::BadProgramHeaderSize(size) => {
                write!(f, "program header size {size} too small")
            }
            ElfError::ProgramHeadersOutOfBounds => {
                write!(f, "program header table outside the file")
            }
            ElfError::SegmentOutsideFile { index } => {
                write!(f, "segment {index} data outside the file")
            }
            ElfError::FileSizeExceedsMemSize { index } => {
                write!(f, "segment {index} has more file bytes than memory")
            }
            ElfError::AddressOverflow { index } => write!(f, "segment {index} address overflows"),
            ElfError::OutsideUserSpace { index, vaddr } => {
                write!(f, "segment {index} at {vaddr:#x} is outside user space")
            }
            ElfError::OverlappingSegments { first, second } => {
                write!(f, "segments {first} and {second} overlap")
            }
            ElfError::EntryNotExecutable(entry) => {
                write!(f, "entry point {entry:#x} is not in an executable segment")
            }
            ElfError::TooManySegments => {
                write!(f, "more than {} loadable segments", crate::MAX_SEGMENTS)
            }
            ElfError::NoSegments => write!(f, "no loadable segments"),
        }
    }
}
