//! Checking that a flat kernel will be loaded where it was linked.
//!
//! QEMU's `-kernel` accepts a non-ELF file only through the Multiboot 1 "a.out kludge":
//! header flag bit 16 and the address fields. QEMU then copies the file from offset
//! `header_offset - (header_addr - load_addr)` to `load_addr`. For a flat file whose byte 0
//! belongs at physical address `base`, that is right only if `header_addr` equals
//! `base + header_offset`. A mismatch boots into garbage, so the builder refuses it.

/// Multiboot 1 header magic.
const MAGIC: u32 = 0x1bad_b002;
/// Flag bit 16: the address fields are valid (required for a non-ELF kernel).
const FLAG_ADDRESSES: u32 = 1 << 16;
/// The header must lie, 4-byte aligned, within the file's first 8 KiB.
const SEARCH_LIMIT: usize = 8192;

/// The header's address fields, as found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultibootHeader {
    /// Offset of the header in the file.
    pub offset: usize,
    pub header_addr: u32,
    pub load_addr: u32,
    pub load_end_addr: u32,
    pub bss_end_addr: u32,
    pub entry_addr: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MultibootError {
    #[error("no Multiboot header (magic {MAGIC:#x} with valid checksum) in the kernel's first 8 KiB")]
    NotFound,
    #[error(
        "the Multiboot header at offset {offset:#x} lacks flag bit 16 (address fields), which QEMU needs to load a flat kernel"
    )]
    NoAddressFields { offset: usize },
    #[error(
        "the Multiboot header at offset {offset:#x} says header_addr {header_addr:#x}, but the flat kernel puts it at {expected:#x}"
    )]
    HeaderAddressMismatch { offset: usize, header_addr: u32, expected: u64 },
    #[error("Multiboot load_addr {load_addr:#x} lies before the kernel's first byte at {base:#x}")]
    LoadBeforeBase { load_addr: u32, base: u64 },
    #[error("Multiboot load_end_addr {load_end_addr:#x} lies past the kernel file's end at {file_end:#x}")]
    LoadEndPastFile { load_end_addr: u32, file_end: u64 },
    #[error("Multiboot bss_end_addr {bss_end_addr:#x} lies before load_end_addr {load_end_addr:#x}")]
    BssBeforeLoadEnd { bss_end_addr: u32, load_end_addr: u32 },
}

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Finds the Multiboot header in `flat` (byte 0 at physical `base`) and checks that QEMU
/// will load the file at `base`.
pub fn check_flat_kernel(flat: &[u8], base: u64) -> Result<MultibootHeader, MultibootError> {
    let limit = flat.len().min(SEARCH_LIMIT);
    let offset = (0..limit)
        .step_by(4)
        .find(|&at| {
            let (Some(magic), Some(flags), Some(checksum)) = (word(flat, at), word(flat, at + 4), word(flat, at + 8))
            else {
                return false;
            };
            magic == MAGIC && magic.wrapping_add(flags).wrapping_add(checksum) == 0
        })
        .ok_or(MultibootError::NotFound)?;
    let flags = word(flat, offset + 4).unwrap_or(0);
    let field = |index: usize| word(flat, offset + 12 + 4 * index);
    let fields = (field(0), field(1), field(2), field(3), field(4));
    let (Some(header_addr), Some(load_addr), Some(load_end_addr), Some(bss_end_addr), Some(entry_addr)) = fields else {
        return Err(MultibootError::NoAddressFields { offset });
    };
    if flags & FLAG_ADDRESSES == 0 {
        return Err(MultibootError::NoAddressFields { offset });
    }
    let expected = base + offset as u64;
    if u64::from(header_addr) != expected {
        return Err(MultibootError::HeaderAddressMismatch { offset, header_addr, expected });
    }
    if u64::from(load_addr) < base {
        return Err(MultibootError::LoadBeforeBase { load_addr, base });
    }
    let file_end = base + flat.len() as u64;
    if load_end_addr != 0 && u64::from(load_end_addr) > file_end {
        return Err(MultibootError::LoadEndPastFile { load_end_addr, file_end });
    }
    if bss_end_addr != 0 && load_end_addr != 0 && bss_end_addr < load_end_addr {
        return Err(MultibootError::BssBeforeLoadEnd { bss_end_addr, load_end_addr });
    }
    Ok(MultibootHeader { offset, header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat kernel of `len` bytes at `base` with a header at `offset`.
    fn kernel(len: usize, offset: usize, flags: u32, fields: [u32; 5]) -> Vec<u8> {
        let mut flat = vec![0u8; len];
        let checksum = 0u32.wrapping_sub(MAGIC).wrapping_sub(flags);
        let words = [MAGIC, flags, checksum].into_iter().chain(fields);
        for (index, value) in words.enumerate() {
            flat[offset + 4 * index..offset + 4 * index + 4].copy_from_slice(&value.to_le_bytes());
        }
        flat
    }

    const BASE: u64 = 0x10_0000;

    #[test]
    fn accepts_consistent_header() {
        let flat = kernel(0x3000, 0x40, FLAG_ADDRESSES | 3, [0x10_0040, 0x10_0000, 0x10_3000, 0x20_0000, 0x10_1000]);
        let header = check_flat_kernel(&flat, BASE).unwrap();
        assert_eq!(header.offset, 0x40);
        assert_eq!(header.entry_addr, 0x10_1000);
    }

    #[test]
    fn load_end_zero_means_whole_file() {
        let flat = kernel(0x3000, 0, FLAG_ADDRESSES, [0x10_0000, 0x10_0000, 0, 0, 0x10_0000]);
        assert!(check_flat_kernel(&flat, BASE).is_ok());
    }

    #[test]
    fn rejects_missing_or_inconsistent_headers() {
        assert_eq!(check_flat_kernel(&[0; 100], BASE), Err(MultibootError::NotFound));
        let mut bad_checksum = kernel(0x1000, 0, FLAG_ADDRESSES, [0x10_0000, 0x10_0000, 0, 0, 0]);
        bad_checksum[8] ^= 1;
        assert_eq!(check_flat_kernel(&bad_checksum, BASE), Err(MultibootError::NotFound));
        let beyond = kernel(0x3000, 0x2000, FLAG_ADDRESSES, [0x10_2000, 0x10_0000, 0, 0, 0]);
        assert_eq!(check_flat_kernel(&beyond, BASE), Err(MultibootError::NotFound));

        let no_flag = kernel(0x1000, 0, 3, [0; 5]);
        assert_eq!(check_flat_kernel(&no_flag, BASE), Err(MultibootError::NoAddressFields { offset: 0 }));
        let moved = kernel(0x1000, 0x20, FLAG_ADDRESSES, [0x10_0000, 0x10_0000, 0, 0, 0]);
        assert!(matches!(check_flat_kernel(&moved, BASE), Err(MultibootError::HeaderAddressMismatch { .. })));
        let early = kernel(0x1000, 0, FLAG_ADDRESSES, [0x10_0000, 0xf_f000, 0, 0, 0]);
        assert!(matches!(check_flat_kernel(&early, BASE), Err(MultibootError::LoadBeforeBase { .. })));
        let long = kernel(0x1000, 0, FLAG_ADDRESSES, [0x10_0000, 0x10_0000, 0x10_2000, 0, 0]);
        assert!(matches!(check_flat_kernel(&long, BASE), Err(MultibootError::LoadEndPastFile { .. })));
        let bss = kernel(0x1000, 0, FLAG_ADDRESSES, [0x10_0000, 0x10_0000, 0x10_1000, 0x10_0800, 0]);
        assert!(matches!(check_flat_kernel(&bss, BASE), Err(MultibootError::BssBeforeLoadEnd { .. })));
    }
}
