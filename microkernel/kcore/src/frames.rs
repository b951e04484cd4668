//! Physical frame allocator: one bit per 4 KiB frame in a caller-provided
//! bitmap, frame 0 at physical address 0.
//!
//! A set bit means "not available": never usable RAM, reserved, or handed
//! out. Beside the bitmap the allocator keeps two small range sets (usable
//! RAM from the memory map, and reservations) so that `free` can tell a
//! frame it handed out from one it must never touch, and so that counts stay
//! exact. `alloc` is next-fit: it resumes in the bitmap word where the last
//! allocation succeeded and skips 64 taken frames per word, so a run of
//! allocations costs O(1) amortised.
//!
//! Limits: memory beyond the bitmap's capacity is ignored. The range sets
//! hold `MAX_USABLE_RANGES` and `MAX_RESERVED_RANGES` pieces; past that a new
//! usable range is dropped and a new reservation is widened onto its nearest
//! neighbour. Both lose memory, never hand out a frame they should not.

use crate::frame_ranges::{FrameRange, RangeSet};

/// Size of one physical frame in bytes.
pub const FRAME_SIZE: u64 = abi::PAGE_SIZE as u64;

/// Separate pieces of usable RAM remembered (a Multiboot map has at most a few dozen).
pub const MAX_USABLE_RANGES: usize = 64;
/// Separate reserved pieces remembered (low memory, kernel, modules, boot info...).
pub const MAX_RESERVED_RANGES: usize = 64;

const BITS_PER_WORD: u64 = 64;

/// Number of bitmap words needed to describe physical memory up to `max_phys` bytes.
pub const fn bitmap_words(max_phys: u64) -> usize {
    max_phys.div_ceil(FRAME_SIZE).div_ceil(BITS_PER_WORD) as usize
}

/// Why a frame could not be freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The address is not at a frame boundary.
    Unaligned,
    /// The address lies beyond what the bitmap describes.
    OutOfRange,
    /// The frame is not usable RAM, or it is reserved: it was never handed out.
    NotUsable,
    /// The frame is already free.
    DoubleFree,
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FrameError::Unaligned => "frame address not page aligned",
            FrameError::OutOfRange => "frame address beyond physical memory",
            FrameError::NotUsable => "frame is reserved or not RAM",
            FrameError::DoubleFree => "frame is already free",
        })
    }
}

pub struct FrameAllocator<'a> {
    /// Bit set: the frame is unusable, reserved or handed out.
    bitmap: &'a mut [u64],
    frame_count: u64,
    usable: RangeSet<MAX_USABLE_RANGES>,
    reserved: RangeSet<MAX_RESERVED_RANGES>,
    /// Frames that are usable RAM and not reserved.
    usable_frames: usize,
    /// Frames handed out and not yet freed.
    used_frames: usize,
    /// Word where the next `alloc` starts looking.
    next_word: usize,
}

impl<'a> FrameAllocator<'a> {
    /// Takes over `bitmap`; every frame starts unavailable.
    pub fn new(bitmap: &'a mut [u64]) -> Self {
        bitmap.fill(u64::MAX);
        let frame_count = (bitmap.len() as u64).saturating_mul(BITS_PER_WORD);
        FrameAllocator {
            bitmap,
            frame_count,
            usable: RangeSet::new(),
            reserved: RangeSet::new(),
            usable_frames: 0,
            used_frames: 0,
            next_word: 0,
        }
    }

    /// Makes the whole frames inside the byte range `start..end` available,
    /// except those reserved before or after this call.
    pub fn add_free_range(&mut self, start: u64, end: u64) {
        let first = start.div_ceil(FRAME_SIZE);
        let last = (end / FRAME_SIZE).min(self.frame_count);
        if first >= last {
            return;
        }
        let range = FrameRange::new(first, last);
        if !self.usable.can_insert(range) {
            return;
        }
        let Self { bitmap, usable, reserved, usable_frames, .. } = self;
        usable.for_each_gap(range, |new_ram| {
            reserved.for_each_gap(new_ram, |piece| {
                clear_bits(bitmap, piece);
                *usable_frames += piece.len() as usize;
            });
        });
        self.usable.insert(range);
    }

    /// Takes every frame touching the byte range `start..end` out of use for
    /// good. A frame that was handed out stops counting as used.
    pub fn reserve_range(&mut self, start: u64, end: u64) {
        let first = start / FRAME_SIZE;
        let last = end.div_ceil(FRAME_SIZE).min(self.frame_count);
        if first >= last {
            return;
        }
        let effective = self.reserved.widened(FrameRange::new(first, last));
        let Self { bitmap, usable, reserved, usable_frames, used_frames, .. } = self;
        usable.for_each_overlap(effective, |ram| {
            reserved.for_each_gap(ram, |piece| {
                *used_frames -= count_set_bits(bitmap, piece);
                *usable_frames -= piece.len() as usize;
                set_bits(bitmap, piece);
            });
        });
        self.reserved.insert_widening(effective);
    }

    /// Hands out one free frame and returns its physical address.
    pub fn alloc(&mut self) -> Option<u64> {
        let words = self.bitmap.len();
        for step in 0..words {
            let word_index = (self.next_word + step) % words;
            let word = self.bitmap[word_index];
            if word != u64::MAX {
                let bit = (!word).trailing_zeros() as u64;
                self.bitmap[word_index] |= 1 << bit;
                self.used_frames += 1;
                self.next_word = word_index;
                return Some((word_index as u64 * BITS_PER_WORD + bit) * FRAME_SIZE);
            }
        }
        None
    }

    /// Hands out `count` physically contiguous free frames (first fit) and
    /// returns the address of the first.
    pub fn alloc_contiguous(&mut self, count: usize) -> Option<u64> {
        if count == 0 {
            return None;
        }
        let wanted = count as u64;
        let mut run_start = 0;
        let mut frame = 0;
        while frame < self.frame_count {
            let word_index = (frame / BITS_PER_WORD) as usize;
            if frame.is_multiple_of(BITS_PER_WORD) && self.bitmap[word_index] == u64::MAX {
                frame += BITS_PER_WORD;
                run_start = frame;
                continue;
            }
            let taken = self.bitmap[word_index] & (1 << (frame % BITS_PER_WORD)) != 0;
            frame += 1;
            if taken {
                run_start = frame;
            } else if frame - run_start == wanted {
                set_bits(self.bitmap, FrameRange::new(run_start, frame));
                self.used_frames += count;
                return Some(run_start * FRAME_SIZE);
            }
        }
        None
    }

    /// Gives back a frame that `alloc` or `alloc_contiguous` handed out.
    pub fn free(&mut self, addr: u64) -> Result<(), FrameError> {
        if !addr.is_multiple_of(FRAME_SIZE) {
            return Err(FrameError::Unaligned);
        }
        let frame = addr / FRAME_SIZE;
        if frame >= self.frame_count {
            return Err(FrameError::OutOfRange);
        }
        if !self.usable.contains(frame) || self.reserved.contains(frame) {
            return Err(FrameError::NotUsable);
        }
        let word = &mut self.bitmap[(frame / BITS_PER_WORD) as usize];
        let mask = 1 << (frame % BITS_PER_WORD);
        if *word & mask == 0 {
            return Err(FrameError::DoubleFree);
        }
        *word &= !mask;
        self.used_frames -= 1;
        Ok(())
    }

    /// Frames available to `alloc` now.
    pub fn free_frames(&self) -> usize {
        self.usable_frames - self.used_frames
    }

    /// Frames handed out and not yet freed.
    pub fn used_frames(&self) -> usize {
        self.used_frames
    }

    /// Frames of RAM that may ever be handed out (free plus used).
    pub fn usable_frames(&self) -> usize {
        self.usable_frames
    }
}

/// Calls `f(word_index, mask)` for each bitmap word that `range` touches.
fn for_each_word(range: FrameRange, mut f: impl FnMut(usize, u64)) {
    let mut frame = range.start;
    while frame < range.end {
        let word_start = frame - frame % BITS_PER_WORD;
        let low = frame - word_start;
        let high = (range.end - word_start).min(BITS_PER_WORD);
        let width = high - low;
        let mask = if width == BITS_PER_WORD { u64::MAX } else { ((1 << width) - 1) << low };
        f((word_start / BITS_PER_WORD) as usize, mask);
        frame = word_start + high;
    }
}

fn set_bits(bitmap: &mut [u64], range: FrameRange) {
    for_each_word(range, |word, mask| bitmap[word] |= mask);
}

fn clear_bits(bitmap: &mut [u64], range: FrameRange) {
    for_each_word(range, |word, mask| bitmap[word] &= !mask);
}

fn count_set_bits(bitmap: &[u64], range: FrameRange) -> usize {
    let mut count = 0;
    for_each_word(range, |word, mask| count += (bitmap[word] & mask).count_ones() as usize);
    count
}

#[cfg(test)]
mod tests;
