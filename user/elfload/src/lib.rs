//! Reads an ELF64 x86_64 executable and lists what the program loader must
//! map: each `PT_LOAD` segment's address, size, file bytes and permissions,
//! plus the entry point.
//!
//! The kernel does not parse ELF; init does, with this crate, before it
//! creates the task. Everything is checked up front so the loader can map
//! segments without further checks: a file that is not a static x86_64
//! executable, that points outside itself, or that would place memory
//! outside user space is refused with a descriptive `ElfError`. All reads
//! are bounds-checked little-endian decodes of the input slice; nothing is
//! copied and nothing allocates.
//!
//! Limits: `ET_EXEC` only (no relocation), at most `MAX_SEGMENTS` loadable
//! segments, and `PT_LOAD` entries with a memory size of 0 are skipped.
//! Segments may share a page as long as their bytes do not overlap; the
//! loader must then give that page both segments' permissions.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod error;

pub use error::ElfError;

use abi::{PAGE_SIZE, USER_END, USER_START};

/// Most loadable segments a program may have.
pub const MAX_SEGMENTS: usize = 16;

const ELF_HEADER_SIZE: usize = 64;
const PROGRAM_HEADER_SIZE: usize = 56;
const MAGIC: [u8; 4] = *b"\x7fELF";
const CLASS_64: u8 = 2;
const DATA_LITTLE_ENDIAN: u8 = 1;
const VERSION_CURRENT: u8 = 1;
const TYPE_EXEC: u16 = 2;
const MACHINE_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;

/// One loadable segment: `mem_size` bytes at `vaddr`, starting with
/// `file_bytes` and zero-filled after them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment<'a> {
    pub vaddr: u64,
    pub mem_size: u64,
    pub file_bytes: &'a [u8],
    pub writable: bool,
    pub executable: bool,
}

impl Segment<'_> {
    /// First address past the segment (cannot overflow: checked by `parse`).
    pub fn end(&self) -> u64 {
        self.vaddr + self.mem_size
    }

    /// Page-aligned range `start..end` of the pages the segment touches.
    pub fn pages(&self) -> (u64, u64) {
        let page = PAGE_SIZE as u64;
        (self.vaddr - self.vaddr % page, self.end().div_ceil(page) * page)
    }

    /// Bytes after the file contents that must read as zero (`.bss`).
    pub fn zero_fill(&self) -> u64 {
        self.mem_size - self.file_bytes.len() as u64
    }
}

/// A checked executable: where to start and what to map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Program<'a> {
    pub entry: u64,
    segments: [Segment<'a>; MAX_SEGMENTS],
    count: usize,
}

impl<'a> Program<'a> {
    /// The loadable segments in program header order.
    pub fn segments(&self) -> &[Segment<'a>] {
        &self.segments[..self.count]
    }
}

/// Checks `data` as an ELF64 x86_64 executable and lists its segments.
pub fn parse(data: &[u8]) -> Result<Program<'_>, ElfError> {
    let header = data.get(..ELF_HEADER_SIZE).ok_or(ElfError::TooShort)?;
    check_identity(header)?;
    let entry = u64_at(header, 24);
    let table_offset = u64_at(header, 32);
    let entry_size = u16_at(header, 54);
    let entry_count = u16_at(header, 56);
    if (entry_size as usize) < PROGRAM_HEADER_SIZE {
        return Err(ElfError::BadProgramHeaderSize(entry_size));
    }
    let table_len = entry_size as u64 * entry_count as u64;
    let table = table_offset
        .checked_add(table_len)
        .and_then(|end| data.get(usize::try_from(table_offset).ok()?..usize::try_from(end).ok()?))
        .ok_or(ElfError::ProgramHeadersOutOfBounds)?;

    let mut program = Program { entry, segments: [Segment::default(); MAX_SEGMENTS], count: 0 };
    // Program header index of each kept segment, for error reports.
    let mut header_index = [0usize; MAX_SEGMENTS];
    for (index, raw) in table.chunks_exact(entry_size as usize).enumerate() {
        if u32_at(raw, 0) != PT_LOAD {
            continue;
        }
        let segment = load_segment(data, raw, index)?;
        if segment.mem_size == 0 {
            continue;
        }
        let kept = &program.segments[..program.count];
        if let Some(other) = kept.iter().position(|s| s.vaddr < segment.end() && segment.vaddr < s.end()) {
            return Err(ElfError::OverlappingSegments { first: header_index[other], second: index });
        }
        if program.count == MAX_SEGMENTS {
            return Err(ElfError::TooManySegments);
        }
        program.segments[program.count] = segment;
        header_index[program.count] = index;
        program.count += 1;
    }

    if program.count == 0 {
        return Err(ElfError::NoSegments);
    }
    let entry_is_code = program.segments().iter().any(|s| s.executable && s.vaddr <= entry && entry < s.end());
    if !entry_is_code {
        return Err(ElfError::EntryNotExecutable(entry));
    }
    Ok(program)
}

fn check_identity(header: &[u8]) -> Result<(), ElfError> {
    if header[..4] != MAGIC {
        return Err(ElfError::BadMagic);
    }
    if header[4] != CLASS_64 {
        return Err(ElfError::NotElf64);
    }
    if header[5] != DATA_LITTLE_ENDIAN {
        return Err(ElfError::NotLittleEndian);
    }
    if header[6] != VERSION_CURRENT || u32_at(header, 20) != VERSION_CURRENT as u32 {
        return Err(ElfError::BadVersion);
    }
    let kind = u16_at(header, 16);
    if kind != TYPE_EXEC {
        return Err(ElfError::NotExecutable(kind));
    }
    let machine = u16_at(header, 18);
    if machine != MACHINE_X86_64 {
        return Err(ElfError::WrongMachine(machine));
    }
    Ok(())
}

/// Checks one `PT_LOAD` program header (`raw`, number `index`).
fn load_segment<'a>(data: &'a [u8], raw: &[u8], index: usize) -> Result<Segment<'a>, ElfError> {
    let flags = u32_at(raw, 4);
    let file_offset = u64_at(raw, 8);
    let vaddr = u64_at(raw, 16);
    let file_size = u64_at(raw, 32);
    let mem_size = u64_at(raw, 40);
    if file_size > mem_size {
        return Err(ElfError::FileSizeExceedsMemSize { index });
    }
    let file_bytes = file_offset
        .checked_add(file_size)
        .and_then(|end| data.get(usize::try_from(file_offset).ok()?..usize::try_from(end).ok()?))
        .ok_or(ElfError::SegmentOutsideFile { index })?;
    let end = vaddr.checked_add(mem_size).ok_or(ElfError::AddressOverflow { index })?;
    if mem_size != 0 && (vaddr < USER_START || end > USER_END) {
        return Err(ElfError::OutsideUserSpace { index, vaddr });
    }
    Ok(Segment { vaddr, mem_size, file_bytes, writable: flags & PF_W != 0, executable: flags & PF_X != 0 })
}

/// Little-endian field decoders. Callers pass slices whose length the
/// format fixes (header 64 bytes, program header at least 56), so the
/// offsets used are always in range.
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests;
