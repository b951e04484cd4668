//! Field offsets and sizes of the archive, shared by the reader and the writer so the two
//! cannot drift apart.

/// The first eight bytes of every boot image.
pub const MAGIC: [u8; 8] = *b"MKBOOTIM";
/// The only format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Size of the fixed header in bytes.
pub const HEADER_SIZE: usize = 32;
/// Size of one entry-table record in bytes.
pub const ENTRY_SIZE: usize = 64;
/// Longest entry name in bytes (UTF-8, zero padded in the table).
pub const NAME_CAPACITY: usize = 32;
/// Every entry's data starts at a multiple of this, so it can be mapped page by page.
pub const DATA_ALIGN: usize = 4096;
/// Upper bound on the entry count; keeps the table within four pages and bounds the
/// duplicate-name check.
pub const MAX_ENTRIES: usize = 256;

// Header fields: byte ranges inside the first HEADER_SIZE bytes.
pub(crate) const HDR_MAGIC: usize = 0;
pub(crate) const HDR_VERSION: usize = 8;
pub(crate) const HDR_COUNT: usize = 12;
pub(crate) const HDR_IMAGE_SIZE: usize = 16;
pub(crate) const HDR_RESERVED: usize = 24;
/// The table CRC covers header bytes `0..HDR_TABLE_CRC` followed by the whole entry table.
pub(crate) const HDR_TABLE_CRC: usize = 28;

// Entry fields: byte offsets inside one ENTRY_SIZE record.
pub(crate) const ENT_NAME: usize = 0;
pub(crate) const ENT_KIND: usize = 32;
pub(crate) const ENT_DATA_CRC: usize = 36;
pub(crate) const ENT_OFFSET: usize = 40;
pub(crate) const ENT_SIZE: usize = 48;
pub(crate) const ENT_RESERVED: usize = 56;

/// What an entry's data is, and therefore who may start it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// An ELF executable, loaded by user-space init.
    Elf,
    /// A [`crate::FlatProgram`]: header plus memory image, started by the kernel itself.
    Flat,
}

impl EntryKind {
    /// The number stored in the entry table.
    pub const fn code(self) -> u32 {
        match self {
            EntryKind::Elf => 1,
            EntryKind::Flat => 2,
        }
    }

    /// The kind for a stored number, or `None` for numbers this version does not know.
    pub const fn from_code(code: u32) -> Option<EntryKind> {
        match code {
            1 => Some(EntryKind::Elf),
            2 => Some(EntryKind::Flat),
            _ => None,
        }
    }

    /// Lower-case name used in listings and error messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Elf => "elf",
            EntryKind::Flat => "flat",
        }
    }
}

impl core::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bytes the header plus a table of `count` entries occupy.
pub(crate) const fn table_end(count: usize) -> usize {
    HEADER_SIZE + count * ENTRY_SIZE
}

/// Where table record `index` starts.
pub(crate) const fn record_offset(index: usize) -> usize {
    HEADER_SIZE + index * ENTRY_SIZE
}

/// Reads a little-endian integer at `at`; callers have bounds-checked the slice, but a
/// short slice still yields `None` rather than a panic.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(field.try_into().ok()?))
}

pub(crate) fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let field = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(field.try_into().ok()?))
}

/// CRC-32 (IEEE) of the header's covered prefix followed by the entry table.
pub(crate) fn table_crc(header: &[u8], table: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header.get(..HDR_TABLE_CRC).unwrap_or(&[]));
    hasher.update(table);
    hasher.finalize()
}

/// Checks a stored name field: 1 to 32 bytes of UTF-8 without NUL, then zero padding.
/// Returns the name, or `None` if the field is malformed.
pub(crate) fn decode_name(field: &[u8]) -> Option<&str> {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let (name, padding) = field.split_at(len);
    if name.is_empty() || padding.iter().any(|&b| b != 0) {
        return None;
    }
    core::str::from_utf8(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_round_trip_and_reject_unknown() {
        for kind in [EntryKind::Elf, EntryKind::Flat] {
            assert_eq!(EntryKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(EntryKind::from_code(0), None);
        assert_eq!(EntryKind::from_code(3), None);
    }

    #[test]
    fn names_need_content_and_zero_padding() {
        let mut field = [0u8; NAME_CAPACITY];
        assert_eq!(decode_name(&field), None);
        field[..4].copy_from_slice(b"init");
        assert_eq!(decode_name(&field), Some("init"));
        field[10] = b'x';
        assert_eq!(decode_name(&field), None);
        let full = [b'a'; NAME_CAPACITY];
        assert_eq!(decode_name(&full).map(str::len), Some(NAME_CAPACITY));
        let mut bad_utf8 = [0u8; NAME_CAPACITY];
        bad_utf8[0] = 0xff;
        assert_eq!(decode_name(&bad_utf8), None);
    }
}
