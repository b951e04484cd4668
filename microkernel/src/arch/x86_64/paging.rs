//! Four-level page tables: the kernel's own tables and one address space
//! per task.
//!
//! All physical memory is mapped at [`PHYS_OFFSET`] (2 MiB pages, never
//! executable), so the kernel reaches any frame or page table through that
//! window. The kernel image at -2 GiB is mapped with 4 KiB pages by section:
//! text read+execute, rodata read-only, data and bss read+write, never both
//! writable and executable. Every task's table shares the kernel half
//! (entries 256..511, built once at boot and never changed) and owns the
//! lower half.

use core::cell::Cell;
use x86_64::PhysAddr;
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::{PageTable, PageTableFlags as Flags, PhysFrame};

pub use x86_64::structures::paging::PageTableFlags;

/// Base of the direct map of physical memory.
pub const PHYS_OFFSET: u64 = 0xFFFF_8000_0000_0000;
/// Marks a user page whose frame the task borrows (the boot image): it is
/// unmapped with the task but never returned to the allocator.
pub const BORROWED: Flags = Flags::BIT_9;
const KERNEL_VMA: u64 = 0xFFFF_FFFF_8000_0000;
const PAGE: u64 = abi::PAGE_SIZE as u64;
const HUGE: u64 = 2 * 1024 * 1024;
/// The frame address bits of a page-table entry.
const LEAF_ADDRESS: u64 = 0x000f_ffff_ffff_f000;

mod kernel_space;
pub use kernel_space::{KernelSections, init_kernel};

pub fn phys_to_virt(phys: u64) -> u64 {
    phys + PHYS_OFFSET
}

/// Source of page-table frames (zeroed by the caller of `alloc`).
pub trait FrameSource {
    fn alloc(&mut self) -> Option<u64>;
    fn free(&mut self, phys: u64);
}

#[derive(Debug, PartialEq, Eq)]
pub enum MapError {
    AlreadyMapped,
    NoMemory,
}

fn table(phys: u64) -> &'static mut PageTable {
    // SAFETY: `phys` is a page-table frame owned by an address space (or
    // being built); the direct map covers it, and the kernel is single
    // threaded with interrupts off, so no other reference is live.
    unsafe { &mut *(phys_to_virt(phys) as *mut PageTable) }
}

/// Copies one 4 KiB frame's bytes into another.
fn copy_frame(from: u64, to: u64) {
    // SAFETY: both are distinct whole frames reached through the direct map:
    // `from` is mapped by a live address space, `to` was just allocated.
    unsafe {
        core::ptr::copy_nonoverlapping(phys_to_virt(from) as *const u8, phys_to_virt(to) as *mut u8, PAGE as usize)
    };
}

fn zeroed_frame(frames: &mut impl FrameSource) -> Option<u64> {
    let phys = frames.alloc()?;
    table(phys).zero();
    Some(phys)
}

fn indices(vaddr: u64) -> [usize; 4] {
    [
        ((vaddr >> 39) & 511) as usize,
        ((vaddr >> 30) & 511) as usize,
        ((vaddr >> 21) & 511) as usize,
        ((vaddr >> 12) & 511) as usize,
    ]
}

/// The flag bits of a leaf entry below its frame address.
const LOW_FLAGS: u64 = PAGE - 1;

/// A leaf entry as the copies use it: the direct-map address of its frame,
/// with its flags below bit 12 (the rest, NX and the frame bits, dropped).
fn reach_of(leaf: u64) -> u64 {
    phys_to_virt(leaf & LEAF_ADDRESS) | (leaf & LOW_FLAGS)
}

/// Recently translated pages of one address space, so that the copies of
/// one IPC (request, reply, lease, often in the same stack page) walk the
/// tables once. Entries are only added by `translate` and only a present
/// leaf is kept; `unmap`, the one way a present leaf changes, empties it.
const RECENT_PAGES: usize = 32;

/// One page-table hierarchy, named by its top-level frame.
#[derive(Debug)]
pub struct AddressSpace {
    pml4: u64,
    /// (page address | 1, [`reach_of`] its leaf entry), by page number
    /// modulo the size; 0 is an empty slot.
    recent: [Cell<(u64, u64)>; RECENT_PAGES],
    /// (2 MiB region | 1, its last-level table) of the latest walk, so that
    /// walking to a new page next to the last costs one load, not four (a
    /// bulk copy reaches a new page every 4 KiB). Tables, once made, stay
    /// until the space is destroyed; it is forgotten with `recent` anyway.
    last_table: Cell<(u64, u64)>,
}

static mut KERNEL_PML4: u64 = 0;

impl AddressSpace {
    fn with_top(pml4: u64) -> Self {
        AddressSpace { pml4, recent: [const { Cell::new((0, 0)) }; RECENT_PAGES], last_table: Cell::new((0, 0)) }
    }

    fn forget_recent(&self) {
        for slot in &self.recent {
            slot.set((0, 0));
        }
        self.last_table.set((0, 0));
    }

    /// The kernel's own tables (an empty lower half), not owned: the space
    /// of the idle task, which runs in the kernel half, and of a task that
    /// has ended. [`AddressSpace::destroy`] leaves them alone.
    pub fn kernel_view() -> Self {
        // SAFETY: written once at boot by `init_kernel`, read-only after.
        AddressSpace::with_top(unsafe { KERNEL_PML4 })
    }

    /// A new task address space: empty lower half, the shared kernel half.
    pub fn new_user(frames: &mut impl FrameSource) -> Option<Self> {
        let pml4 = zeroed_frame(frames)?;
        // SAFETY: written once at boot by `init_kernel`, read-only after.
        let kernel = table(unsafe { KERNEL_PML4 });
        let new = table(pml4);
        for i in 256..512 {
            new[i] = kernel[i].clone();
        }
        Some(AddressSpace::with_top(pml4))
    }

    #[inline]
    pub fn activate(&self) {
        // `pml4` is a frame address (page aligned, below the physical limit):
        // it was handed out by the frame allocator.
        let frame = PhysFrame::containing_address(PhysAddr::new_truncate(self.pml4));
        // SAFETY: the table maps the kernel half identically to every other
        // address space, so the code and stack in use stay mapped.
        unsafe { Cr3::write(frame, Cr3Flags::empty()) };
    }

    pub fn is_active(&self) -> bool {
        Cr3::read().0.start_address().as_u64() == self.pml4
    }

    /// Maps one 4 KiB page. Intermediate tables of user addresses are
    /// user-accessible; the leaf flags decide what the page allows.
    pub fn map(&mut self, vaddr: u64, phys: u64, flags: Flags, frames: &mut impl FrameSource) -> Result<(), MapError> {
        let idx = indices(vaddr);
        let parent_flags = Flags::PRESENT | Flags::WRITABLE | (flags & Flags::USER_ACCESSIBLE);
        let mut current = self.pml4;
        for &i in &idx[..3] {
            let entry = &mut table(current)[i];
            if entry.is_unused() {
                let child = zeroed_frame(frames).ok_or(MapError::NoMemory)?;
                entry.set_addr(PhysAddr::new(child), parent_flags);
            } else if entry.flags().contains(Flags::HUGE_PAGE) {
                return Err(MapError::AlreadyMapped);
            } else {
                entry.set_flags(entry.flags() | parent_flags);
            }
            current = entry.addr().as_u64();
        }
        let leaf = &mut table(current)[idx[3]];
        if !leaf.is_unused() {
            return Err(MapError::AlreadyMapped);
        }
        leaf.set_addr(PhysAddr::new(phys), flags | Flags::PRESENT);
        Ok(())
    }

    /// Unmaps one page and returns the frame it mapped, unless that frame
    /// was only borrowed.
    pub fn unmap(&mut self, vaddr: u64) -> Option<u64> {
        self.forget_recent();
        let leaf = self.leaf(vaddr)?;
        let phys = leaf.addr().as_u64();
        let borrowed = leaf.flags().contains(BORROWED);
        leaf.set_unused();
        if self.is_active() {
            x86_64::instructions::tlb::flush(x86_64::VirtAddr::new(vaddr));
        }
        (!borrowed).then_some(phys)
    }

    /// The frame and the flags below bit 12 of the page mapping `vaddr`.
    pub fn translate(&self, vaddr: u64) -> Option<(u64, Flags)> {
        let reach = self.reach(vaddr)?;
        Some(((reach & !LOW_FLAGS) - PHYS_OFFSET, Flags::from_bits_truncate(reach & LOW_FLAGS)))
    }

    /// The page mapping `vaddr` as the copies use it: where the kernel
    /// reaches its frame (the direct map) with the leaf's flags below bit
    /// 12 ([`reach_of`]). Runs on every user copy: a recently used page
    /// costs one compare, one next to the last page walked one load,
    /// another four loads.
    #[inline(always)]
    fn reach(&self, vaddr: u64) -> Option<u64> {
        let tag = (vaddr & !(PAGE - 1)) | 1;
        let (cached_tag, cached_reach) = self.recent[(vaddr / PAGE) as usize % RECENT_PAGES].get();
        // Only a miss can fail: written so, a hit needs no second test.
        let reach = if cached_tag == tag { cached_reach } else { self.walk(vaddr)? };
        Some(reach)
    }

    /// The present leaf entry mapping `vaddr`, from the tables, kept in
    /// `recent` as [`reach_of`] makes it.
    #[inline(never)]
    #[cold]
    fn walk(&self, vaddr: u64) -> Option<u64> {
        const PRESENT: u64 = Flags::PRESENT.bits();
        const HUGE_PAGE: u64 = Flags::HUGE_PAGE.bits();
        let entry_at = |table: u64, level_shift: u32| -> u64 {
            let index = (vaddr >> level_shift) & 511;
            // `table` is a page-table frame of this space (the top one,
            // or one a present entry points to).
            // SAFETY: the direct map covers that frame, and nothing
            // writes page tables while the kernel reads them.
            unsafe { *(phys_to_virt(table) as *const u64).add(index as usize) }
        };
        let region = (vaddr & !(HUGE - 1)) | 1;
        let (cached_region, cached_table) = self.last_table.get();
        let table = if cached_region == region {
            cached_table
        } else {
            let mut table = self.pml4;
            for shift in [39, 30, 21] {
                let entry = entry_at(table, shift);
                if entry & (PRESENT | HUGE_PAGE) != PRESENT {
                    return None;
                }
                table = entry & LEAF_ADDRESS;
            }
            self.last_table.set((region, table));
            table
        };
        let leaf = entry_at(table, 12);
        if leaf & PRESENT == 0 {
            return None;
        }
        let reach = reach_of(leaf);
        self.recent[(vaddr / PAGE) as usize % RECENT_PAGES].set(((vaddr & !(PAGE - 1)) | 1, reach));
        Some(reach)
    }

    fn leaf(&mut self, vaddr: u64) -> Option<&'static mut x86_64::structures::paging::page_table::PageTableEntry> {
        let mut current = self.pml4;
        for &i in &indices(vaddr)[..3] {
            let entry = &table(current)[i];
            if !entry.flags().contains(Flags::PRESENT) || entry.flags().contains(Flags::HUGE_PAGE) {
                return None;
            }
            current = entry.addr().as_u64();
        }
        let leaf = &mut table(current)[indices(vaddr)[3]];
        leaf.flags().contains(Flags::PRESENT).then_some(leaf)
    }

    /// A new address space holding a copy of every user page of this one,
    /// with the same permissions; the kernel half is shared as always.
    /// Borrowed pages (init's view of the boot image) are shared, still
    /// borrowed. `None` when `frames` runs out; whatever the copy had taken
    /// is freed again by then.
    pub fn copy_user(&self, frames: &mut impl FrameSource) -> Option<AddressSpace> {
        const KEPT: Flags = Flags::PRESENT
            .union(Flags::WRITABLE)
            .union(Flags::USER_ACCESSIBLE)
            .union(Flags::NO_EXECUTE)
            .union(BORROWED);
        let mut copy = AddressSpace::new_user(frames)?;
        let mut failed = false;
        self.for_each_user_page(|vaddr, phys, flags| {
            if failed {
                return;
            }
            let flags = flags & KEPT;
            let frame = if flags.contains(BORROWED) {
                Some(phys)
            } else {
                frames.alloc().inspect(|&fresh| copy_frame(phys, fresh))
            };
            let mapped = frame.is_some_and(|frame| match copy.map(vaddr, frame, flags, frames) {
                Ok(()) => true,
                Err(_) => {
                    if !flags.contains(BORROWED) {
                        frames.free(frame);
                    }
                    false
                }
            });
            failed = !mapped;
        });
        if failed {
            copy.destroy(frames);
            return None;
        }
        Some(copy)
    }

    /// Frames a copy of the user half takes: its top table, a table for
    /// every table below the top here, and every page that is not borrowed.
    pub fn user_frames(&self) -> u64 {
        fn count(phys: u64, level: u8) -> u64 {
            table(phys)
                .iter()
                .filter(|entry| entry.flags().contains(Flags::PRESENT))
                .map(|entry| match level {
                    1 => u64::from(!entry.flags().contains(BORROWED)),
                    _ if entry.flags().contains(Flags::HUGE_PAGE) => 0,
                    _ => 1 + count(entry.addr().as_u64(), level - 1),
                })
                .sum()
        }
        let top = table(self.pml4);
        let below: u64 = top
            .iter()
            .take(256)
            .filter(|entry| entry.flags().contains(Flags::PRESENT))
            .map(|entry| 1 + count(entry.addr().as_u64(), 3))
            .sum();
        1 + below
    }

    /// Calls `visit(vaddr, frame, flags)` for every present 4 KiB page of
    /// the user half.
    fn for_each_user_page(&self, mut visit: impl FnMut(u64, u64, Flags)) {
        fn walk(phys: u64, level: u8, base: u64, visit: &mut impl FnMut(u64, u64, Flags)) {
            let span = PAGE << (9 * (level - 1) as u64);
            for (i, entry) in table(phys).iter().enumerate() {
                let flags = entry.flags();
                if !flags.contains(Flags::PRESENT) {
                    continue;
                }
                let vaddr = base + i as u64 * span;
                if level == 1 {
                    visit(vaddr, entry.addr().as_u64(), flags);
                } else if !flags.contains(Flags::HUGE_PAGE) {
                    walk(entry.addr().as_u64(), level - 1, vaddr, visit);
                }
            }
        }
        let top = table(self.pml4);
        for i in 0..256 {
            if top[i].flags().contains(Flags::PRESENT) {
                walk(top[i].addr().as_u64(), 3, i as u64 * (PAGE << 27), &mut visit);
            }
        }
    }

    /// Frees every user page, every user page table and the top table.
    /// The caller makes sure this space is not active.
    /// The kernel's own tables ([`AddressSpace::kernel_view`]) are shared
    /// by every space: destroying them changes nothing.
    pub fn destroy(self, frames: &mut impl FrameSource) {
        // SAFETY: as in `kernel_view`.
        if self.pml4 == unsafe { KERNEL_PML4 } {
            return;
        }
        fn free_level(phys: u64, level: u8, frames: &mut impl FrameSource) {
            for entry in table(phys).iter_mut() {
                if entry.flags().contains(Flags::PRESENT) {
                    let child = entry.addr().as_u64();
                    if level > 1 {
                        free_level(child, level - 1, frames);
                    }
                    if !entry.flags().contains(BORROWED) {
                        frames.free(child);
                    }
                    entry.set_unused();
                }
            }
        }
        let top = table(self.pml4);
        for i in 0..256 {
            if top[i].flags().contains(Flags::PRESENT) {
                let pdpt = top[i].addr().as_u64();
                free_level(pdpt, 3, frames);
                frames.free(pdpt);
                top[i].set_unused();
            }
        }
        frames.free(self.pml4);
    }
}

impl kcore::user_memory::Translate for AddressSpace {
    #[inline(always)]
    fn translate(&self, page: u64) -> Option<kcore::user_memory::PageEntry> {
        let reach = self.reach(page)?;
        // The copies reach the frame through the direct map.
        Some(kcore::user_memory::PageEntry {
            frame: reach & !LOW_FLAGS,
            user: reach & Flags::USER_ACCESSIBLE.bits() != 0,
            writable: reach & Flags::WRITABLE.bits() != 0,
        })
    }
}

/// The leaf flags of a user page with these rights (always readable).
pub fn user_page_flags(rights: kcore::pages::PageRights) -> Flags {
    let mut flags = Flags::USER_ACCESSIBLE;
    if rights.write {
        flags |= Flags::WRITABLE;
    }
    if !rights.execute {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}
