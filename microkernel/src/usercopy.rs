//! Copies to and from task memory, checked against the task's own page
//! tables.
//!
//! A user address is only an allegation until every page it covers is found
//! mapped with the user bit (and the writable bit, for writes) in the task's
//! table. Copies go through the kernel's direct map of physical memory, so
//! they work on any task's memory, not only the current one's: this is how
//! a server copies straight between two waiting callers' leases.

use crate::arch::paging::{phys_to_virt, AddressSpace, PageTableFlags};
use abi::{CopySide, KernelError, USER_END};

const PAGE: u64 = 4096;

/// Checks that `[addr, addr + len)` lies in the user half.
pub fn check_range(addr: u64, len: u64) -> Result<(), KernelError> {
    match addr.checked_add(len) {
        Some(end) if end <= USER_END => Ok(()),
        _ => Err(KernelError::BadAddress),
    }
}

/// The kernel address of user byte `addr` and how many bytes of its page
/// follow, if the page allows the access.
fn resolve(space: &AddressSpace, addr: u64, write: bool) -> Result<(*mut u8, usize), KernelError> {
    let (phys, flags) = space.translate(addr & !(PAGE - 1)).ok_or(KernelError::BadAddress)?;
    let mut needed = PageTableFlags::USER_ACCESSIBLE;
    if write {
        needed |= PageTableFlags::WRITABLE;
    }
    if !flags.contains(needed) {
        return Err(KernelError::BadAddress);
    }
    let offset = addr & (PAGE - 1);
    Ok((phys_to_virt(phys + offset) as *mut u8, (PAGE - offset) as usize))
}

/// Checks that every page of the range allows the access, copying nothing.
pub fn check_access(space: &AddressSpace, addr: u64, len: u64, write: bool) -> Result<(), KernelError> {
    check_range(addr, len)?;
    let mut at = addr;
    while at < addr + len {
        let (_, in_page) = resolve(space, at, write)?;
        at += in_page as u64;
    }
    Ok(())
}

pub fn copy_from_user(space: &AddressSpace, addr: u64, out: &mut [u8]) -> Result<(), KernelError> {
    check_range(addr, out.len() as u64)?;
    let mut done = 0;
    while done < out.len() {
        let (src, in_page) = resolve(space, addr + done as u64, false)?;
        let n = in_page.min(out.len() - done);
        // SAFETY: `src` is the direct-map address of a user page the task
        // may read, valid for `in_page` bytes; `out` is a kernel buffer.
        unsafe { core::ptr::copy_nonoverlapping(src, out[done..].as_mut_ptr(), n) };
        done += n;
    }
    Ok(())
}

/// Copies kernel bytes into user memory, walking each page once as the copy
/// reaches it (an unmapped page part-way fails after the pieces before it).
pub fn copy_to_user(space: &AddressSpace, addr: u64, data: &[u8]) -> Result<(), KernelError> {
    check_range(addr, data.len() as u64)?;
    let mut done = 0;
    while done < data.len() {
        let (dst, in_page) = resolve(space, addr + done as u64, true)?;
        let n = in_page.min(data.len() - done);
        // SAFETY: `dst` is the direct-map address of a writable user page,
        // valid for `in_page` bytes.
        unsafe { core::ptr::copy_nonoverlapping(data[done..].as_ptr(), dst, n) };
        done += n;
    }
    Ok(())
}

/// A copy between two ranges failed: this side's range lies outside user
/// space or is not mapped as the copy needs. To every caller that does not
/// care which side it was, it is `BadAddress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyFault(pub CopySide);

impl From<CopyFault> for KernelError {
    fn from(_: CopyFault) -> Self {
        KernelError::BadAddress
    }
}

/// Copies `len` bytes from one task's memory to another's (or the same
/// task's), page piece by page piece, with one copy per piece.
///
/// Each page is walked once, as the copy reaches it: a range that turns out
/// to be unmapped part-way fails after copying the pieces before it (every
/// caller checks lease bounds before copying anything). The error names the
/// side at fault; of each piece the source is checked first.
/// Within one address space overlapping ranges move like `memmove`: with the
/// destination above the source the pieces go from the end backwards, so no
/// piece overwrites source bytes a later piece still has to read.
pub fn copy_between(
    src_space: &AddressSpace,
    src: u64,
    dst_space: &AddressSpace,
    dst: u64,
    len: u64,
) -> Result<(), CopyFault> {
    let (source, destination) = (CopyFault(CopySide::Source), CopyFault(CopySide::Destination));
    check_range(src, len).map_err(|_| source)?;
    check_range(dst, len).map_err(|_| destination)?;
    let same_space = core::ptr::eq(src_space, dst_space);
    if same_space && dst > src && dst - src < len {
        return copy_backwards(src_space, src, dst, len);
    }
    let mut done = 0u64;
    while done < len {
        let (from, src_room) = resolve(src_space, src + done, false).map_err(|_| source)?;
        let (to, dst_room) = resolve(dst_space, dst + done, true).map_err(|_| destination)?;
        let n = (src_room.min(dst_room) as u64).min(len - done) as usize;
        // SAFETY: both are direct-map addresses of checked user pages, valid
        // for `n` bytes; `copy` tolerates overlap within one page when a
        // task copies within its own memory.
        unsafe { core::ptr::copy(from, to, n) };
        done += n as u64;
    }
    Ok(())
}

/// `copy_between` within one space when the destination overlaps the source
/// from above: the last piece first. Fails like it, but a page found
/// unmapped leaves the pieces after it (not before it) written.
fn copy_backwards(space: &AddressSpace, src: u64, dst: u64, len: u64) -> Result<(), CopyFault> {
    let mut left = len;
    while left > 0 {
        // The piece ends at `left` and starts at the later of the two page
        // starts below that end, so that it lies in one page on both sides.
        let in_page = |end: u64| end - ((end - 1) & !(PAGE - 1));
        let n = in_page(src + left).min(in_page(dst + left)).min(left);
        let (from, _) = resolve(space, src + left - n, false).map_err(|_| CopyFault(CopySide::Source))?;
        let (to, _) = resolve(space, dst + left - n, true).map_err(|_| CopyFault(CopySide::Destination))?;
        // SAFETY: direct-map addresses of checked user pages, each valid
        // for `n` bytes (the piece lies in one page on either side); `copy`
        // tolerates their overlap.
        unsafe { core::ptr::copy(from, to, n as usize) };
        left -= n;
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
unsafe impl PlainData for abi::ExitRecord {}

/// Reads a plain-data value (a lease, ...) from user memory.
pub fn read_struct<T: PlainData>(space: &AddressSpace, addr: u64) -> Result<T, KernelError> {
    let mut value = T::default();
    // SAFETY: T is PlainData: every byte pattern is a valid T, and the slice
    // covers exactly its size.
    let bytes = unsafe { core::slice::from_raw_parts_mut(&mut value as *mut T as *mut u8, core::mem::size_of::<T>()) };
    copy_from_user(space, addr, bytes)?;
    Ok(value)
}

/// Writes a plain-data value to user memory.
pub fn write_struct<T: PlainData>(space: &AddressSpace, addr: u64, value: &T) -> Result<(), KernelError> {
    // SAFETY: a PlainData value viewed as its bytes (no padding).
    let bytes = unsafe { core::slice::from_raw_parts(value as *const T as *const u8, core::mem::size_of::<T>()) };
    copy_to_user(space, addr, bytes)
}
