//! User memory as the kernel sees it.
//!
//! A range a task names is only an allegation. [`UserSlice`] is the one
//! form the kernel keeps it in: built only by [`UserSlice::new`], which
//! refuses a range that wraps or passes `USER_END`, and marked in its type
//! with what the kernel does to it (reads a [`UserSliceRo`], writes a
//! [`UserSliceWo`]), so a range checked for reading can never be written.
//! The pages behind it are checked when it is used, against the task's own
//! page table through [`Translate`]: every page must be present and
//! user-accessible, and writable for a write. A copy between two ranges
//! goes in [`Pieces`], each inside one page on both sides.
//!
//! The kernel's copy functions take only these slices; what is pure about
//! them (the range rule, the page rule, the split into pieces and its
//! direction) lives here and is tested on the host.

use abi::{KernelError, PAGE_SIZE, USER_END};

pub const PAGE: u64 = PAGE_SIZE as u64;

/// A range of a task's memory the kernel reads (`WRITE` false) or writes
/// (`WRITE` true).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserSlice<const WRITE: bool> {
    addr: u64,
    len: u64,
}

/// Memory the kernel reads: requests, replies, lease tables, names.
pub type UserSliceRo = UserSlice<false>;
/// Memory the kernel writes: receive and reply buffers, result structs.
pub type UserSliceWo = UserSlice<true>;

impl<const WRITE: bool> UserSlice<WRITE> {
    /// Nothing: the slice a call block holds before its first call.
    pub const EMPTY: Self = UserSlice { addr: 0, len: 0 };

    /// `[addr, addr + len)`, if it lies in user space (think hard before
    /// adding a second way to make one). A zero-length range is accepted at
    /// any `addr <= USER_END`.
    #[inline]
    pub fn new(addr: u64, len: u64) -> Result<Self, KernelError> {
        // `addr + len <= USER_END` without a sum that could wrap. Most
        // lengths are known to be small, or constant, and then this is
        // one compare of `addr`.
        if len <= USER_END && addr <= USER_END - len {
            Ok(UserSlice { addr, len })
        } else {
            Err(KernelError::BadAddress)
        }
    }

    /// The range of one value of `T` at `addr`.
    #[inline]
    pub fn of<T>(addr: u64) -> Result<Self, KernelError> {
        Self::new(addr, core::mem::size_of::<T>() as u64)
    }

    #[inline]
    pub const fn addr(&self) -> u64 {
        self.addr
    }

    #[inline]
    pub const fn len(&self) -> u64 {
        self.len
    }

    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `len` bytes (all of it when it is shorter).
    #[inline]
    pub fn prefix(self, len: u64) -> Self {
        UserSlice { addr: self.addr, len: len.min(self.len) }
    }

    /// The bytes after the first `offset` (none when it is shorter).
    #[inline]
    pub fn after(self, offset: u64) -> Self {
        let skipped = offset.min(self.len);
        UserSlice { addr: self.addr + skipped, len: self.len - skipped }
    }
}

/// What a page table entry allows, as far as user copies care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageEntry {
    /// Where the kernel reaches the frame: its address in the kernel's
    /// map of physical memory (a test table may use any number).
    pub frame: u64,
    pub user: bool,
    pub writable: bool,
}

/// A task's page table, as the copies read it.
pub trait Translate {
    /// The present entry mapping the page that starts at `page`, if any.
    fn translate(&self, page: u64) -> Option<PageEntry>;
}

/// Where the kernel reaches user byte `addr` (its frame's address, as
/// [`PageEntry::frame`] gives it, plus the offset) and how many bytes of
/// its page follow it, if its page allows the access (`write` or a read).
#[inline(always)]
pub fn resolve(space: &impl Translate, addr: u64, write: bool) -> Result<(u64, u64), KernelError> {
    let entry = space.translate(addr & !(PAGE - 1)).ok_or(KernelError::BadAddress)?;
    if !entry.user || (write && !entry.writable) {
        return Err(KernelError::BadAddress);
    }
    let offset = addr & (PAGE - 1);
    Ok((entry.frame + offset, PAGE - offset))
}

/// Checks that every page of `slice` allows the access its type names,
/// copying nothing.
#[inline(always)]
pub fn check_access<const WRITE: bool>(space: &impl Translate, slice: UserSlice<WRITE>) -> Result<(), KernelError> {
    let end = slice.addr + slice.len;
    let mut at = slice.addr;
    while at < end {
        let (_, in_page) = resolve(space, at, WRITE)?;
        at += in_page;
    }
    Ok(())
}

/// Bytes from `addr` to the end of its page.
#[inline]
const fn room_after(addr: u64) -> u64 {
    PAGE - (addr & (PAGE - 1))
}

/// Bytes from the start of the page holding byte `end - 1` up to `end`.
#[inline]
const fn room_before(end: u64) -> u64 {
    end - ((end - 1) & !(PAGE - 1))
}

/// One piece of a copy: `len` bytes at `offset` from the start of both
/// ranges, inside one page of the source and one of the destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub offset: u64,
    pub len: u64,
}

/// The pieces of a copy of `len` bytes from `src` to `dst`: from the first
/// to the last, or from the last to the first when the copy runs
/// backwards. Every piece is as long as the pages on both sides allow.
#[derive(Clone, Debug)]
pub struct Pieces {
    src: u64,
    dst: u64,
    /// Forwards: bytes copied; backwards: bytes still to copy.
    at: u64,
    len: u64,
    backwards: bool,
}

impl Pieces {
    #[inline]
    pub fn new(src: u64, dst: u64, len: u64, backwards: bool) -> Self {
        Pieces { src, dst, at: if backwards { len } else { 0 }, len, backwards }
    }
}

impl Iterator for Pieces {
    type Item = Piece;

    #[inline]
    fn next(&mut self) -> Option<Piece> {
        if self.backwards {
            if self.at == 0 {
                return None;
            }
            let end = self.at;
            let len = room_before(self.src + end).min(room_before(self.dst + end)).min(end);
            self.at -= len;
            Some(Piece { offset: self.at, len })
        } else {
            if self.at == self.len {
                return None;
            }
            let offset = self.at;
            let len = room_after(self.src + offset).min(room_after(self.dst + offset)).min(self.len - offset);
            self.at += len;
            Some(Piece { offset, len })
        }
    }
}

/// Whether a copy of `len` bytes within one address space must run
/// backwards to move like `memmove`: the destination overlaps the source
/// from above, so copying forwards would overwrite source bytes before
/// they are read.
#[inline]
pub const fn runs_backwards(src: u64, dst: u64, len: u64) -> bool {
    dst > src && dst - src < len
}

#[cfg(test)]
mod tests;
