//! Flat programs: the memory image of a task, prepared on the host so the kernel can start
//! the first user task without an ELF parser.
//!
//! Layout: `load_addr: u64, entry: u64, mem_size: u64` (little endian), then the bytes to
//! place at `load_addr`. Memory from `load_addr + bytes.len()` to `load_addr + mem_size`
//! is zero (bss). One region only: the loader maps it all with the same permissions.

use crate::error::FormatError;
use crate::layout::{DATA_ALIGN, read_u64};

/// Size of the fixed header at the start of a flat program.
pub const FLAT_HEADER_SIZE: usize = 24;

/// A validated flat program borrowed from a boot image entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlatProgram<'a> {
    /// Virtual address of `bytes[0]`; page aligned.
    pub load_addr: u64,
    /// Virtual address of the first instruction; inside `load_addr..load_addr + mem_size`.
    pub entry: u64,
    /// Bytes of memory the program occupies from `load_addr`, bss included; at least
    /// `bytes.len()`.
    pub mem_size: u64,
    /// Contents of the first `bytes.len()` bytes of that memory.
    pub bytes: &'a [u8],
}

impl<'a> FlatProgram<'a> {
    /// Checks the header of `data` (an entry of kind Flat) and splits off the bytes.
    pub fn parse(data: &'a [u8]) -> Result<FlatProgram<'a>, FormatError> {
        let truncated = FormatError::FlatTruncated { available: data.len() as u64 };
        let (header, bytes) = data.split_at_checked(FLAT_HEADER_SIZE).ok_or(truncated)?;
        let load_addr = read_u64(header, 0).ok_or(truncated)?;
        let entry = read_u64(header, 8).ok_or(truncated)?;
        let mem_size = read_u64(header, 16).ok_or(truncated)?;

        if !load_addr.is_multiple_of(DATA_ALIGN as u64) {
            return Err(FormatError::FlatMisaligned { load_addr });
        }
        let file_size = bytes.len() as u64;
        if mem_size < file_size {
            return Err(FormatError::FlatMemoryTooSmall { mem_size, file_size });
        }
        let end = load_addr.checked_add(mem_size).ok_or(FormatError::FlatAddressOverflow { load_addr, mem_size })?;
        if !(load_addr..end).contains(&entry) {
            return Err(FormatError::FlatEntryOutside { entry, load_addr, mem_size });
        }
        Ok(FlatProgram { load_addr, entry, mem_size, bytes })
    }

    /// The header a host tool writes in front of the bytes; the inverse of [`Self::parse`].
    pub fn encode_header(load_addr: u64, entry: u64, mem_size: u64) -> [u8; FLAT_HEADER_SIZE] {
        let mut header = [0u8; FLAT_HEADER_SIZE];
        header[0..8].copy_from_slice(&load_addr.to_le_bytes());
        header[8..16].copy_from_slice(&entry.to_le_bytes());
        header[16..24].copy_from_slice(&mem_size.to_le_bytes());
        header
    }

    /// Bytes of zero-filled memory after the file bytes.
    pub fn bss_size(&self) -> u64 {
        self.mem_size - self.bytes.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(load_addr: u64, entry: u64, mem_size: u64, bytes: &[u8]) -> Vec<u8> {
        let mut data = FlatProgram::encode_header(load_addr, entry, mem_size).to_vec();
        data.extend_from_slice(bytes);
        data
    }

    #[test]
    fn parses_header_and_bytes() {
        let data = program(0x40_0000, 0x40_0010, 0x3000, &[0x90; 100]);
        let flat = FlatProgram::parse(&data).unwrap();
        assert_eq!(flat.load_addr, 0x40_0000);
        assert_eq!(flat.entry, 0x40_0010);
        assert_eq!(flat.mem_size, 0x3000);
        assert_eq!(flat.bytes, &[0x90; 100][..]);
        assert_eq!(flat.bss_size(), 0x3000 - 100);
    }

    #[test]
    fn rejects_short_header_at_every_length() {
        let data = program(0x40_0000, 0x40_0000, 0x1000, &[]);
        for len in 0..FLAT_HEADER_SIZE {
            let err = FlatProgram::parse(&data[..len]).unwrap_err();
            assert_eq!(err, FormatError::FlatTruncated { available: len as u64 });
        }
        assert!(FlatProgram::parse(&data).is_ok());
    }

    #[test]
    fn rejects_inconsistent_headers() {
        let misaligned = program(0x40_0010, 0x40_0010, 0x1000, &[]);
        assert!(matches!(FlatProgram::parse(&misaligned), Err(FormatError::FlatMisaligned { .. })));
        let small = program(0x40_0000, 0x40_0000, 4, &[0; 8]);
        assert!(matches!(FlatProgram::parse(&small), Err(FormatError::FlatMemoryTooSmall { .. })));
        let overflow = program(0xffff_ffff_ffff_f000, 0xffff_ffff_ffff_f000, 0x2000, &[]);
        assert!(matches!(FlatProgram::parse(&overflow), Err(FormatError::FlatAddressOverflow { .. })));
        let outside = program(0x40_0000, 0x40_1000, 0x1000, &[]);
        assert!(matches!(FlatProgram::parse(&outside), Err(FormatError::FlatEntryOutside { .. })));
    }

    #[test]
    fn error_messages_name_the_problem() {
        let err = FlatProgram::parse(&[0; 10]).unwrap_err();
        assert_eq!(err.to_string(), "flat program truncated: header needs 24 bytes, entry has 10");
    }
}
