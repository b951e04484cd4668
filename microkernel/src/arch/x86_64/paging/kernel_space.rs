//! The kernel's own address space, built once at boot: the direct map of
//! physical memory and the kernel image with W^X. Every user space copies
//! its kernel half (see `AddressSpace::new_user`).

use x86_64::PhysAddr;

use super::{AddressSpace, Flags, FrameSource, HUGE, KERNEL_PML4, KERNEL_VMA, PAGE, table, zeroed_frame};
/// Kernel image section bounds, from the linker script.
pub struct KernelSections {
    pub text: (u64, u64),
    pub rodata: (u64, u64),
    pub data: (u64, u64),
    /// A page of `data` left unmapped: the guard below the kernel stack.
    pub guard: u64,
}

/// Builds the kernel's own tables (direct map of `[0, phys_end)` and the
/// kernel image with W^X), switches to them and returns them.
pub fn init_kernel(phys_end: u64, sections: &KernelSections, frames: &mut impl FrameSource) -> AddressSpace {
    let pml4 = zeroed_frame(frames).expect("no frame for the kernel page table");
    let direct_pdpt = zeroed_frame(frames).expect("no frame for the direct map");
    table(pml4)[256].set_addr(PhysAddr::new(direct_pdpt), Flags::PRESENT | Flags::WRITABLE);
    let gib = 1u64 << 30;
    for g in 0..phys_end.div_ceil(gib).min(512) {
        let pd = zeroed_frame(frames).expect("no frame for the direct map");
        table(direct_pdpt)[g as usize].set_addr(PhysAddr::new(pd), Flags::PRESENT | Flags::WRITABLE);
        for (i, entry) in table(pd).iter_mut().enumerate() {
            let phys = g * gib + i as u64 * HUGE;
            entry.set_addr(
                PhysAddr::new(phys),
                Flags::PRESENT | Flags::WRITABLE | Flags::HUGE_PAGE | Flags::NO_EXECUTE | Flags::GLOBAL,
            );
        }
    }
    // The kernel half uses only slot 256 (direct map) and slot 511 (image,
    // created below), both before any task copies them.
    let mut space = AddressSpace::with_top(pml4);
    let kernel_flags = Flags::GLOBAL;
    for (range, flags) in [
        (sections.text, kernel_flags),
        (sections.rodata, kernel_flags | Flags::NO_EXECUTE),
        (sections.data, kernel_flags | Flags::NO_EXECUTE | Flags::WRITABLE),
    ] {
        let mut vaddr = range.0;
        while vaddr < range.1 {
            if vaddr == sections.guard {
                vaddr += PAGE;
                continue;
            }
            space.map(vaddr, vaddr - KERNEL_VMA, flags, frames).expect("kernel image pages overlap");
            vaddr += PAGE;
        }
    }
    // SAFETY: written once here, before any address space copies it.
    unsafe { KERNEL_PML4 = pml4 };
    space.activate();
    space
}
