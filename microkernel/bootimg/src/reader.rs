//! Reading a boot image: validate once in [`BootImage::parse`], then hand out borrowed
//! entries.

use crate::error::{EntryLabel, FormatError, TruncatedPart};
use crate::layout::*;

/// A validated boot image borrowed from the bytes the boot loader supplied.
#[derive(Clone, Copy, Debug)]
pub struct BootImage<'a> {
    /// The image, cut to the size its header declares (loaders may round modules up).
    image: &'a [u8],
    count: usize,
}

/// One archive member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Unique name, 1 to 32 bytes.
    pub name: &'a str,
    pub kind: EntryKind,
    /// The member's bytes; `data.as_ptr()` is 4096-byte aligned relative to the image start.
    pub data: &'a [u8],
    /// Offset of `data` from the start of the image; a multiple of [`DATA_ALIGN`].
    pub offset: usize,
    /// CRC-32 (IEEE) of `data`, as stored and verified.
    pub crc32: u32,
}

impl<'a> BootImage<'a> {
    /// Validates `bytes` as a whole: header, table, every entry's bounds and checksum.
    /// Bytes after the declared image size are ignored.
    pub fn parse(bytes: &'a [u8]) -> Result<BootImage<'a>, FormatError> {
        let available = bytes.len() as u64;
        let header = bytes.get(..HEADER_SIZE).ok_or(FormatError::Truncated {
            part: TruncatedPart::Header,
            needed: HEADER_SIZE as u64,
            available,
        })?;
        let field = |at| read_u32(header, at).unwrap_or(0);

        let mut magic = [0u8; 8];
        magic.copy_from_slice(&header[HDR_MAGIC..HDR_MAGIC + 8]);
        if magic != MAGIC {
            return Err(FormatError::BadMagic { found: magic });
        }
        let version = field(HDR_VERSION);
        if version != FORMAT_VERSION {
            return Err(FormatError::UnsupportedVersion { found: version });
        }
        let count_field = field(HDR_COUNT);
        let count = usize::try_from(count_field).unwrap_or(usize::MAX);
        if count > MAX_ENTRIES {
            return Err(FormatError::TooManyEntries { count: count_field });
        }
        let table_end = table_end(count);
        let table = bytes.get(HEADER_SIZE..table_end).ok_or(FormatError::Truncated {
            part: TruncatedPart::EntryTable,
            needed: table_end as u64,
            available,
        })?;
        // Checked before any other table-derived field so that damage reads as damage.
        let stored = field(HDR_TABLE_CRC);
        let computed = table_crc(header, table);
        if stored != computed {
            return Err(FormatError::TableChecksum { stored, computed });
        }
        if field(HDR_RESERVED) != 0 {
            return Err(FormatError::ReservedNotZero { entry: None });
        }
        let image_size = read_u64(header, HDR_IMAGE_SIZE).unwrap_or(0);
        if image_size < table_end as u64 {
            return Err(FormatError::ImageSizeTooSmall { image_size, table_end: table_end as u64 });
        }
        let image = usize::try_from(image_size)
            .ok()
            .and_then(|size| bytes.get(..size))
            .ok_or(FormatError::Truncated { part: TruncatedPart::Image, needed: image_size, available })?;

        let boot_image = BootImage { image, count };
        boot_image.validate_entries()?;
        Ok(boot_image)
    }

    /// Per-entry checks plus the ones that relate entries to each other.
    fn validate_entries(&self) -> Result<(), FormatError> {
        let mut previous_end = table_end(self.count) as u64;
        for index in 0..self.count {
            let entry = self.entry_at(index)?;
            let label = EntryLabel::new(index, entry.name.as_bytes());
            let offset = entry.offset as u64;
            if offset < previous_end {
                return Err(FormatError::DataOverlap { entry: label, offset, previous_end });
            }
            previous_end = offset + entry.data.len() as u64;
            let duplicate =
                (0..index).filter_map(|earlier| self.entry_at(earlier).ok()).any(|earlier| earlier.name == entry.name);
            if duplicate {
                return Err(FormatError::DuplicateName { entry: label });
            }
            let computed = crc32fast::hash(entry.data);
            if computed != entry.crc32 {
                return Err(FormatError::DataChecksum { entry: label, stored: entry.crc32, computed });
            }
        }
        Ok(())
    }

    /// Decodes table record `index` and checks everything about it that needs no other
    /// entry and no checksum pass over its data.
    fn entry_at(&self, index: usize) -> Result<Entry<'a>, FormatError> {
        let image = self.image;
        let start = record_offset(index);
        let record = image.get(start..start + ENTRY_SIZE).unwrap_or(&[]);
        let name_field = record.get(ENT_NAME..ENT_NAME + NAME_CAPACITY).unwrap_or(&[]);
        let label = EntryLabel::new(index, name_field);
        let name = decode_name(name_field).ok_or(FormatError::BadName { entry: label })?;

        let code = read_u32(record, ENT_KIND).unwrap_or(0);
        let kind = EntryKind::from_code(code).ok_or(FormatError::UnknownKind { entry: label, code })?;
        if read_u64(record, ENT_RESERVED) != Some(0) {
            return Err(FormatError::ReservedNotZero { entry: Some(label) });
        }
        let crc32 = read_u32(record, ENT_DATA_CRC).unwrap_or(0);
        let offset = read_u64(record, ENT_OFFSET).unwrap_or(0);
        let size = read_u64(record, ENT_SIZE).unwrap_or(0);
        if !offset.is_multiple_of(DATA_ALIGN as u64) {
            return Err(FormatError::MisalignedData { entry: label, offset });
        }
        let image_size = image.len() as u64;
        let out_of_bounds = FormatError::DataOutOfBounds { entry: label, offset, size, image_size };
        let end = offset.checked_add(size).filter(|&end| end <= image_size).ok_or(out_of_bounds)?;
        // Both fit in usize: they are at most image.len().
        let (offset, end) = (offset as usize, end as usize);
        let data = image.get(offset..end).ok_or(out_of_bounds)?;
        Ok(Entry { name, kind, data, offset, crc32 })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Entries in table order (ascending data offset).
    pub fn iter(&self) -> Entries<'a> {
        Entries { image: *self, next: 0 }
    }

    /// The entry called `name`, if any.
    pub fn find(&self, name: &str) -> Option<Entry<'a>> {
        self.iter().find(|entry| entry.name == name)
    }

    /// The image bytes, cut to the declared size.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.image
    }
}

impl<'a> IntoIterator for &BootImage<'a> {
    type Item = Entry<'a>;
    type IntoIter = Entries<'a>;

    fn into_iter(self) -> Entries<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`BootImage`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    image: BootImage<'a>,
    next: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        while self.next < self.image.count {
            let index = self.next;
            self.next += 1;
            // parse() already proved every record decodes; skipping is only a
            // no-panic fallback.
            if let Ok(entry) = self.image.entry_at(index) {
                return Some(entry);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.image.count - self.next;
        (left, Some(left))
    }
}
