//! What the boot loader hands over: the Multiboot info, the memory map and
//! the boot image module.

use crate::arch::paging::{self, KernelSections, phys_to_virt};
use crate::{kprintln, mem};
use kcore::multiboot::{self, BootInfo, PhysMemory};

const MULTIBOOT_MAGIC: u32 = 0x2BAD_B002;
/// The boot stub's tables map the first GiB at the direct-map base.
const BOOT_MAPPED: u64 = 1 << 30;

struct BootMappedMemory;

impl PhysMemory for BootMappedMemory {
    fn read(&self, phys: u64, buf: &mut [u8]) -> bool {
        let Some(end) = phys.checked_add(buf.len() as u64) else { return false };
        if end > BOOT_MAPPED {
            return false;
        }
        // SAFETY: the range lies in the first GiB, which the boot tables
        // (and later the kernel's) map at the direct-map base.
        let src = unsafe { core::slice::from_raw_parts(phys_to_virt(phys) as *const u8, buf.len()) };
        buf.copy_from_slice(src);
        true
    }
}

pub fn read(magic: u32, info_phys: u32) -> BootInfo {
    if magic != MULTIBOOT_MAGIC {
        panic!("not started by a Multiboot loader (magic {magic:#x})");
    }
    match multiboot::parse(info_phys as u64, &BootMappedMemory) {
        Ok(info) => info,
        Err(e) => panic!("{e}"),
    }
}

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __data_end: u8;
}

pub fn init_paging(info: &BootInfo) -> paging::AddressSpace {
    // SAFETY: linker symbols; only their addresses are taken.
    let sections = unsafe {
        KernelSections {
            text: (&__text_start as *const u8 as u64, &__text_end as *const u8 as u64),
            rodata: (&__rodata_start as *const u8 as u64, &__rodata_end as *const u8 as u64),
            data: (&__data_start as *const u8 as u64, &__data_end as *const u8 as u64),
            guard: crate::arch::boot::stack_guard_page(),
        }
    };
    let phys_end = info.regions().iter().map(|r| r.end).max().unwrap_or(BOOT_MAPPED).max(BOOT_MAPPED);
    paging::init_kernel(phys_end, &sections, &mut mem::Frames)
}

/// The boot image: the first module, checked and listed in the log.
pub fn boot_image(info: &BootInfo) -> Option<(&'static [u8], u64)> {
    let Some(module) = info.modules().first() else {
        kprintln!("boot image: none (no -initrd module)");
        return None;
    };
    // SAFETY: the module's frames are reserved from the allocator for the
    // kernel's whole life and covered by the direct map.
    let bytes = unsafe { core::slice::from_raw_parts(phys_to_virt(module.start) as *const u8, module.len() as usize) };
    match bootimg::BootImage::parse(bytes) {
        Ok(image) => {
            kprintln!("boot image: {} programs, {} bytes", image.len(), bytes.len());
            for entry in image.iter() {
                kprintln!("  module {:<12} {:>8} bytes ({:?})", entry.name, entry.data.len(), entry.kind);
            }
            Some((bytes, module.start))
        }
        Err(e) => {
            kprintln!("boot image: rejected: {e}");
            None
        }
    }
}
