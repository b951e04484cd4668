//! The heap: `linked_list_allocator` over a region that grows on demand by
//! mapping more pages right after the ones it has.
//!
//! The region starts at [`HEAP_BASE`] and never shrinks; it is limited to
//! [`HEAP_MAX`] bytes. Growth is sized by [`growth`], a pure function.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{NonNull, null_mut};

use linked_list_allocator::Heap;
use spin::Mutex;

/// Where every task's heap begins: far from the program image, the boot
/// image (init), the argument page and the stack.
pub const HEAP_BASE: u64 = 0x0000_2000_0000_0000;
/// Most bytes a heap may grow to.
pub const HEAP_MAX: usize = 1 << 30;
/// Smallest growth step, so small allocations do not map page by page.
pub const MIN_GROWTH: usize = 64 * 1024;
/// Room for the allocator's own bookkeeping and alignment padding.
const SLACK: usize = 64;

const PAGE: usize = abi::PAGE_SIZE;

/// How many bytes to map when an allocation of `size` bytes aligned to
/// `align` failed on a heap of `current` bytes: enough for the request on its
/// own (the new pages may not merge with a free block), at least
/// [`MIN_GROWTH`], and half the current size so that a growing program maps
/// geometrically fewer times. `None` if that would pass [`HEAP_MAX`].
pub fn growth(size: usize, align: usize, current: usize) -> Option<usize> {
    let needed = size.checked_add(align)?.checked_add(SLACK)?;
    let wanted = needed.max(MIN_GROWTH).max(current / 2);
    let rounded = wanted.checked_add(PAGE - 1)? & !(PAGE - 1);
    let room = HEAP_MAX.checked_sub(current)?;
    if rounded <= room {
        Some(rounded)
    } else if needed <= room {
        Some(room & !(PAGE - 1))
    } else {
        None
    }
}

/// The smallest growth that fits an allocation of `size` bytes aligned to
/// `align` on its own, in whole pages: what the heap maps when the step
/// [`growth`] asks for is refused, so that a task short of memory still gets
/// what it needs (a server's next buffer) rather than failing for the sake
/// of the geometric step. `None` if even that would pass [`HEAP_MAX`].
pub fn least_growth(size: usize, align: usize, current: usize) -> Option<usize> {
    let needed = size.checked_add(align)?.checked_add(SLACK)?;
    let rounded = needed.checked_add(PAGE - 1)? & !(PAGE - 1);
    (rounded <= HEAP_MAX.checked_sub(current)?).then_some(rounded)
}

/// The global allocator of a user program (installed by `urt::entry!`).
pub struct GrowingHeap {
    heap: Mutex<Heap>,
}

impl GrowingHeap {
    pub const fn new() -> Self {
        GrowingHeap { heap: Mutex::new(Heap::empty()) }
    }

    /// Maps more memory for an allocation that did not fit; false when out of
    /// room or frames.
    fn grow(heap: &mut Heap, layout: Layout) -> bool {
        let current = heap.size();
        let Some(by) = growth(layout.size(), layout.align(), current) else {
            return false;
        };
        let start = HEAP_BASE + current as u64;
        let by = if map_in_steps(start, by as u64) {
            by
        } else {
            match least_growth(layout.size(), layout.align(), current) {
                Some(least) if least < by && map_in_steps(start, least as u64) => least,
                _ => return false,
            }
        };
        if current == 0 {
            // SAFETY: [HEAP_BASE, HEAP_BASE + by) was just mapped writable and
            // nothing else uses it.
            unsafe { heap.init(HEAP_BASE as *mut u8, by) };
        } else {
            // SAFETY: the pages right after the heap's end were just mapped
            // writable and belong to no one else.
            unsafe { heap.extend(by) };
        }
        true
    }
}

/// Bytes asked of the kernel per `map` call: well below its limit for one
/// call (`abi::MAX_MAP`), since the kernel maps with interrupts off and a
/// small step keeps every other task's wait short.
const MAP_STEP: u64 = 1 << 20;

/// Maps `len` writable bytes at `start` in calls of at most [`MAP_STEP`];
/// on failure unmaps what this call mapped, so nothing is left half-grown.
fn map_in_steps(start: u64, len: u64) -> bool {
    let mut done = 0;
    while done < len {
        let step = (len - done).min(MAP_STEP);
        if crate::sys::map(start + done, step, abi::map_flags::WRITE).is_err() {
            if done > 0 {
                // SAFETY: these pages were mapped just now and never handed
                // to the allocator, so nothing refers to them.
                let _ = unsafe { crate::sys::unmap(start, done) };
            }
            return false;
        }
        done += step;
    }
    true
}

impl Default for GrowingHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: allocations come from linked_list_allocator, which hands out
// disjoint, correctly aligned blocks; the lock serializes all access.
unsafe impl GlobalAlloc for GrowingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        loop {
            if let Ok(block) = heap.allocate_first_fit(layout) {
                return block.as_ptr();
            }
            if !Self::grow(&mut heap, layout) {
                return null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(block) = NonNull::new(ptr) {
            // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with `layout`.
            unsafe { self.heap.lock().deallocate(block, layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_fits_the_request_in_whole_pages() {
        let step = growth(10, 8, 0).unwrap();
        assert_eq!(step, MIN_GROWTH);
        let big = growth(1_000_000, 16, 0).unwrap();
        assert!(big >= 1_000_000 + 16);
        assert_eq!(big % PAGE, 0);
    }

    #[test]
    fn growth_is_geometric() {
        let current = 8 << 20;
        assert_eq!(growth(100, 8, current), Some(4 << 20));
    }

    #[test]
    fn the_least_growth_fits_the_request_and_is_never_more_than_the_step() {
        for (size, align, current) in [(10, 8, 0), (4096, 8, 8 << 20), (1_000_000, 16, 64 << 20)] {
            let least = least_growth(size, align, current).unwrap();
            assert!(least >= size + align && least % PAGE == 0);
            assert!(least <= growth(size, align, current).unwrap());
        }
        assert_eq!(least_growth(4096, 8, 8 << 20), Some(2 * PAGE));
        assert_eq!(least_growth(100, 8, HEAP_MAX), None);
    }

    #[test]
    fn growth_stops_at_the_limit() {
        assert_eq!(growth(HEAP_MAX, 8, 0), None);
        let near = HEAP_MAX - 3 * PAGE;
        let last = growth(100, 8, near).unwrap();
        assert!((100..=3 * PAGE).contains(&last));
        assert_eq!(growth(usize::MAX, 8, 0), None);
    }
}
