//! Turning an ELF executable into one contiguous memory image.
//!
//! Two uses: the kernel, laid out by physical address (`p_paddr`) into the flat file QEMU's
//! Multiboot loader copies to RAM; and the first user program, laid out by virtual address
//! (`p_vaddr`) behind a [`bootimg::FlatProgram`] header so the kernel can start it without
//! an ELF parser. Gaps between segments and bss inside the image are zero; the image stops
//! at the last byte that comes from the file (trailing bss is described, not stored).

use bootimg::{FLAT_HEADER_SIZE, FlatProgram, FormatError};

use crate::elf::{ElfError, LoadSegment, read_executable};

/// Largest memory span (lowest address to end of highest segment) accepted. The guest has
/// 256 MiB; anything near that means a stray segment at a far address.
pub const MAX_SPAN: u64 = 64 << 20;

/// Page size used to align a flat program's load address.
const PAGE_SIZE: u64 = 4096;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FlattenError {
    #[error(transparent)]
    Elf(#[from] ElfError),
    #[error(
        "segment {index} at {address:#x} comes before the previous one at {previous:#x}; PT_LOAD segments must be sorted by address"
    )]
    Unsorted { index: usize, address: u64, previous: u64 },
    #[error("segment {index} at {address:#x} overlaps the previous segment, which ends at {previous_end:#x}")]
    Overlap { index: usize, address: u64, previous_end: u64 },
    #[error("segment {index} at {address:#x} with {mem_size:#x} bytes runs past the end of the address space")]
    AddressOverflow { index: usize, address: u64, mem_size: u64 },
    #[error("segments span {span:#x} bytes from {base:#x}, more than the {MAX_SPAN:#x} allowed")]
    TooLarge { base: u64, span: u64 },
    #[error("flattened program is invalid: {0}")]
    InvalidProgram(FormatError),
}

/// A contiguous image of an executable's segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatImage {
    /// Address of `bytes[0]`.
    pub base: u64,
    /// Memory contents from `base` to the last file byte of any segment.
    pub bytes: Vec<u8>,
    /// End of the highest segment in memory, bss included.
    pub mem_end: u64,
    /// The ELF entry point.
    pub entry: u64,
}

/// Lays out the kernel's segments by physical address, starting at the lowest one.
pub fn flatten_kernel(elf: &[u8]) -> Result<FlatImage, FlattenError> {
    let executable = read_executable(elf)?;
    lay_out(&executable.segments, |segment| segment.paddr, 1, executable.entry)
}

/// Lays out a program's segments by virtual address from the page below the lowest one
/// and returns the data of a Flat boot image entry: header, then the bytes.
pub fn flatten_program(elf: &[u8]) -> Result<Vec<u8>, FlattenError> {
    let executable = read_executable(elf)?;
    let image = lay_out(&executable.segments, |segment| segment.vaddr, PAGE_SIZE, executable.entry)?;
    let header = FlatProgram::encode_header(image.base, image.entry, image.mem_end - image.base);
    let mut data = Vec::with_capacity(FLAT_HEADER_SIZE + image.bytes.len());
    data.extend_from_slice(&header);
    data.extend_from_slice(&image.bytes);
    // The kernel will refuse what the reader refuses (entry outside memory, ...): find out now.
    FlatProgram::parse(&data).map_err(FlattenError::InvalidProgram)?;
    Ok(data)
}

/// Checks that segments are sorted and disjoint at the addresses `address_of` picks, then
/// copies them into one buffer starting at the lowest address rounded down to `align`.
fn lay_out(
    segments: &[LoadSegment<'_>],
    address_of: impl Fn(&LoadSegment<'_>) -> u64,
    align: u64,
    entry: u64,
) -> Result<FlatImage, FlattenError> {
    let mut previous: Option<(u64, u64)> = None;
    let mut file_end = 0;
    for (index, segment) in segments.iter().enumerate() {
        let address = address_of(segment);
        let mem_size = segment.mem_size;
        let end = address.checked_add(mem_size).ok_or(FlattenError::AddressOverflow { index, address, mem_size })?;
        if let Some((previous_start, previous_end)) = previous {
            if address < previous_start {
                return Err(FlattenError::Unsorted { index, address, previous: previous_start });
            }
            if address < previous_end {
                return Err(FlattenError::Overlap { index, address, previous_end });
            }
        }
        previous = Some((address, end));
        if !segment.file_bytes.is_empty() {
            file_end = address + segment.file_bytes.len() as u64;
        }
    }
    let first = segments.first().map(&address_of).ok_or(ElfError::NoLoadSegment)?;
    let base = first - first % align;
    let mem_end = previous.map_or(base, |(_, end)| end);
    let span = mem_end - base;
    if span > MAX_SPAN {
        return Err(FlattenError::TooLarge { base, span });
    }

    // Within MAX_SPAN, so these fit in usize.
    let mut bytes = vec![0u8; file_end.saturating_sub(base) as usize];
    for segment in segments.iter().filter(|segment| !segment.file_bytes.is_empty()) {
        let start = (address_of(segment) - base) as usize;
        bytes[start..start + segment.file_bytes.len()].copy_from_slice(segment.file_bytes);
    }
    Ok(FlatImage { base, bytes, mem_end, entry })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::test_elf::{Segment, executable};

    fn segment(vaddr: u64, paddr: u64, bytes: &[u8], mem_size: u64) -> Segment {
        Segment { vaddr, paddr, bytes: bytes.to_vec(), mem_size }
    }

    #[test]
    fn kernel_is_laid_out_by_physical_address_with_zero_gaps() {
        let elf = executable(
            0x10_0040,
            &[
                segment(0xffff_ffff_8010_0000, 0x10_0000, &[1, 2, 3, 4], 4),
                segment(0xffff_ffff_8010_2000, 0x10_2000, &[5, 6], 0x10),
                segment(0xffff_ffff_8010_3000, 0x10_3000, &[], 0x5000),
            ],
        );
        let image = flatten_kernel(&elf).unwrap();
        assert_eq!(image.base, 0x10_0000);
        assert_eq!(image.mem_end, 0x10_8000);
        assert_eq!(image.bytes.len(), 0x2002, "stops at the last file byte");
        assert_eq!(&image.bytes[..4], &[1, 2, 3, 4]);
        assert!(image.bytes[4..0x2000].iter().all(|&b| b == 0));
        assert_eq!(&image.bytes[0x2000..], &[5, 6]);
    }

    #[test]
    fn kernel_starts_at_unaligned_lowest_paddr() {
        let elf = executable(0, &[segment(0, 0x10_0010, &[7; 3], 3)]);
        let image = flatten_kernel(&elf).unwrap();
        assert_eq!((image.base, image.bytes.as_slice()), (0x10_0010, &[7u8; 3][..]));
    }

    #[test]
    fn bss_between_segments_becomes_zeros_in_the_file() {
        let elf = executable(0, &[segment(0, 0x1000, &[1; 8], 0x100), segment(0, 0x1100, &[2; 8], 8)]);
        let image = flatten_kernel(&elf).unwrap();
        assert_eq!(image.bytes.len(), 0x108);
        assert!(image.bytes[8..0x100].iter().all(|&b| b == 0));
    }

    #[test]
    fn rejects_overlapping_unsorted_and_huge_layouts() {
        let overlap = executable(0, &[segment(0, 0x1000, &[1], 0x200), segment(0, 0x1100, &[2], 1)]);
        assert!(matches!(flatten_kernel(&overlap), Err(FlattenError::Overlap { index: 1, .. })));
        let unsorted = executable(0, &[segment(0, 0x5000, &[1], 1), segment(0, 0x1000, &[2], 1)]);
        assert!(matches!(flatten_kernel(&unsorted), Err(FlattenError::Unsorted { index: 1, .. })));
        let huge = executable(0, &[segment(0, 0x1000, &[1], 1), segment(0, 0x4000_0000, &[2], 1)]);
        assert!(matches!(flatten_kernel(&huge), Err(FlattenError::TooLarge { .. })));
        let wrap = executable(0, &[segment(0, u64::MAX - 1, &[1], 4)]);
        assert!(matches!(flatten_kernel(&wrap), Err(FlattenError::AddressOverflow { .. })));
    }

    #[test]
    fn program_gets_flat_header_and_page_aligned_load_address() {
        let elf = executable(
            0x40_1010,
            &[
                segment(0x40_0100, 0, &[0xaa; 16], 16),
                segment(0x40_1000, 0, &[0xbb; 32], 32),
                segment(0x40_3000, 0, &[0xcc; 4], 0x2000),
            ],
        );
        let data = flatten_program(&elf).unwrap();
        let program = FlatProgram::parse(&data).unwrap();
        assert_eq!(program.load_addr, 0x40_0000);
        assert_eq!(program.entry, 0x40_1010);
        assert_eq!(program.mem_size, 0x40_5000 - 0x40_0000);
        assert_eq!(program.bytes.len(), 0x3004);
        assert!(program.bytes[..0x100].iter().all(|&b| b == 0));
        assert_eq!(&program.bytes[0x100..0x110], &[0xaa; 16]);
        assert_eq!(&program.bytes[0x1000..0x1020], &[0xbb; 32]);
        assert_eq!(&program.bytes[0x3000..], &[0xcc; 4]);
    }

    #[test]
    fn program_with_entry_outside_its_memory_is_refused() {
        let elf = executable(0x90_0000, &[segment(0x40_0000, 0, &[1], 1)]);
        assert!(matches!(
            flatten_program(&elf),
            Err(FlattenError::InvalidProgram(FormatError::FlatEntryOutside { .. }))
        ));
    }
}
