//! Copies to and from task memory, checked against the task's own page
//! tables.
//!
//! The copies take only [`UserSlice`]s: ranges already found to lie in user
//! space, typed with what the copy does to them. Every page a copy touches
//! is checked as the copy reaches it (`kcore::user_memory`: present, user,
//! and writable for a write). Copies go through the kernel's direct map of
//! physical memory, so they work on any task's memory, not only the current
//! one's: this is how a server copies straight between two waiting
//! callers' leases.

use crate::arch::paging::AddressSpace;
use abi::{CopySide, KernelError};
use kcore::user_memory::{PAGE, Pieces, UserSliceRo, UserSliceWo, resolve, runs_backwards};

pub use kcore::user_memory::check_access;

/// Whether `len` bytes from `addr` stay inside one page.
#[inline(always)]
fn in_one_page(addr: u64, len: u64) -> bool {
    (addr & (PAGE - 1)) + len <= PAGE
}

/// Moves `len` bytes from `from` to `to`, which may overlap (as `memmove`).
/// Up to 32 bytes, the size of most messages, this is at most four loads,
/// then as many stores, of words that overlap where `len` is not a whole
/// number of them, instead of a call of `memmove`, whose `rep movs` takes
/// one step per byte of the tail. All loads come before the first store.
///
/// # Safety
/// `from` must be valid for reading and `to` for writing `len` bytes.
#[inline(always)]
pub(crate) unsafe fn move_bytes(from: *const u8, to: *mut u8, len: usize) {
    use core::ptr::{read_unaligned as load, write_unaligned as store};
    // Shortest first: replies and requests are mostly a few bytes to a few
    // words, and bulk data goes through leases.
    if len <= 16 {
        if len >= 8 {
            // SAFETY: 8 <= len: the words at 0 and len - 8 lie in the range.
            unsafe {
                let (first, last) = (load(from as *const u64), load(from.add(len - 8) as *const u64));
                store(to as *mut u64, first);
                store(to.add(len - 8) as *mut u64, last);
            }
        } else if len >= 4 {
            // SAFETY: 4 <= len: the words at 0 and len - 4 lie in the range.
            unsafe {
                let (first, last) = (load(from as *const u32), load(from.add(len - 4) as *const u32));
                store(to as *mut u32, first);
                store(to.add(len - 4) as *mut u32, last);
            }
        } else if len > 0 {
            // SAFETY: 0 < len: bytes 0, len / 2 and len - 1 lie in the range
            // (together all of it, for a length up to 3).
            unsafe {
                let (first, middle, last) = (*from, *from.add(len / 2), *from.add(len - 1));
                *to = first;
                *to.add(len / 2) = middle;
                *to.add(len - 1) = last;
            }
        }
    } else if len <= 32 {
        // SAFETY: 16 < len: the words at 0, 8, len - 16 and len - 8 lie in
        // the `len` bytes on either side.
        unsafe {
            let words = [0, 8, len - 16, len - 8].map(|at| load(from.add(at) as *const u64));
            for (at, word) in [0, 8, len - 16, len - 8].into_iter().zip(words) {
                store(to.add(at) as *mut u64, word);
            }
        }
    } else {
        // SAFETY: the caller's promise, for all `len` bytes.
        unsafe { core::ptr::copy(from, to, len) };
    }
}

/// Copies `src` into the start of `out` (as much of it as `out` holds).
#[inline(always)]
pub fn copy_from_user(space: &AddressSpace, src: UserSliceRo, out: &mut [u8]) -> Result<(), KernelError> {
    let len = (src.len() as usize).min(out.len());
    // Requests, replies and lease tables are small and rarely cross a
    // page: empty, they cost one compare; in one page, one translation.
    if len == 0 {
        return Ok(());
    }
    if in_one_page(src.addr(), len as u64) {
        let (from, _) = resolve(space, src.addr(), false)?;
        // SAFETY: as in `copy_in`, for one piece.
        unsafe { move_bytes(from as *const u8, out.as_mut_ptr(), len) };
        return Ok(());
    }
    copy_in(space, src, out)
}

fn copy_in(space: &AddressSpace, src: UserSliceRo, out: &mut [u8]) -> Result<(), KernelError> {
    let len = (src.len() as usize).min(out.len());
    let mut done = 0;
    while done < len {
        let (from, in_page) = resolve(space, src.addr() + done as u64, false)?;
        let n = (in_page as usize).min(len - done);
        // SAFETY: `from` is the direct-map address of a user page the task
        // may read, valid for `in_page` bytes; `out` is a kernel buffer.
        unsafe { core::ptr::copy_nonoverlapping(from as *const u8, out[done..].as_mut_ptr(), n) };
        done += n;
    }
    Ok(())
}

/// Copies kernel bytes into the start of `dst` (as much of them as `dst`
/// holds), walking each page once as the copy reaches it (an unmapped page
/// part-way fails after the pieces before it).
#[inline(always)]
pub fn copy_to_user(space: &AddressSpace, dst: UserSliceWo, data: &[u8]) -> Result<(), KernelError> {
    let len = (dst.len() as usize).min(data.len());
    if len == 0 {
        return Ok(());
    }
    if in_one_page(dst.addr(), len as u64) {
        let (to, _) = resolve(space, dst.addr(), true)?;
        // SAFETY: as in `copy_out`, for one piece.
        unsafe { move_bytes(data.as_ptr(), to as *mut u8, len) };
        return Ok(());
    }
    copy_out(space, dst, data)
}

fn copy_out(space: &AddressSpace, dst: UserSliceWo, data: &[u8]) -> Result<(), KernelError> {
    let len = (dst.len() as usize).min(data.len());
    let mut done = 0;
    while done < len {
        let (to, in_page) = resolve(space, dst.addr() + done as u64, true)?;
        let n = (in_page as usize).min(len - done);
        // SAFETY: `to` is the direct-map address of a writable user page,
        // valid for `in_page` bytes.
        unsafe { core::ptr::copy_nonoverlapping(data[done..].as_ptr(), to as *mut u8, n) };
        done += n;
    }
    Ok(())
}

/// A copy between two ranges failed: this side's memory is not mapped as
/// the copy needs. To every caller that does not care which side it was,
/// it is `BadAddress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyFault(pub CopySide);

impl From<CopyFault> for KernelError {
    fn from(_: CopyFault) -> Self {
        KernelError::BadAddress
    }
}

/// Copies `src` into `dst` (as many bytes as the shorter holds), from one
/// task's memory to another's (or the same task's), page piece by page
/// piece, with one copy per piece.
///
/// Each page is walked once, as the copy reaches it: a range that turns out
/// to be unmapped part-way fails after copying the pieces before it (every
/// caller checks lease bounds before copying anything). The error names the
/// side at fault; of each piece the source is checked first.
/// Within one address space overlapping ranges move like `memmove`: with the
/// destination above the source the pieces go from the end backwards, so no
/// piece overwrites source bytes a later piece still has to read, and a page
/// found unmapped leaves the pieces after it (not before it) written.
#[inline(always)]
pub fn copy_between(
    src_space: &AddressSpace,
    src: UserSliceRo,
    dst_space: &AddressSpace,
    dst: UserSliceWo,
) -> Result<(), CopyFault> {
    let len = src.len().min(dst.len());
    if len == 0 {
        return Ok(());
    }
    // One piece: no iterator, and the direction does not matter (`copy`
    // moves overlapping bytes like `memmove`).
    if in_one_page(src.addr(), len) && in_one_page(dst.addr(), len) {
        let (from, _) = resolve(src_space, src.addr(), false).map_err(|_| CopyFault(CopySide::Source))?;
        let (to, _) = resolve(dst_space, dst.addr(), true).map_err(|_| CopyFault(CopySide::Destination))?;
        // SAFETY: as in `copy_pieces`, for its one piece.
        unsafe { move_bytes(from as *const u8, to as *mut u8, len as usize) };
        return Ok(());
    }
    copy_pieces(src_space, src, dst_space, dst)
}

fn copy_pieces(
    src_space: &AddressSpace,
    src: UserSliceRo,
    dst_space: &AddressSpace,
    dst: UserSliceWo,
) -> Result<(), CopyFault> {
    let len = src.len().min(dst.len());
    let backwards = core::ptr::eq(src_space, dst_space) && runs_backwards(src.addr(), dst.addr(), len);
    for piece in Pieces::new(src.addr(), dst.addr(), len, backwards) {
        let (from, _) =
            resolve(src_space, src.addr() + piece.offset, false).map_err(|_| CopyFault(CopySide::Source))?;
        let (to, _) =
            resolve(dst_space, dst.addr() + piece.offset, true).map_err(|_| CopyFault(CopySide::Destination))?;
        // Both are direct-map addresses of checked user pages, and the piece
        // lies in one page on either side; they may overlap when a task
        // copies within its own memory, which `copy` tolerates.
        // SAFETY: valid through the direct map for the piece's length.
        unsafe { core::ptr::copy(from as *const u8, to as *mut u8, piece.len as usize) };
    }
    Ok(())
}

/// Types made only of integers, for which every byte pattern is a valid
/// value, so they can be read from untrusted memory.
///
/// # Safety
/// Implement only for `repr(C)` types whose fields are all integers (or
/// arrays of such types), without padding.
pub unsafe trait PlainData: Copy + Default {}

// SAFETY: repr(C) structs of u32/u64/u8 fields without padding.
unsafe impl PlainData for abi::Lease {}
// SAFETY: as above.
unsafe impl PlainData for abi::KernelStats {}
// SAFETY: as above.
unsafe impl PlainData for abi::TaskInfo {}
// SAFETY: as above.
unsafe impl PlainData for abi::CostCounters {}
// SAFETY: as above.
unsafe impl PlainData for abi::ReplyMessage {}
// SAFETY: as above.
unsafe impl PlainData for abi::ExitRecord {}

/// Reads a plain-data value (a lease, ...) from user memory; a slice
/// shorter than the value leaves the rest of it at its default.
#[inline(always)]
pub fn read_struct<T: PlainData>(space: &AddressSpace, src: UserSliceRo) -> Result<T, KernelError> {
    let mut value = T::default();
    // SAFETY: T is PlainData: every byte pattern is a valid T, and the slice
    // covers exactly its size.
    let bytes = unsafe { core::slice::from_raw_parts_mut(&mut value as *mut T as *mut u8, core::mem::size_of::<T>()) };
    copy_from_user(space, src, bytes)?;
    Ok(value)
}

/// Writes a plain-data value to user memory (as much of it as `dst` holds).
pub fn write_struct<T: PlainData>(space: &AddressSpace, dst: UserSliceWo, value: &T) -> Result<(), KernelError> {
    // SAFETY: a PlainData value viewed as its bytes (no padding).
    let bytes = unsafe { core::slice::from_raw_parts(value as *const T as *const u8, core::mem::size_of::<T>()) };
    copy_to_user(space, dst, bytes)
}
