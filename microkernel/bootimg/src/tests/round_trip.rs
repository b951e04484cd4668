use crate::*;

use super::sample_image;

#[test]
fn entries_come_back_in_order_with_their_data() {
    let bytes = sample_image();
    let image = BootImage::parse(&bytes).unwrap();
    assert_eq!(image.len(), 4);
    let names: Vec<&str> = image.iter().map(|e| e.name).collect();
    assert_eq!(names, ["init", "empty", "page", "shell"]);

    let page = image.find("page").unwrap();
    assert_eq!(page.kind, EntryKind::Elf);
    assert_eq!(page.data, &[0xab; 4096][..]);
    assert_eq!(page.crc32, crc32fast::hash(&[0xab; 4096]));
    assert_eq!(image.find("empty").unwrap().data, &[] as &[u8]);
    assert_eq!(image.find("shell").unwrap().data, b"\x7fELF and then some");
    assert!(image.find("missing").is_none());
    assert!(image.find("").is_none());
}

#[test]
fn data_is_page_aligned_and_image_is_whole_pages() {
    let bytes = sample_image();
    assert_eq!(bytes.len() % DATA_ALIGN, 0);
    let image = BootImage::parse(&bytes).unwrap();
    for entry in &image {
        assert_eq!(entry.offset % DATA_ALIGN, 0, "{}", entry.name);
        assert_eq!(&bytes[entry.offset..entry.offset + entry.data.len()], entry.data);
    }
}

#[test]
fn flat_entry_parses_as_program() {
    let bytes = sample_image();
    let image = BootImage::parse(&bytes).unwrap();
    let init = image.find("init").unwrap();
    assert_eq!(init.kind, EntryKind::Flat);
    let program = FlatProgram::parse(init.data).unwrap();
    assert_eq!((program.load_addr, program.entry, program.mem_size), (0x40_0000, 0x40_0020, 0x5000));
    assert_eq!(program.bytes.len(), 5000);
    assert_eq!(program.bytes[7], 49);
}

#[test]
fn empty_image_is_valid() {
    let bytes = Builder::new().build();
    let image = BootImage::parse(&bytes).unwrap();
    assert!(image.is_empty());
    assert_eq!(image.iter().count(), 0);
}

#[test]
fn trailing_bytes_after_declared_size_are_ignored() {
    let mut bytes = sample_image();
    let declared = bytes.len();
    bytes.extend_from_slice(&[0x55; 5000]);
    let image = BootImage::parse(&bytes).unwrap();
    assert_eq!(image.as_bytes().len(), declared);
    assert_eq!(image.len(), 4);
}

#[test]
fn longest_name_fits() {
    let name = "n".repeat(NAME_CAPACITY);
    let bytes = Builder::new().add(&name, EntryKind::Elf, vec![1, 2, 3]).unwrap().build();
    let image = BootImage::parse(&bytes).unwrap();
    assert_eq!(image.find(&name).unwrap().data, [1, 2, 3]);
}

#[test]
fn builder_rejects_bad_names() {
    let long = "x".repeat(NAME_CAPACITY + 1);
    let err = Builder::new().add(&long, EntryKind::Elf, vec![]).unwrap_err();
    assert_eq!(err, BuildError::NameTooLong { name: long.clone() });
    assert!(err.to_string().contains("33 bytes long, at most 32"), "{err}");

    let err =
        Builder::new().add("netd", EntryKind::Elf, vec![1]).unwrap().add("netd", EntryKind::Flat, vec![2]).unwrap_err();
    assert_eq!(err, BuildError::DuplicateName { name: "netd".into() });
    assert_eq!(err.to_string(), "boot image already has an entry named 'netd'");

    assert_eq!(Builder::new().add("", EntryKind::Elf, vec![]).unwrap_err(), BuildError::EmptyName);
    assert!(matches!(Builder::new().add("a\0b", EntryKind::Elf, vec![]), Err(BuildError::NameContainsNul { .. })));
}

#[test]
fn builder_caps_entry_count() {
    let mut builder = Builder::new();
    for i in 0..MAX_ENTRIES {
        builder = builder.add(&format!("e{i}"), EntryKind::Elf, vec![]).unwrap();
    }
    assert_eq!(builder.clone().add("one-more", EntryKind::Elf, vec![]).unwrap_err(), BuildError::TooManyEntries);
    let bytes = builder.build();
    assert_eq!(BootImage::parse(&bytes).unwrap().len(), MAX_ENTRIES);
}
