//! The kernel's one instance, and the rule that one kernel entry at a time
//! uses it.
//!
//! The kernel runs on one CPU with interrupts off, and an exception in the
//! kernel itself stops the machine before it would use the instance, so an
//! entry never finds it in use; should one ever do, it is told so instead
//! of getting a second `&mut`. One byte says whether the instance is there
//! and free: an entry tests and sets it with a plain load and store (no
//! other CPU can race it), which is cheaper than a lock around an `Option`.

use super::Kernel;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU8, Ordering};

const NOT_YET: u8 = 0;
const FREE: u8 = 1;
const IN_USE: u8 = 2;

/// Why an entry cannot use the kernel.
pub enum Unavailable {
    /// Before `start` installed it (only interrupts arrive then).
    NotYet,
    /// Another entry uses it: the kernel was entered again while busy.
    InUse,
}

pub struct Instance {
    state: AtomicU8,
    kernel: UnsafeCell<MaybeUninit<Kernel>>,
}

// SAFETY: `kernel` is reached only by whoever moved `state` away from FREE
// (or NOT_YET), one at a time (see `install` and `enter`).
unsafe impl Sync for Instance {}

impl Instance {
    pub const fn new() -> Self {
        Instance { state: AtomicU8::new(NOT_YET), kernel: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// Puts the kernel in place; once, before the first entry that uses it.
    pub fn install(&self, kernel: Kernel) {
        if self.state.compare_exchange(NOT_YET, IN_USE, Ordering::Acquire, Ordering::Relaxed).is_err() {
            panic!("the kernel is installed once");
        }
        // SAFETY: this call moved `state` from NOT_YET to IN_USE, so nothing
        // else reaches `kernel`, which holds no value yet.
        unsafe { (*self.kernel.get()).write(kernel) };
        self.state.store(FREE, Ordering::Release);
    }

    /// Runs `use_kernel` on the kernel, if it is installed and free.
    #[inline(always)]
    pub fn enter<R>(&self, use_kernel: impl FnOnce(&mut Kernel) -> R) -> Result<R, Unavailable> {
        let state = self.state.load(Ordering::Relaxed);
        if state != FREE {
            return Err(unavailable(state));
        }
        self.state.store(IN_USE, Ordering::Relaxed);
        // SAFETY: FREE means installed; IN_USE keeps every other entry out
        // until the store below, so this is the only reference.
        let kernel = unsafe { (*self.kernel.get()).assume_init_mut() };
        let result = use_kernel(kernel);
        self.state.store(FREE, Ordering::Release);
        Ok(result)
    }
}

/// Why an entry that found the instance not free cannot use it; apart, so
/// that the common case is one compare.
#[cold]
#[inline(never)]
fn unavailable(state: u8) -> Unavailable {
    if state == NOT_YET { Unavailable::NotYet } else { Unavailable::InUse }
}
