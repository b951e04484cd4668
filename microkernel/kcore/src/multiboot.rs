//! Reads the Multiboot 1 information structure the boot loader leaves in
//! physical memory: usable RAM, boot modules and the kernel command line.
//!
//! Every byte comes through `PhysMemory::read`, never a raw pointer, so a
//! corrupt structure yields a `BootInfoError` instead of a wild read, and the
//! parser runs unchanged in host tests. Everything is copied into `BootInfo`;
//! the loader's memory need not be kept afterwards.
//!
//! Limits: `MAX_REGIONS` usable regions (further ones are counted in
//! `dropped_regions` and ignored: less RAM, never wrong RAM), `MAX_MODULES`
//! modules (more is an error: a program would be missing), command lines cut
//! at `CMDLINE_MAX` / `MODULE_CMDLINE_MAX` bytes.

pub const MAX_REGIONS: usize = 32;
pub const MAX_MODULES: usize = 16;
pub const CMDLINE_MAX: usize = 256;
pub const MODULE_CMDLINE_MAX: usize = 64;
/// Longest memory map accepted; bounds the work a corrupt length can cause.
pub const MAX_MMAP_BYTES: u32 = 64 * 1024;

/// Flag bits of `multiboot_info.flags` this parser reads.
mod flag {
    pub const MEM: u32 = 1 << 0;
    pub const CMDLINE: u32 = 1 << 2;
    pub const MODS: u32 = 1 << 3;
    pub const MMAP: u32 = 1 << 6;
}

/// Byte offsets of the fields read, and how much of the structure that covers.
mod offset {
    pub const FLAGS: u64 = 0;
    pub const MEM_LOWER: u64 = 4;
    pub const MEM_UPPER: u64 = 8;
    pub const CMDLINE: u64 = 16;
    pub const MODS_COUNT: u64 = 20;
    pub const MODS_ADDR: u64 = 24;
    pub const MMAP_LENGTH: u64 = 44;
    pub const MMAP_ADDR: u64 = 48;
    pub const INFO_BYTES_READ: u64 = 52;
}

const MODULE_ENTRY_BYTES: u64 = 16;
/// base_addr, length, type: what follows each entry's `size` field.
const MMAP_ENTRY_MIN: u32 = 20;
const MMAP_TYPE_RAM: u32 = 1;
const KIB: u64 = 1024;
const HIGH_MEMORY_START: u64 = 1024 * KIB;

/// Read access to physical memory, supplied by the kernel (or a test).
pub trait PhysMemory {
    /// Fills `buf` from physical address `phys`; false if any byte is not readable.
    fn read(&self, phys: u64, buf: &mut [u8]) -> bool;
}

/// Usable RAM `start..end` (bytes, not page aligned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemRegion {
    pub start: u64,
    pub end: u64,
}

/// A boot module: a file the loader placed at `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module {
    pub start: u64,
    pub end: u64,
    cmdline: [u8; MODULE_CMDLINE_MAX],
    cmdline_len: usize,
}

impl Module {
    const EMPTY: Module = Module { start: 0, end: 0, cmdline: [0; MODULE_CMDLINE_MAX], cmdline_len: 0 };

    /// The module's string from the loader (for QEMU, the `-initrd` word).
    pub fn cmdline(&self) -> &str {
        text(&self.cmdline[..self.cmdline_len])
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// The info structure itself cannot be read.
    InfoUnreadable,
    /// Neither a memory map nor the basic memory sizes are present.
    NoMemoryInfo,
    MemoryMapUnreadable,
    /// Longer than `MAX_MMAP_BYTES`.
    MemoryMapTooLong,
    /// An entry's size is too small or runs past the map's length.
    BadMemoryMapEntry,
    ModulesUnreadable,
    TooManyModules,
    /// A module ends before it starts.
    BadModuleRange,
    CmdlineUnreadable,
}

impl core::fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BootInfoError::InfoUnreadable => "multiboot info unreadable",
            BootInfoError::NoMemoryInfo => "multiboot info has no memory map",
            BootInfoError::MemoryMapUnreadable => "multiboot memory map unreadable",
            BootInfoError::MemoryMapTooLong => "multiboot memory map too long",
            BootInfoError::BadMemoryMapEntry => "malformed multiboot memory map entry",
            BootInfoError::ModulesUnreadable => "multiboot module list unreadable",
            BootInfoError::TooManyModules => "too many boot modules",
            BootInfoError::BadModuleRange => "boot module ends before it starts",
            BootInfoError::CmdlineUnreadable => "multiboot command line unreadable",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootInfo {
    regions: [MemRegion; MAX_REGIONS],
    region_count: usize,
    dropped_regions: usize,
    modules: [Module; MAX_MODULES],
    module_count: usize,
    cmdline: [u8; CMDLINE_MAX],
    cmdline_len: usize,
    info_range: (u64, u64),
}

impl BootInfo {
    /// Usable RAM (memory map type 1), in the loader's order.
    pub fn regions(&self) -> &[MemRegion] {
        &self.regions[..self.region_count]
    }

    /// Usable regions beyond `MAX_REGIONS` that were ignored.
    pub fn dropped_regions(&self) -> usize {
        self.dropped_regions
    }

    pub fn modules(&self) -> &[Module] {
        &self.modules[..self.module_count]
    }

    /// The kernel command line; empty if absent or not UTF-8.
    pub fn cmdline(&self) -> &str {
        text(&self.cmdline[..self.cmdline_len])
    }

    /// Total bytes of usable RAM listed.
    pub fn usable_bytes(&self) -> u64 {
        self.regions().iter().map(|r| r.end - r.start).fold(0, u64::saturating_add)
    }

    /// Smallest physical range holding every piece of loader data that was
    /// read (info structure, memory map, module list, strings).
    pub fn info_range(&self) -> (u64, u64) {
        self.info_range
    }

    fn add_region(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        if self.region_count == MAX_REGIONS {
            self.dropped_regions += 1;
            return;
        }
        self.regions[self.region_count] = MemRegion { start, end };
        self.region_count += 1;
    }

    fn cover(&mut self, start: u64, len: u64) {
        let end = start.saturating_add(len);
        self.info_range = (self.info_range.0.min(start), self.info_range.1.max(end));
    }
}

/// Parses the Multiboot 1 information structure at `info_phys`.
pub fn parse(info_phys: u64, mem: &impl PhysMemory) -> Result<BootInfo, BootInfoError> {
    let mut header = [0u8; offset::INFO_BYTES_READ as usize];
    if !mem.read(info_phys, &mut header) {
        return Err(BootInfoError::InfoUnreadable);
    }
    let field = |at: u64| u32_at(&header, at as usize) as u64;
    let flags = field(offset::FLAGS) as u32;
    let mut info = BootInfo {
        regions: [MemRegion::default(); MAX_REGIONS],
        region_count: 0,
        dropped_regions: 0,
        modules: [Module::EMPTY; MAX_MODULES],
        module_count: 0,
        cmdline: [0; CMDLINE_MAX],
        cmdline_len: 0,
        info_range: (info_phys, info_phys.saturating_add(offset::INFO_BYTES_READ)),
    };

    if flags & flag::MMAP != 0 {
        read_memory_map(&mut info, mem, field(offset::MMAP_ADDR), field(offset::MMAP_LENGTH))?;
    } else if flags & flag::MEM != 0 {
        let lower = field(offset::MEM_LOWER) * KIB;
        let upper = field(offset::MEM_UPPER) * KIB;
        info.add_region(0, lower);
        info.add_region(HIGH_MEMORY_START, HIGH_MEMORY_START + upper);
    } else {
        return Err(BootInfoError::NoMemoryInfo);
    }

    if flags & flag::MODS != 0 {
        read_modules(&mut info, mem, field(offset::MODS_ADDR), field(offset::MODS_COUNT))?;
    }

    if flags & flag::CMDLINE != 0 {
        let addr = field(offset::CMDLINE);
        info.cmdline_len = read_c_string(mem, addr, &mut info.cmdline)?;
        if addr != 0 {
            info.cover(addr, info.cmdline_len as u64 + 1);
        }
    }
    Ok(info)
}

fn read_memory_map(info: &mut BootInfo, mem: &impl PhysMemory, addr: u64, length: u64) -> Result<(), BootInfoError> {
    if length > MAX_MMAP_BYTES as u64 {
        return Err(BootInfoError::MemoryMapTooLong);
    }
    let map_end = addr.checked_add(length).ok_or(BootInfoError::MemoryMapUnreadable)?;
    info.cover(addr, length);
    // Each entry: u32 size (not counting itself), then u64 base, u64 length,
    // u32 type, and possibly more bytes that `size` accounts for.
    let mut entry_addr = addr;
    while entry_addr < map_end {
        let mut entry = [0u8; 4 + MMAP_ENTRY_MIN as usize];
        if map_end - entry_addr < entry.len() as u64 {
            return Err(BootInfoError::BadMemoryMapEntry);
        }
        if !mem.read(entry_addr, &mut entry) {
            return Err(BootInfoError::MemoryMapUnreadable);
        }
        let size = u32_at(&entry, 0);
        let next = entry_addr + 4 + size as u64;
        if size < MMAP_ENTRY_MIN || next > map_end {
            return Err(BootInfoError::BadMemoryMapEntry);
        }
        let (base, len) = (u64_at(&entry, 4), u64_at(&entry, 12));
        if u32_at(&entry, 20) == MMAP_TYPE_RAM {
            info.add_region(base, base.saturating_add(len));
        }
        entry_addr = next;
    }
    Ok(())
}

fn read_modules(info: &mut BootInfo, mem: &impl PhysMemory, addr: u64, count: u64) -> Result<(), BootInfoError> {
    if count > MAX_MODULES as u64 {
        return Err(BootInfoError::TooManyModules);
    }
    for index in 0..count {
        let entry_addr = addr.checked_add(index * MODULE_ENTRY_BYTES).ok_or(BootInfoError::ModulesUnreadable)?;
        let mut entry = [0u8; MODULE_ENTRY_BYTES as usize];
        if !mem.read(entry_addr, &mut entry) {
            return Err(BootInfoError::ModulesUnreadable);
        }
        let (start, end) = (u32_at(&entry, 0) as u64, u32_at(&entry, 4) as u64);
        if end < start {
            return Err(BootInfoError::BadModuleRange);
        }
        let mut module = Module { start, end, ..Module::EMPTY };
        let string = u32_at(&entry, 8) as u64;
        module.cmdline_len = read_c_string(mem, string, &mut module.cmdline)?;
        if string != 0 {
            info.cover(string, module.cmdline_len as u64 + 1);
        }
        info.modules[index as usize] = module;
        info.module_count += 1;
    }
    info.cover(addr, count * MODULE_ENTRY_BYTES);
    Ok(())
}

/// Copies the NUL-terminated string at `addr` into `out`, cut at its
/// length; returns the bytes copied. Address 0 means no string.
fn read_c_string(mem: &impl PhysMemory, addr: u64, out: &mut [u8]) -> Result<usize, BootInfoError> {
    if addr == 0 {
        return Ok(0);
    }
    for (len, slot) in out.iter_mut().enumerate() {
        let at = addr.checked_add(len as u64).ok_or(BootInfoError::CmdlineUnreadable)?;
        let mut byte = [0u8];
        if !mem.read(at, &mut byte) {
            return Err(BootInfoError::CmdlineUnreadable);
        }
        if byte[0] == 0 {
            return Ok(len);
        }
        *slot = byte[0];
    }
    Ok(out.len())
}

/// `bytes` as text: a sequence cut short at the end keeps its valid
/// prefix; anything else that is not UTF-8 reads as empty.
fn text(bytes: &[u8]) -> &str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            core::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => "",
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests;
