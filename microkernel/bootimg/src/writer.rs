//! Writing a boot image (host tools only, `std` feature).

use std::fmt;
use std::string::String;
use std::vec;
use std::vec::Vec;

use crate::layout::*;

/// Why an entry cannot be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// Names must not be empty.
    EmptyName,
    /// The name is longer than [`NAME_CAPACITY`] bytes.
    NameTooLong { name: String },
    /// NUL would end the name early when read back.
    NameContainsNul { name: String },
    /// Another entry already has this name.
    DuplicateName { name: String },
    /// The image already holds [`MAX_ENTRIES`] entries.
    TooManyEntries,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::EmptyName => write!(f, "boot image entry names must not be empty"),
            BuildError::NameTooLong { name } => write!(
                f,
                "boot image entry name '{name}' is {} bytes long, at most {NAME_CAPACITY} are allowed",
                name.len()
            ),
            BuildError::NameContainsNul { name } => {
                write!(f, "boot image entry name {name:?} contains a NUL byte")
            }
            BuildError::DuplicateName { name } => {
                write!(f, "boot image already has an entry named '{name}'")
            }
            BuildError::TooManyEntries => {
                write!(f, "boot image cannot hold more than {MAX_ENTRIES} entries")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// Collects entries and lays them out as a boot image.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    entries: Vec<(String, EntryKind, Vec<u8>)>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Adds an entry after the ones already added.
    pub fn add(mut self, name: &str, kind: EntryKind, data: impl Into<Vec<u8>>) -> Result<Builder, BuildError> {
        if name.is_empty() {
            return Err(BuildError::EmptyName);
        }
        if name.len() > NAME_CAPACITY {
            return Err(BuildError::NameTooLong { name: name.into() });
        }
        if name.contains('\0') {
            return Err(BuildError::NameContainsNul { name: name.into() });
        }
        if self.entries.iter().any(|(existing, _, _)| existing == name) {
            return Err(BuildError::DuplicateName { name: name.into() });
        }
        if self.entries.len() >= MAX_ENTRIES {
            return Err(BuildError::TooManyEntries);
        }
        self.entries.push((name.into(), kind, data.into()));
        Ok(self)
    }

    /// Lays out the image: header, table, then each entry's data at the next 4096-byte
    /// boundary; the total is padded to a whole page so the image maps as whole pages.
    pub fn build(self) -> Vec<u8> {
        let count = self.entries.len();
        let table_end = table_end(count);
        let mut offsets = Vec::with_capacity(count);
        let mut cursor = table_end;
        for (_, _, data) in &self.entries {
            let offset = cursor.next_multiple_of(DATA_ALIGN);
            offsets.push(offset);
            cursor = offset + data.len();
        }
        let image_size = cursor.next_multiple_of(DATA_ALIGN);

        let mut image = vec![0u8; image_size];
        for (index, ((name, kind, data), &offset)) in self.entries.iter().zip(&offsets).enumerate() {
            let record = &mut image[record_offset(index)..record_offset(index) + ENTRY_SIZE];
            record[ENT_NAME..ENT_NAME + name.len()].copy_from_slice(name.as_bytes());
            record[ENT_KIND..ENT_KIND + 4].copy_from_slice(&kind.code().to_le_bytes());
            record[ENT_DATA_CRC..ENT_DATA_CRC + 4].copy_from_slice(&crc32fast::hash(data).to_le_bytes());
            record[ENT_OFFSET..ENT_OFFSET + 8].copy_from_slice(&(offset as u64).to_le_bytes());
            record[ENT_SIZE..ENT_SIZE + 8].copy_from_slice(&(data.len() as u64).to_le_bytes());
            image[offset..offset + data.len()].copy_from_slice(data);
        }

        image[HDR_MAGIC..HDR_MAGIC + 8].copy_from_slice(&MAGIC);
        image[HDR_VERSION..HDR_VERSION + 4].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        image[HDR_COUNT..HDR_COUNT + 4].copy_from_slice(&(count as u32).to_le_bytes());
        image[HDR_IMAGE_SIZE..HDR_IMAGE_SIZE + 8].copy_from_slice(&(image_size as u64).to_le_bytes());
        let crc = table_crc(&image[..HEADER_SIZE], &image[HEADER_SIZE..table_end]);
        image[HDR_TABLE_CRC..HDR_TABLE_CRC + 4].copy_from_slice(&crc.to_le_bytes());
        image
    }
}
