//! Memory: `malloc`/`free` on the task's heap, `sbrk`'s break, and the C
//! memory functions, which both C code and the compiled Rust call.
//!
//! xv6 declares `memmove(void*, const void*, int)` and `memset(void*, int,
//! uint)`: a C caller sets only the low 32 bits of the length, so these two
//! read 32 bits (no block on a 1 GiB heap comes near 2^31). `memcpy` and
//! `memcmp`, which xv6 does not declare, keep C's `size_t`.

use core::alloc::{GlobalAlloc, Layout};

use spin::Mutex;

use super::HEAP;
use crate::blocks::{self, HEADER};
use crate::brk::{Break, Pages};

/// xv6 `void *malloc(uint)`: 16-byte aligned, null when out of memory.
#[unsafe(export_name = "malloc")]
pub extern "C" fn malloc(size: u32) -> *mut u8 {
    let Some(layout) = blocks::layout(size as u64) else {
        return core::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size.
    let block = unsafe { HEAP.alloc(layout) };
    if block.is_null() {
        return block;
    }
    // SAFETY: the block has HEADER bytes, 16-aligned, before the user's part.
    unsafe {
        (block as *mut u64).write(layout.size() as u64);
        block.add(HEADER)
    }
}

/// xv6 `void free(void*)`: returns a block `malloc` gave; null is ignored.
///
/// # Safety
/// `ptr` is null or came from `malloc` and was not freed since.
#[unsafe(export_name = "free")]
pub unsafe extern "C" fn free(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: per the contract, the header `malloc` wrote sits right before
    // `ptr` and holds the block's size; the layout is the one allocated.
    unsafe {
        let block = ptr.sub(HEADER);
        let size = (block as *const u64).read() as usize;
        HEAP.dealloc(block, Layout::from_size_align_unchecked(size, HEADER));
    }
}

static BREAK: Mutex<Break> = Mutex::new(Break::new());

/// xv6 `char *sbrk(int n)`: moves the break by `n` bytes and returns the
/// old one; `(char *)-1` when memory or the region (1 GiB) runs out.
#[unsafe(export_name = "sbrk")]
pub extern "C" fn sbrk(n: i32) -> *mut u8 {
    const REFUSED: *mut u8 = usize::MAX as *mut u8;
    let mut current = BREAK.lock();
    let Some((moved, pages)) = current.plan(n as i64) else {
        return REFUSED;
    };
    let done = match pages {
        Pages::Keep => true,
        Pages::Map(start, len) => urt::sys::map(start, len, abi::map_flags::WRITE).is_ok(),
        // SAFETY: the pages lie wholly above the new break: the program
        // gave them back and may not use them any more.
        Pages::Unmap(start, len) => unsafe { urt::sys::unmap(start, len) }.is_ok(),
    };
    if !done {
        return REFUSED;
    }
    let old = current.end();
    *current = moved;
    old as *mut u8
}

/// # Safety
/// C `memcpy` contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: forwarded C contract: valid, non-overlapping ranges.
    unsafe { urt::memops::copy_forward(dest, src, n) };
    dest
}

/// xv6 `void *memmove(void*, const void*, int n)`: nothing for `n <= 0`.
///
/// # Safety
/// C `memmove` contract for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: u64) -> *mut u8 {
    let n = usize::try_from(n as u32 as i32).unwrap_or(0);
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // SAFETY: dest does not start inside src, so a forward copy never
        // reads a byte it already overwrote.
        unsafe { urt::memops::copy_forward(dest, src, n) };
    } else {
        // SAFETY: dest starts inside src: copy from the end down.
        unsafe { urt::memops::copy_backward(dest, src, n) };
    }
    dest
}

/// xv6 `void *memset(void*, int, uint n)`.
///
/// # Safety
/// C `memset` contract for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, byte: i32, n: u64) -> *mut u8 {
    // SAFETY: forwarded C contract: `dest` valid for n bytes.
    unsafe { urt::memops::fill(dest, byte as u8, n as u32 as usize) };
    dest
}

/// # Safety
/// C `memcmp` contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded C contract: both valid for n bytes.
    unsafe { urt::memops::compare(a, b, n) }
}

/// # Safety
/// C `bcmp` contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded C contract: both valid for n bytes.
    unsafe { urt::memops::compare(a, b, n) }
}
