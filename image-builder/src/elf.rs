//! Reading the loadable segments of a 64-bit x86_64 ELF executable.
//!
//! Only what the image builder needs: entry point and PT_LOAD segments (addresses, file
//! bytes, memory size). Relocations, dynamic linking and section headers are out of scope:
//! the OS runs static, non-relocatable executables only.

use object::Endianness;
use object::elf::{self, FileHeader64, ProgramHeader64};
use object::read::elf::{FileHeader, ProgramHeader};

/// One PT_LOAD segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSegment<'a> {
    pub vaddr: u64,
    pub paddr: u64,
    /// Bytes from the file; `file_bytes.len() <= mem_size`.
    pub file_bytes: &'a [u8],
    /// Bytes the segment occupies in memory; those past `file_bytes` are zero.
    pub mem_size: u64,
}

/// The parts of an executable that loading needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executable<'a> {
    pub entry: u64,
    /// PT_LOAD segments with a non-zero memory size, in file order.
    pub segments: Vec<LoadSegment<'a>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ElfError {
    #[error("not a valid ELF64 file: {0}")]
    Malformed(String),
    #[error("ELF file is big endian; only little-endian x86_64 is supported")]
    BigEndian,
    #[error("ELF file is for machine {0}, not x86_64 (62)")]
    WrongMachine(u16),
    #[error("ELF file has type {0}, not a static executable (ET_EXEC = 2)")]
    NotExecutable(u16),
    #[error("segment {index}: file size {file_size:#x} exceeds memory size {mem_size:#x}")]
    FileLargerThanMemory { index: usize, file_size: u64, mem_size: u64 },
    #[error("ELF file has no loadable segment")]
    NoLoadSegment,
}

fn malformed(error: object::read::Error) -> ElfError {
    ElfError::Malformed(error.to_string())
}

/// Parses `data` as a static x86_64 executable and lists its PT_LOAD segments.
pub fn read_executable(data: &[u8]) -> Result<Executable<'_>, ElfError> {
    let header = FileHeader64::<Endianness>::parse(data).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    if endian != Endianness::Little {
        return Err(ElfError::BigEndian);
    }
    let machine = header.e_machine(endian);
    if machine != elf::EM_X86_64 {
        return Err(ElfError::WrongMachine(machine));
    }
    let file_type = header.e_type(endian);
    if file_type != elf::ET_EXEC {
        return Err(ElfError::NotExecutable(file_type));
    }
    let program_headers: &[ProgramHeader64<Endianness>] = header.program_headers(endian, data).map_err(malformed)?;

    let mut segments = Vec::new();
    for (index, program_header) in program_headers.iter().enumerate() {
        if program_header.p_type(endian) != elf::PT_LOAD {
            continue;
        }
        let mem_size = program_header.p_memsz(endian);
        let file_bytes = program_header
            .data(endian, data)
            .map_err(|()| ElfError::Malformed(format!("segment {index} lies outside the file")))?;
        let file_size = file_bytes.len() as u64;
        if file_size > mem_size {
            return Err(ElfError::FileLargerThanMemory { index, file_size, mem_size });
        }
        if mem_size == 0 {
            continue;
        }
        segments.push(LoadSegment {
            vaddr: program_header.p_vaddr(endian),
            paddr: program_header.p_paddr(endian),
            file_bytes,
            mem_size,
        });
    }
    if segments.is_empty() {
        return Err(ElfError::NoLoadSegment);
    }
    Ok(Executable { entry: header.e_entry(endian), segments })
}

/// Writes minimal ELF files for tests: an ELF64 header, program headers, segment bytes.
#[cfg(test)]
pub(crate) mod test_elf {
    use object::pod::bytes_of;
    use object::{LittleEndian, U64};

    use super::*;

    /// A segment to place in a test executable.
    pub struct Segment {
        pub vaddr: u64,
        pub paddr: u64,
        pub bytes: Vec<u8>,
        pub mem_size: u64,
    }

    /// An x86_64 ET_EXEC file with one PT_LOAD per segment, in the order given.
    pub fn executable(entry: u64, segments: &[Segment]) -> Vec<u8> {
        let le = LittleEndian;
        let header_size = size_of::<FileHeader64<LittleEndian>>();
        let phdr_size = size_of::<ProgramHeader64<LittleEndian>>();
        let mut file_offset = (header_size + phdr_size * segments.len()) as u64;
        let mut program_headers = Vec::new();
        for segment in segments {
            program_headers.push(ProgramHeader64::<LittleEndian> {
                p_type: object::U32::new(le, elf::PT_LOAD),
                p_flags: object::U32::new(le, elf::PF_R | elf::PF_X),
                p_offset: U64::new(le, file_offset),
                p_vaddr: U64::new(le, segment.vaddr),
                p_paddr: U64::new(le, segment.paddr),
                p_filesz: U64::new(le, segment.bytes.len() as u64),
                p_memsz: U64::new(le, segment.mem_size),
                p_align: U64::new(le, 0x1000),
            });
            file_offset += segment.bytes.len() as u64;
        }
        let header = FileHeader64::<LittleEndian> {
            e_ident: elf::Ident {
                magic: elf::ELFMAG,
                class: elf::ELFCLASS64,
                data: elf::ELFDATA2LSB,
                version: elf::EV_CURRENT,
                os_abi: 0,
                abi_version: 0,
                padding: [0; 7],
            },
            e_type: object::U16::new(le, elf::ET_EXEC),
            e_machine: object::U16::new(le, elf::EM_X86_64),
            e_version: object::U32::new(le, u32::from(elf::EV_CURRENT)),
            e_entry: U64::new(le, entry),
            e_phoff: U64::new(le, header_size as u64),
            e_shoff: U64::new(le, 0),
            e_flags: object::U32::new(le, 0),
            e_ehsize: object::U16::new(le, header_size as u16),
            e_phentsize: object::U16::new(le, phdr_size as u16),
            e_phnum: object::U16::new(le, segments.len() as u16),
            e_shentsize: object::U16::new(le, 0),
            e_shnum: object::U16::new(le, 0),
            e_shstrndx: object::U16::new(le, 0),
        };
        let mut file = bytes_of(&header).to_vec();
        for program_header in &program_headers {
            file.extend_from_slice(bytes_of(program_header));
        }
        for segment in segments {
            file.extend_from_slice(&segment.bytes);
        }
        file
    }
}

#[cfg(test)]
mod tests {
    use super::test_elf::{Segment, executable};
    use super::*;

    #[test]
    fn reads_entry_and_load_segments() {
        let file = executable(
            0x40_1000,
            &[
                Segment { vaddr: 0x40_0000, paddr: 0x1000, bytes: vec![1, 2, 3], mem_size: 3 },
                Segment { vaddr: 0x40_2000, paddr: 0x3000, bytes: vec![], mem_size: 0 },
                Segment { vaddr: 0x40_3000, paddr: 0x4000, bytes: vec![9], mem_size: 0x100 },
            ],
        );
        let program = read_executable(&file).unwrap();
        assert_eq!(program.entry, 0x40_1000);
        assert_eq!(program.segments.len(), 2, "empty segment is dropped");
        assert_eq!(program.segments[0].file_bytes, [1, 2, 3]);
        assert_eq!(program.segments[1].paddr, 0x4000);
        assert_eq!(program.segments[1].mem_size, 0x100);
    }

    #[test]
    fn rejects_non_executables() {
        assert!(matches!(read_executable(b"hello"), Err(ElfError::Malformed(_))));
        let mut file = executable(0, &[Segment { vaddr: 0, paddr: 0, bytes: vec![1], mem_size: 1 }]);
        file[18] = 3; // e_machine = EM_386
        assert_eq!(read_executable(&file), Err(ElfError::WrongMachine(3)));
        file[18] = 62;
        file[16] = 3; // e_type = ET_DYN
        assert_eq!(read_executable(&file), Err(ElfError::NotExecutable(3)));
        assert_eq!(read_executable(&executable(0, &[])), Err(ElfError::NoLoadSegment));
    }

    #[test]
    fn rejects_segment_with_more_file_than_memory() {
        let file = executable(0, &[Segment { vaddr: 0, paddr: 0, bytes: vec![1; 8], mem_size: 4 }]);
        assert!(matches!(
            read_executable(&file),
            Err(ElfError::FileLargerThanMemory { index: 0, file_size: 8, mem_size: 4 })
        ));
    }

    #[test]
    fn reads_a_real_linker_output() {
        // The test binary itself is a real x86_64 ELF, though position independent (ET_DYN).
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(matches!(read_executable(&me), Err(ElfError::NotExecutable(elf::ET_DYN))));
    }
}
