//! Random and randomly damaged input: the reader may refuse anything but must not panic.

use proptest::prelude::*;

use crate::layout::{HDR_TABLE_CRC, HEADER_SIZE, MAGIC, read_u32, table_crc, table_end};
use crate::{BootImage, FlatProgram};

use super::sample_image;

/// Walks everything a parsed image offers, so a bad accessor would panic here.
fn use_fully(bytes: &[u8]) {
    if let Ok(image) = BootImage::parse(bytes) {
        for entry in image.iter() {
            assert_eq!(image.find(entry.name).map(|e| e.offset), Some(entry.offset));
            let _ = FlatProgram::parse(entry.data);
        }
        assert_eq!(image.iter().count(), image.len());
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        use_fully(&bytes);
        let _ = FlatProgram::parse(&bytes);
    }

    /// Random bytes behind a valid magic and version reach the deeper checks.
    #[test]
    fn arbitrary_tables_never_panic(
        count in 0u32..6,
        body in proptest::collection::vec(any::<u8>(), 0..1200),
        image_size in 0u64..20_000,
    ) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&image_size.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&body);
        let end = table_end(read_u32(&bytes, 12).unwrap() as usize);
        if bytes.len() >= end {
            let crc = table_crc(&bytes[..HEADER_SIZE], &bytes[HEADER_SIZE..end]);
            bytes[HDR_TABLE_CRC..HDR_TABLE_CRC + 4].copy_from_slice(&crc.to_le_bytes());
        }
        use_fully(&bytes);
    }

    #[test]
    fn randomly_damaged_images_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample_image();
        for (index, value) in edits {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        let len = cut.index(bytes.len() + 1);
        use_fully(&bytes[..len]);
    }
}
