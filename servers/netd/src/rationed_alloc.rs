//! The host tests' global allocator: the system's, except that a test can
//! ration the allocations of its own thread, to see netd meet memory that
//! runs out. Other test threads are not affected.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::null_mut;

thread_local! {
    /// Allocations this thread may still make; `None`: no ration.
    static ALLOWED: Cell<Option<usize>> = const { Cell::new(None) };
    /// Allocations this thread asked for while rationed, granted or not.
    static ASKED: Cell<usize> = const { Cell::new(0) };
}

struct Rationed;

#[global_allocator]
static ALLOCATOR: Rationed = Rationed;

/// Whether this thread may allocate once more, counting the request.
fn grant() -> bool {
    // A thread being torn down has no ration any more.
    ALLOWED
        .try_with(|allowed| match allowed.get() {
            None => true,
            Some(left) => {
                ASKED.with(|asked| asked.set(asked.get() + 1));
                allowed.set(left.checked_sub(1));
                left > 0
            }
        })
        .unwrap_or(true)
}

// SAFETY: every block comes from `System` and goes back to it with the same
// layout; refusing (a null pointer) is allowed by the `GlobalAlloc` contract.
unsafe impl GlobalAlloc for Rationed {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grant() {
            return null_mut();
        }
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Restores the previous ration when dropped, even in a panic.
pub struct Restore(Option<usize>);

impl Drop for Restore {
    fn drop(&mut self) {
        ALLOWED.with(|allowed| allowed.set(self.0));
    }
}

/// Runs `f` allowing this thread at most `allowed` allocations (`None`: any
/// number); returns its result and how many allocations it asked for.
pub fn rationed<R>(allowed: Option<usize>, f: impl FnOnce() -> R) -> (R, usize) {
    let before = ASKED.with(Cell::get);
    let _restore = Restore(ALLOWED.with(|a| a.replace(allowed)));
    let result = f();
    (result, ASKED.with(Cell::get) - before)
}

/// Lifts the ration until the guard drops: for the test's own bookkeeping
/// (the fake kernel) inside rationed code, which is not what is under test.
pub fn lift() -> Restore {
    Restore(ALLOWED.with(|a| a.replace(None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ration_refuses_past_its_allowance_and_counts_every_request() {
        let ((first, second), asked) = rationed(Some(1), || {
            let mut first = Vec::<u8>::new();
            let mut second = Vec::<u8>::new();
            (first.try_reserve(8).is_ok(), second.try_reserve(8).is_ok())
        });
        assert_eq!((first, second, asked), (true, false, 2));
        assert!(Vec::<u8>::new().try_reserve(8).is_ok(), "the ration ended");
        let (inner, asked) = rationed(Some(0), || {
            let _lifted = lift();
            vec![1u8; 4].len()
        });
        assert_eq!((inner, asked), (4, 0));
    }
}
