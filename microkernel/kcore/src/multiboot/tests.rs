use super::*;
use proptest::prelude::*;

/// Physical memory as a byte array that starts at `base`.
struct FakeMemory {
    base: u64,
    bytes: Vec<u8>,
}

impl PhysMemory for FakeMemory {
    fn read(&self, phys: u64, buf: &mut [u8]) -> bool {
        let Some(start) = phys.checked_sub(self.base) else {
            return false;
        };
        let Some(end) = start.checked_add(buf.len() as u64) else {
            return false;
        };
        if end > self.bytes.len() as u64 {
            return false;
        }
        buf.copy_from_slice(&self.bytes[start as usize..end as usize]);
        true
    }
}

const BASE: u64 = 0x9000;
const INFO: u64 = 0x9000;
const MMAP: u64 = 0x9100;
const MODS: u64 = 0x9600;
const STRINGS: u64 = 0x9800;

impl FakeMemory {
    fn new() -> Self {
        FakeMemory { base: BASE, bytes: vec![0; 0x1000] }
    }

    fn put(&mut self, addr: u64, data: &[u8]) {
        let at = (addr - self.base) as usize;
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }

    fn put_u32(&mut self, addr: u64, value: u32) {
        self.put(addr, &value.to_le_bytes());
    }

    fn set_flags(&mut self, flags: u32) {
        self.put_u32(INFO, flags);
    }

    /// Writes memory map entries (base, length, type) and points the info at them.
    fn memory_map(&mut self, entries: &[(u64, u64, u32)]) {
        let mut map = Vec::new();
        for &(base, len, kind) in entries {
            map.extend_from_slice(&20u32.to_le_bytes());
            map.extend_from_slice(&base.to_le_bytes());
            map.extend_from_slice(&len.to_le_bytes());
            map.extend_from_slice(&kind.to_le_bytes());
        }
        self.put(MMAP, &map);
        self.put_u32(INFO + 44, map.len() as u32);
        self.put_u32(INFO + 48, MMAP as u32);
    }

    /// Writes module entries with their strings and points the info at them.
    fn modules(&mut self, modules: &[(u32, u32, &str)]) {
        let mut string_at = STRINGS + 0x200;
        for (index, &(start, end, name)) in modules.iter().enumerate() {
            let entry = MODS + index as u64 * 16;
            self.put_u32(entry, start);
            self.put_u32(entry + 4, end);
            self.put_u32(entry + 8, string_at as u32);
            self.put(string_at, name.as_bytes());
            self.put(string_at + name.len() as u64, &[0]);
            string_at += name.len() as u64 + 1;
        }
        self.put_u32(INFO + 20, modules.len() as u32);
        self.put_u32(INFO + 24, MODS as u32);
    }

    fn cmdline(&mut self, text: &[u8]) {
        self.put(STRINGS, text);
        self.put(STRINGS + text.len() as u64, &[0]);
        self.put_u32(INFO + 16, STRINGS as u32);
    }
}

fn qemu_like() -> FakeMemory {
    let mut mem = FakeMemory::new();
    mem.set_flags(flag::MEM | flag::CMDLINE | flag::MODS | flag::MMAP);
    mem.memory_map(&[
        (0, 0x9fc00, 1),
        (0x9fc00, 0x400, 2),
        (0xf0000, 0x10000, 2),
        (0x10_0000, 0x7ee_0000, 1),
        (0xfffc_0000, 0x4_0000, 2),
    ]);
    mem.modules(&[(0x20_0000, 0x23_4567, "boot.img"), (0x24_0000, 0x24_0000, "empty")]);
    mem.cmdline(b"test=ipc quiet");
    mem
}

#[test]
fn parses_a_full_structure() {
    let info = parse(INFO, &qemu_like()).unwrap();
    assert_eq!(
        info.regions(),
        &[MemRegion { start: 0, end: 0x9fc00 }, MemRegion { start: 0x10_0000, end: 0x7fe_0000 }]
    );
    assert_eq!(info.usable_bytes(), 0x9fc00 + 0x7ee_0000);
    assert_eq!(info.modules().len(), 2);
    assert_eq!((info.modules()[0].start, info.modules()[0].end), (0x20_0000, 0x23_4567));
    assert_eq!(info.modules()[0].cmdline(), "boot.img");
    assert_eq!(info.modules()[0].len(), 0x3_4567);
    assert!(info.modules()[1].is_empty());
    assert_eq!(info.cmdline(), "test=ipc quiet");
    let (start, end) = info.info_range();
    assert_eq!(start, INFO);
    assert!(end > STRINGS + 0x200 && end <= BASE + 0x1000, "{end:#x}");
}

#[test]
fn tolerates_missing_modules_and_cmdline() {
    let mut mem = qemu_like();
    mem.set_flags(flag::MMAP);
    let info = parse(INFO, &mem).unwrap();
    assert!(info.modules().is_empty());
    assert_eq!(info.cmdline(), "");
    assert_eq!(info.regions().len(), 2);
}

#[test]
fn falls_back_to_basic_memory_sizes() {
    let mut mem = FakeMemory::new();
    mem.set_flags(flag::MEM);
    mem.put_u32(INFO + 4, 639);
    mem.put_u32(INFO + 8, 130_048);
    let info = parse(INFO, &mem).unwrap();
    assert_eq!(
        info.regions(),
        &[MemRegion { start: 0, end: 639 * 1024 }, MemRegion { start: 0x10_0000, end: 0x10_0000 + 130_048 * 1024 }]
    );
    mem.set_flags(0);
    assert_eq!(parse(INFO, &mem), Err(BootInfoError::NoMemoryInfo));
}

#[test]
fn unreadable_pieces_are_errors() {
    let mem = qemu_like();
    assert_eq!(parse(0x100, &mem), Err(BootInfoError::InfoUnreadable));
    assert_eq!(parse(BASE + 0xff0, &mem), Err(BootInfoError::InfoUnreadable));

    let mut bad_map = qemu_like();
    bad_map.put_u32(INFO + 48, 0x10);
    assert_eq!(parse(INFO, &bad_map), Err(BootInfoError::MemoryMapUnreadable));

    let mut bad_mods = qemu_like();
    bad_mods.put_u32(INFO + 24, 0xdead_0000);
    assert_eq!(parse(INFO, &bad_mods), Err(BootInfoError::ModulesUnreadable));

    let mut bad_cmdline = qemu_like();
    bad_cmdline.put_u32(INFO + 16, 0x20);
    assert_eq!(parse(INFO, &bad_cmdline), Err(BootInfoError::CmdlineUnreadable));
}

#[test]
fn validates_lengths_and_ranges() {
    let mut long = qemu_like();
    long.put_u32(INFO + 44, MAX_MMAP_BYTES + 1);
    assert_eq!(parse(INFO, &long), Err(BootInfoError::MemoryMapTooLong));

    let mut cut = qemu_like();
    cut.put_u32(INFO + 44, 24 * 2 + 10);
    assert_eq!(parse(INFO, &cut), Err(BootInfoError::BadMemoryMapEntry));

    let mut tiny_entry = qemu_like();
    tiny_entry.put_u32(MMAP + 24, 8);
    assert_eq!(parse(INFO, &tiny_entry), Err(BootInfoError::BadMemoryMapEntry));

    let mut many = qemu_like();
    many.put_u32(INFO + 20, MAX_MODULES as u32 + 1);
    assert_eq!(parse(INFO, &many), Err(BootInfoError::TooManyModules));

    let mut backwards = qemu_like();
    backwards.put_u32(MODS + 4, 0x1000);
    assert_eq!(parse(INFO, &backwards), Err(BootInfoError::BadModuleRange));
}

#[test]
fn larger_entries_are_stepped_over_by_their_size() {
    let mut mem = qemu_like();
    let mut map = Vec::new();
    for (base, len) in [(0u64, 0x8000u64), (0x10_0000, 0x10_0000)] {
        map.extend_from_slice(&28u32.to_le_bytes());
        map.extend_from_slice(&base.to_le_bytes());
        map.extend_from_slice(&len.to_le_bytes());
        map.extend_from_slice(&1u32.to_le_bytes());
        map.extend_from_slice(&[0xee; 8]);
    }
    mem.put(MMAP, &map);
    mem.put_u32(INFO + 44, map.len() as u32);
    let info = parse(INFO, &mem).unwrap();
    assert_eq!(info.usable_bytes(), 0x8000 + 0x10_0000);
}

#[test]
fn too_many_regions_are_counted_not_trusted() {
    let mut mem = qemu_like();
    let entries: Vec<_> = (0..MAX_REGIONS as u64 + 3).map(|i| (i * 0x10_0000, 0x1000, 1)).collect();
    mem.memory_map(&entries);
    let info = parse(INFO, &mem).unwrap();
    assert_eq!(info.regions().len(), MAX_REGIONS);
    assert_eq!(info.dropped_regions(), 3);
}

#[test]
fn long_or_invalid_strings_stay_safe() {
    let mut mem = qemu_like();
    let mut long = vec![b'x'; CMDLINE_MAX - 1];
    long.extend_from_slice("é and more".as_bytes()); // 'é' straddles the cut
    mem.cmdline(&long);
    let info = parse(INFO, &mem).unwrap();
    assert_eq!(info.cmdline().len(), CMDLINE_MAX - 1, "cut back to a character boundary");

    mem.cmdline(&[b'a', 0xff, b'b']);
    assert_eq!(parse(INFO, &mem).unwrap().cmdline(), "");

    let long_name = "m".repeat(100);
    mem.modules(&[(0x20_0000, 0x20_1000, &long_name)]);
    let info = parse(INFO, &mem).unwrap();
    assert_eq!(info.modules()[0].cmdline(), &long_name[..MODULE_CMDLINE_MAX]);
}

proptest! {
    /// Arbitrary bytes in the loader's area give a result or an error, never a panic.
    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..0x1000), at in 0u64..0x1100) {
        let mut mem = FakeMemory { base: BASE, bytes };
        mem.bytes.resize(0x1000, 0);
        let _ = parse(BASE + at, &mem);
    }

    /// Corrupting one word of a valid structure never panics either.
    #[test]
    fn corrupted_words_never_panic(word in 0usize..0x400, value in any::<u32>()) {
        let mut mem = qemu_like();
        mem.put_u32(BASE + word as u64 * 4, value);
        if let Ok(info) = parse(INFO, &mem) {
            prop_assert!(info.regions().len() <= MAX_REGIONS);
            prop_assert!(info.modules().iter().all(|m| m.start <= m.end));
        }
    }
}
