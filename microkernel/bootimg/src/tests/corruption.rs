//! Damaged and hand-crafted images: each must be refused with the right error, never panic.

use crate::BootImage;
use crate::error::{FormatError, TruncatedPart};
use crate::layout::*;

use super::sample_image;

/// Recomputes the table CRC so a deliberately edited table reaches the later checks.
fn reseal(bytes: &mut [u8]) {
    let count = read_u32(bytes, HDR_COUNT).unwrap() as usize;
    let crc = table_crc(&bytes[..HEADER_SIZE], &bytes[HEADER_SIZE..table_end(count)]);
    bytes[HDR_TABLE_CRC..HDR_TABLE_CRC + 4].copy_from_slice(&crc.to_le_bytes());
}

fn record_field(index: usize, field: usize) -> usize {
    record_offset(index) + field
}

fn set_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn every_truncation_is_rejected() {
    let bytes = sample_image();
    for len in 0..bytes.len() {
        let result = BootImage::parse(&bytes[..len]);
        assert!(result.is_err(), "accepted image cut to {len} bytes");
    }
}

#[test]
fn truncation_messages_say_what_is_missing() {
    let bytes = sample_image();
    let err = BootImage::parse(&bytes[..10]).unwrap_err();
    assert_eq!(err.to_string(), "boot image truncated: header needs 32 bytes, image has 10");
    let err = BootImage::parse(&bytes[..100]).unwrap_err();
    assert_eq!(err.to_string(), "boot image truncated: entry table needs 288 bytes, image has 100");
    let err = BootImage::parse(&bytes[..5000]).unwrap_err();
    assert_eq!(err, FormatError::Truncated { part: TruncatedPart::Image, needed: bytes.len() as u64, available: 5000 });
}

/// Byte positions that belong to no structure: the gaps before each entry's aligned data
/// and the tail padding.
fn is_padding(image: &BootImage<'_>, position: usize) -> bool {
    let count = image.len();
    if position < table_end(count) {
        return false;
    }
    !image.iter().any(|e| (e.offset..e.offset + e.data.len()).contains(&position))
}

#[test]
fn every_flipped_byte_is_rejected_or_harmless() {
    let original = sample_image();
    let reference = BootImage::parse(&original).unwrap();
    let expected: Vec<_> = reference.iter().map(|e| (e.name, e.kind, e.data.to_vec())).collect();
    let mut damaged = original.clone();
    let mut rejected = 0;
    for position in 0..original.len() {
        for flip in [0x01u8, 0x80] {
            damaged[position] ^= flip;
            match BootImage::parse(&damaged) {
                Ok(image) => {
                    assert!(is_padding(&reference, position), "flip {flip:#x} at {position} accepted");
                    let got: Vec<_> = image.iter().map(|e| (e.name, e.kind, e.data.to_vec())).collect();
                    assert_eq!(got, expected);
                }
                Err(_) => {
                    assert!(!is_padding(&reference, position), "padding byte {position} mattered");
                    rejected += 1;
                }
            }
            damaged[position] = original[position];
        }
    }
    let structural = (0..original.len()).filter(|&p| !is_padding(&reference, p)).count();
    assert_eq!(rejected, 2 * structural);
}

#[test]
fn data_damage_names_the_entry() {
    let mut bytes = sample_image();
    let shell_offset = BootImage::parse(&bytes).unwrap().find("shell").unwrap().offset;
    bytes[shell_offset + 3] ^= 0x20;
    let err = BootImage::parse(&bytes).unwrap_err();
    assert!(matches!(err, FormatError::DataChecksum { .. }), "{err:?}");
    assert!(err.to_string().starts_with("checksum mismatch in entry 'shell'"), "{err}");
}

#[test]
fn table_damage_is_caught_by_the_table_checksum() {
    let mut bytes = sample_image();
    bytes[record_field(1, ENT_SIZE)] ^= 1;
    assert!(matches!(BootImage::parse(&bytes), Err(FormatError::TableChecksum { .. })));
}

#[test]
fn wrong_magic_and_version_are_named() {
    let mut bytes = sample_image();
    bytes[HDR_VERSION] = 2;
    let err = BootImage::parse(&bytes).unwrap_err();
    assert_eq!(err, FormatError::UnsupportedVersion { found: 2 });
    assert!(err.to_string().contains("version 2 is not supported"), "{err}");

    let mut bytes = sample_image();
    bytes[0] = b'X';
    assert!(matches!(BootImage::parse(&bytes), Err(FormatError::BadMagic { .. })));
}

#[test]
fn too_many_entries_is_refused_before_reading_the_table() {
    let mut bytes = sample_image();
    bytes[HDR_COUNT..HDR_COUNT + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(BootImage::parse(&bytes).unwrap_err(), FormatError::TooManyEntries { count: u32::MAX });
}

#[test]
fn resealed_duplicate_name_is_refused() {
    let mut bytes = sample_image();
    let at = record_field(3, ENT_NAME);
    bytes[at..at + NAME_CAPACITY].fill(0);
    bytes[at..at + 4].copy_from_slice(b"page");
    reseal(&mut bytes);
    let err = BootImage::parse(&bytes).unwrap_err();
    assert!(matches!(err, FormatError::DuplicateName { .. }), "{err:?}");
    assert_eq!(err.to_string(), "entry 'page' appears twice in the boot image");
}

#[test]
fn resealed_bad_names_are_refused() {
    let cases: [fn(&mut [u8]); 3] = [
        |name| name.fill(0),    // empty
        |name| name[20] = b'z', // garbage after the terminator
        |name| name[0] = 0xc3,  // broken UTF-8 sequence
    ];
    for damage in cases {
        let mut bytes = sample_image();
        let at = record_field(2, ENT_NAME);
        damage(&mut bytes[at..at + NAME_CAPACITY]);
        reseal(&mut bytes);
        let err = BootImage::parse(&bytes).unwrap_err();
        assert!(matches!(err, FormatError::BadName { .. }), "{err:?}");
    }
}

#[test]
fn resealed_bad_records_are_refused() {
    let image_size = sample_image().len() as u64;
    let data_start = BootImage::parse(&sample_image()).unwrap().find("shell").unwrap().offset as u64;
    type Damage = fn(&mut [u8], u64, u64);
    type Check = fn(&FormatError) -> bool;
    let cases: [(Damage, Check); 6] = [
        (|b, _, _| b[record_field(3, ENT_KIND)] = 9, |e| matches!(e, FormatError::UnknownKind { code: 9, .. })),
        (
            |b, _, _| b[record_field(3, ENT_RESERVED)] = 1,
            |e| matches!(e, FormatError::ReservedNotZero { entry: Some(_) }),
        ),
        (|b, _, s| set_u64(b, record_field(3, ENT_OFFSET), s + 2), |e| matches!(e, FormatError::MisalignedData { .. })),
        (
            |b, _, size| set_u64(b, record_field(3, ENT_SIZE), size),
            |e| matches!(e, FormatError::DataOutOfBounds { .. }),
        ),
        (
            |b, _, _| set_u64(b, record_field(3, ENT_SIZE), u64::MAX),
            |e| matches!(e, FormatError::DataOutOfBounds { .. }),
        ),
        (|b, _, _| set_u64(b, record_field(3, ENT_OFFSET), 4096), |e| matches!(e, FormatError::DataOverlap { .. })),
    ];
    for (index, (damage, expected)) in cases.iter().enumerate() {
        let mut bytes = sample_image();
        damage(&mut bytes, data_start, image_size);
        reseal(&mut bytes);
        let err = BootImage::parse(&bytes).unwrap_err();
        assert!(expected(&err), "case {index}: {err:?}");
    }
}

#[test]
fn resealed_header_inconsistencies_are_refused() {
    let mut bytes = sample_image();
    bytes[HDR_RESERVED] = 1;
    reseal(&mut bytes);
    assert_eq!(BootImage::parse(&bytes).unwrap_err(), FormatError::ReservedNotZero { entry: None });

    let mut bytes = sample_image();
    set_u64(&mut bytes, HDR_IMAGE_SIZE, 100);
    reseal(&mut bytes);
    assert!(matches!(BootImage::parse(&bytes), Err(FormatError::ImageSizeTooSmall { .. })));

    let mut bytes = sample_image();
    set_u64(&mut bytes, HDR_IMAGE_SIZE, u64::MAX);
    reseal(&mut bytes);
    assert!(matches!(BootImage::parse(&bytes), Err(FormatError::Truncated { part: TruncatedPart::Image, .. })));
}
