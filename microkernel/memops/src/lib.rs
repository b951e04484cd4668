//! The C memory functions the precompiled `core` expects, for freestanding
//! binaries (the kernel and every user program).
//!
//! They are plain functions here; each binary exports them under their C
//! names (`memops::export!()`), because a library that defined `#[no_mangle]`
//! symbols would clash with libc when host tests link it.
//!
//! Bulk copies move eight bytes per `rep` iteration: under `-icount` every
//! iteration counts as one instruction, so `rep movsb` would cost one per byte.
#![no_std]

use core::arch::asm;

/// # Safety
/// `dest` and `src` are valid for `n` bytes and do not overlap.
pub unsafe fn copy_forward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller guarantees both ranges; rep movs copies upward with
    // the direction flag clear, which the SysV ABI guarantees on entry.
    unsafe {
        asm!(
            "rep movsq",
            "mov rcx, {tail}",
            "rep movsb",
            tail = in(reg) n & 7,
            inout("rcx") n >> 3 => _,
            inout("rdi") dest => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags)
        );
    }
}

/// # Safety
/// `dest` and `src` are valid for `n` bytes; they may overlap.
pub unsafe fn copy_backward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller guarantees both ranges. With the direction flag set,
    // rep movs walks down from the last byte, so an overlapping source is read
    // before it is overwritten; the flag is cleared again before returning.
    unsafe {
        asm!(
            "std",
            "rep movsb",
            "cld",
            inout("rcx") n => _,
            inout("rdi") dest.wrapping_add(n).wrapping_sub(1) => _,
            inout("rsi") src.wrapping_add(n).wrapping_sub(1) => _,
            options(nostack)
        );
    }
}

/// # Safety
/// `dest` is valid for `n` bytes.
pub unsafe fn fill(dest: *mut u8, byte: u8, n: usize) {
    let pattern = (byte as u64) * 0x0101_0101_0101_0101;
    // SAFETY: the caller guarantees the range; see `copy_forward`.
    unsafe {
        asm!(
            "rep stosq",
            "mov rcx, {tail}",
            "rep stosb",
            tail = in(reg) n & 7,
            inout("rcx") n >> 3 => _,
            inout("rdi") dest => _,
            in("rax") pattern,
            options(nostack, preserves_flags)
        );
    }
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n and the caller guarantees n readable bytes.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// Exports the memory functions under their C names. Use once per binary.
#[macro_export]
macro_rules! export {
    () => {
        /// # Safety
        /// C `memcpy` contract.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
            // SAFETY: forwarded C contract: valid, non-overlapping ranges.
            unsafe { $crate::copy_forward(d, s, n) };
            d
        }

        /// # Safety
        /// C `memmove` contract.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
            if (d as usize).wrapping_sub(s as usize) >= n {
                // SAFETY: dest does not start inside src, so a forward copy
                // never reads a byte it already overwrote.
                unsafe { $crate::copy_forward(d, s, n) };
            } else {
                // SAFETY: dest starts inside src: copy from the end down.
                unsafe { $crate::copy_backward(d, s, n) };
            }
            d
        }

        /// # Safety
        /// C `memset` contract.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
            // SAFETY: forwarded C contract: `d` valid for n bytes.
            unsafe { $crate::fill(d, c as u8, n) };
            d
        }

        /// # Safety
        /// C `memcmp` contract.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
            // SAFETY: forwarded C contract: both valid for n bytes.
            unsafe { $crate::compare(a, b, n) }
        }

        /// # Safety
        /// C `bcmp` contract.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
            // SAFETY: forwarded C contract: both valid for n bytes.
            unsafe { $crate::compare(a, b, n) }
        }

        /// The precompiled `core` refers to this even with panic=abort.
        #[unsafe(no_mangle)]
        pub extern "C" fn rust_eh_personality() {}
    };
}
