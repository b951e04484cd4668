use super::*;
use proptest::prelude::*;

const CODE_ADDR: u64 = 0x40_1000;
const DATA_ADDR: u64 = 0x40_3000;

/// One program header to write: (type, flags, vaddr, file bytes, memsz).
type Header = (u32, u32, u64, Vec<u8>, u64);

/// Writes an executable with the program header table right after the ELF
/// header and each segment's bytes after that.
fn build(entry: u64, headers: &[Header]) -> Vec<u8> {
    let table_len = headers.len() * PROGRAM_HEADER_SIZE;
    let mut file = vec![0u8; ELF_HEADER_SIZE + table_len];
    file[..4].copy_from_slice(&MAGIC);
    file[4] = CLASS_64;
    file[5] = DATA_LITTLE_ENDIAN;
    file[6] = VERSION_CURRENT;
    put(&mut file, 16, &TYPE_EXEC.to_le_bytes());
    put(&mut file, 18, &MACHINE_X86_64.to_le_bytes());
    put(&mut file, 20, &1u32.to_le_bytes());
    put(&mut file, 24, &entry.to_le_bytes());
    put(&mut file, 32, &(ELF_HEADER_SIZE as u64).to_le_bytes());
    put(&mut file, 52, &(ELF_HEADER_SIZE as u16).to_le_bytes());
    put(&mut file, 54, &(PROGRAM_HEADER_SIZE as u16).to_le_bytes());
    put(&mut file, 56, &(headers.len() as u16).to_le_bytes());
    for (i, (kind, flags, vaddr, bytes, mem_size)) in headers.iter().enumerate() {
        let at = ELF_HEADER_SIZE + i * PROGRAM_HEADER_SIZE;
        let offset = file.len() as u64;
        file.extend_from_slice(bytes);
        put(&mut file, at, &kind.to_le_bytes());
        put(&mut file, at + 4, &flags.to_le_bytes());
        put(&mut file, at + 8, &offset.to_le_bytes());
        put(&mut file, at + 16, &vaddr.to_le_bytes());
        put(&mut file, at + 24, &vaddr.to_le_bytes());
        put(&mut file, at + 32, &(bytes.len() as u64).to_le_bytes());
        put(&mut file, at + 40, &mem_size.to_le_bytes());
        put(&mut file, at + 48, &(PAGE_SIZE as u64).to_le_bytes());
    }
    file
}

fn put(file: &mut [u8], at: usize, bytes: &[u8]) {
    file[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Sets field `at` (byte offset) of program header `index`.
fn put_header_field(file: &mut [u8], index: usize, at: usize, value: u64) {
    put(file, ELF_HEADER_SIZE + index * PROGRAM_HEADER_SIZE + at, &value.to_le_bytes());
}

const PF_R: u32 = 4;
const PT_GNU_STACK: u32 = 0x6474_e551;

/// Code, data with .bss, and a non-load header that must be ignored.
fn valid() -> Vec<u8> {
    build(
        CODE_ADDR + 0x10,
        &[
            (PT_LOAD, PF_R | PF_X, CODE_ADDR, vec![0x90; 0x40], 0x40),
            (PT_LOAD, PF_R | PF_W, DATA_ADDR, vec![1, 2, 3, 4], 0x2000),
            (PT_GNU_STACK, PF_R | PF_W, 0, vec![], 0),
        ],
    )
}

fn code(vaddr: u64, len: u64) -> Header {
    (PT_LOAD, PF_R | PF_X, vaddr, vec![0xcc; len as usize], len)
}

#[test]
fn parses_a_minimal_executable() {
    let file = valid();
    let program = parse(&file).unwrap();
    assert_eq!(program.entry, CODE_ADDR + 0x10);
    let [text, data] = program.segments() else { panic!("{:?}", program.segments()) };
    assert_eq!((text.vaddr, text.mem_size, text.file_bytes), (CODE_ADDR, 0x40, &[0x90; 0x40][..]));
    assert!(text.executable && !text.writable);
    assert_eq!((data.vaddr, data.mem_size, data.file_bytes), (DATA_ADDR, 0x2000, &[1, 2, 3, 4][..]));
    assert!(data.writable && !data.executable);
    assert_eq!(data.zero_fill(), 0x2000 - 4);
    assert_eq!(data.pages(), (DATA_ADDR, DATA_ADDR + 0x2000));
    assert_eq!(text.pages(), (CODE_ADDR, CODE_ADDR + 0x1000));
}

#[test]
fn segments_may_share_a_page_without_overlapping() {
    let file = build(CODE_ADDR, &[code(CODE_ADDR, 0x100), (PT_LOAD, PF_W, CODE_ADDR + 0x100, vec![], 8)]);
    assert_eq!(parse(&file).unwrap().segments().len(), 2);
}

#[test]
fn rejects_wrong_identity() {
    let cases: [(usize, u8, ElfError); 7] = [
        (0, 0x7e, ElfError::BadMagic),
        (4, 1, ElfError::NotElf64),
        (5, 2, ElfError::NotLittleEndian),
        (6, 0, ElfError::BadVersion),
        (16, 3, ElfError::NotExecutable(3)),
        (18, 3, ElfError::WrongMachine(3)),
        (20, 2, ElfError::BadVersion),
    ];
    for (at, value, expected) in cases {
        let mut file = valid();
        file[at] = value;
        assert_eq!(parse(&file), Err(expected), "byte {at}");
    }
    assert_eq!(parse(&valid()[..63]), Err(ElfError::TooShort));
    assert_eq!(parse(&[]), Err(ElfError::TooShort));
}

#[test]
fn rejects_bad_program_header_tables() {
    let mut small = valid();
    put(&mut small, 54, &32u16.to_le_bytes());
    assert_eq!(parse(&small), Err(ElfError::BadProgramHeaderSize(32)));

    let mut far = valid();
    let len = far.len() as u64;
    put(&mut far, 32, &len.to_le_bytes());
    assert_eq!(parse(&far), Err(ElfError::ProgramHeadersOutOfBounds));

    let mut huge_offset = valid();
    put(&mut huge_offset, 32, &u64::MAX.to_le_bytes());
    assert_eq!(parse(&huge_offset), Err(ElfError::ProgramHeadersOutOfBounds));

    let mut many = valid();
    put(&mut many, 56, &u16::MAX.to_le_bytes());
    assert_eq!(parse(&many), Err(ElfError::ProgramHeadersOutOfBounds));
}

#[test]
fn rejects_segment_file_ranges_outside_the_file() {
    let mut past_end = valid();
    let len = past_end.len() as u64;
    put_header_field(&mut past_end, 1, 8, len - 2);
    assert_eq!(parse(&past_end), Err(ElfError::SegmentOutsideFile { index: 1 }));

    let mut wrapping = valid();
    put_header_field(&mut wrapping, 0, 8, u64::MAX - 8);
    assert_eq!(parse(&wrapping), Err(ElfError::SegmentOutsideFile { index: 0 }));
}

#[test]
fn rejects_file_size_above_memory_size() {
    let mut file = valid();
    put_header_field(&mut file, 0, 40, 0x3f);
    assert_eq!(parse(&file), Err(ElfError::FileSizeExceedsMemSize { index: 0 }));
}

#[test]
fn rejects_segments_outside_user_space() {
    let low = build(0x1000, &[code(0x1000, 0x10)]);
    assert_eq!(parse(&low), Err(ElfError::OutsideUserSpace { index: 0, vaddr: 0x1000 }));
    let straddling_start = build(USER_START, &[code(USER_START - 0x10, 0x20)]);
    assert!(matches!(parse(&straddling_start), Err(ElfError::OutsideUserSpace { index: 0, .. })));
    let kernel = build(0xffff_8000_0000_0000, &[code(0xffff_8000_0000_0000, 0x10)]);
    assert!(matches!(parse(&kernel), Err(ElfError::OutsideUserSpace { .. })));
    let crossing_top = build(USER_END - 0x10, &[code(USER_END - 0x10, 0x20)]);
    assert!(matches!(parse(&crossing_top), Err(ElfError::OutsideUserSpace { .. })));
    let touching_top = build(USER_END - 0x10, &[code(USER_END - 0x10, 0x10)]);
    assert!(parse(&touching_top).is_ok(), "a segment may end exactly at USER_END");
}

#[test]
fn rejects_address_overflow() {
    let mut file = valid();
    put_header_field(&mut file, 1, 16, u64::MAX - 0x100);
    assert_eq!(parse(&file), Err(ElfError::AddressOverflow { index: 1 }));
}

#[test]
fn rejects_overlapping_segments() {
    let file = build(CODE_ADDR, &[code(CODE_ADDR, 0x100), (PT_LOAD, PF_W, CODE_ADDR + 0xff, vec![], 8)]);
    assert_eq!(parse(&file), Err(ElfError::OverlappingSegments { first: 0, second: 1 }));
    let inside = build(CODE_ADDR, &[code(CODE_ADDR, 0x100), code(CODE_ADDR + 0x10, 0x10)]);
    assert_eq!(parse(&inside), Err(ElfError::OverlappingSegments { first: 0, second: 1 }));
}

#[test]
fn rejects_entry_outside_executable_code() {
    let mut in_data = valid();
    put(&mut in_data, 24, &(DATA_ADDR + 8).to_le_bytes());
    assert_eq!(parse(&in_data), Err(ElfError::EntryNotExecutable(DATA_ADDR + 8)));
    let mut past_code = valid();
    put(&mut past_code, 24, &(CODE_ADDR + 0x40).to_le_bytes());
    assert_eq!(parse(&past_code), Err(ElfError::EntryNotExecutable(CODE_ADDR + 0x40)));
    let mut zero = valid();
    put(&mut zero, 24, &0u64.to_le_bytes());
    assert_eq!(parse(&zero), Err(ElfError::EntryNotExecutable(0)));
}

#[test]
fn rejects_too_many_and_zero_segments() {
    let headers: Vec<Header> = (0..MAX_SEGMENTS as u64 + 1).map(|i| code(CODE_ADDR + i * 0x1000, 0x10)).collect();
    assert_eq!(parse(&build(CODE_ADDR, &headers)), Err(ElfError::TooManySegments));
    assert!(parse(&build(CODE_ADDR, &headers[..MAX_SEGMENTS])).is_ok());

    assert_eq!(parse(&build(CODE_ADDR, &[])), Err(ElfError::NoSegments));
    let only_empty = build(CODE_ADDR, &[(PT_LOAD, PF_X, CODE_ADDR, vec![], 0)]);
    assert_eq!(parse(&only_empty), Err(ElfError::NoSegments));
}

#[test]
fn errors_describe_themselves() {
    let text = ElfError::OutsideUserSpace { index: 2, vaddr: 0x1000 }.to_string();
    assert_eq!(text, "segment 2 at 0x1000 is outside user space");
    assert_eq!(ElfError::TooManySegments.to_string(), "more than 16 loadable segments");
}

proptest! {
    /// Any mutation of a valid file yields a result or an error, never a
    /// panic, and whatever is accepted obeys the promised invariants.
    #[test]
    fn mutated_files_never_panic(
        edits in prop::collection::vec((0usize..400, any::<u8>()), 1..12),
        cut in 0usize..400,
    ) {
        let mut file = valid();
        for (at, value) in edits {
            let len = file.len();
            file[at % len] = value;
        }
        file.truncate(cut.max(ELF_HEADER_SIZE / 2));
        if let Ok(program) = parse(&file) {
            prop_assert!(!program.segments().is_empty());
            for segment in program.segments() {
                prop_assert!(segment.vaddr >= USER_START && segment.end() <= USER_END);
                prop_assert!(segment.file_bytes.len() as u64 <= segment.mem_size);
            }
        }
    }
}
