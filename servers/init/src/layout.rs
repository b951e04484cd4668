//! How an ELF program's segments become page mappings in a new task.
//!
//! Segments that share a page are merged into one region with the union of
//! their permissions (the page tables cannot give one page two sets). Each
//! region is then mapped in steps of at most [`MAX_STEP`] bytes, each step
//! with the bytes that belong at its start.

use alloc::vec::Vec;

use elfload::Segment;

/// Longest single `task_map` (the kernel allows `abi::MAX_LEASE_LEN`). Each
/// step's bytes are assembled in a buffer on init's heap, and the heap keeps
/// what it grew to: with short steps, the programs started at boot already
/// grew it enough for any step, so starting a larger program later costs no
/// frames for good (tests compare free frames before and after a program).
pub const MAX_STEP: u64 = 64 * 1024;

/// Page-aligned memory to map, and the file bytes placed in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region<'a> {
    pub start: u64,
    pub end: u64,
    pub writable: bool,
    pub executable: bool,
    /// (address, bytes) of each segment's file contents.
    pieces: Vec<(u64, &'a [u8])>,
}

impl<'a> Region<'a> {
    /// The steps to map: (address, length) pairs covering the region.
    pub fn steps(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        (self.start..self.end).step_by(MAX_STEP as usize).map(|at| (at, (self.end - at).min(MAX_STEP)))
    }

    /// The bytes to copy to the start of `at..at + len`: everything up to the
    /// last byte with file contents (the rest is zero-filled by the kernel).
    /// `None` when init has no memory for them (a step is at most 1 MiB).
    pub fn contents(&self, at: u64, len: u64) -> Option<Vec<u8>> {
        let end = at + len;
        let used =
            self.pieces.iter().map(|&(addr, bytes)| (addr + bytes.len() as u64).clamp(at, end)).max().unwrap_or(at);
        let size = (used - at) as usize;
        let mut out = Vec::new();
        out.try_reserve_exact(size).ok()?;
        out.resize(size, 0);
        for &(addr, bytes) in &self.pieces {
            let from = addr.max(at);
            let to = (addr + bytes.len() as u64).min(used);
            if from < to {
                out[(from - at) as usize..(to - at) as usize]
                    .copy_from_slice(&bytes[(from - addr) as usize..(to - addr) as usize]);
            }
        }
        Some(out)
    }
}

/// Groups segments into regions of whole pages, in address order.
pub fn plan<'a>(segments: &[Segment<'a>]) -> Vec<Region<'a>> {
    let mut sorted: Vec<&Segment<'a>> = segments.iter().collect();
    sorted.sort_by_key(|s| s.vaddr);
    let mut regions: Vec<Region<'a>> = Vec::new();
    for segment in sorted {
        let (start, end) = segment.pages();
        let piece = (segment.vaddr, segment.file_bytes);
        match regions.last_mut() {
            Some(last) if start < last.end => {
                last.end = last.end.max(end);
                last.writable |= segment.writable;
                last.executable |= segment.executable;
                last.pieces.push(piece);
            }
            _ => regions.push(Region {
                start,
                end,
                writable: segment.writable,
                executable: segment.executable,
                pieces: alloc::vec![piece],
            }),
        }
    }
    regions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(vaddr: u64, mem_size: u64, file_bytes: &[u8], writable: bool) -> Segment<'_> {
        Segment { vaddr, mem_size, file_bytes, writable, executable: !writable }
    }

    #[test]
    fn aligned_segments_stay_apart() {
        let text = [0x90u8; 100];
        let data = [7u8; 10];
        let regions = plan(&[seg(0x402000, 20, &data, true), seg(0x400000, 100, &text, false)]);
        assert_eq!(regions.len(), 2);
        assert_eq!((regions[0].start, regions[0].end), (0x400000, 0x401000));
        assert!(regions[0].executable && !regions[0].writable);
        assert_eq!(regions[0].contents(0x400000, 0x1000).unwrap(), text.to_vec());
        assert_eq!(regions[1].contents(0x402000, 0x1000).unwrap(), data.to_vec());
    }

    #[test]
    fn segments_sharing_a_page_merge_with_both_permissions() {
        let text = [1u8; 0x10];
        let data = [2u8; 0x8];
        let regions = plan(&[seg(0x400000, 0x10, &text, false), seg(0x400800, 0x1000, &data, true)]);
        assert_eq!(regions.len(), 1);
        let r = &regions[0];
        assert_eq!((r.start, r.end), (0x400000, 0x402000));
        assert!(r.writable && r.executable);
        let bytes = r.contents(0x400000, 0x2000).unwrap();
        assert_eq!(bytes.len(), 0x808);
        assert_eq!(&bytes[..0x10], &text);
        assert!(bytes[0x10..0x800].iter().all(|&b| b == 0));
        assert_eq!(&bytes[0x800..], &data);
    }

    #[test]
    fn unaligned_start_is_placed_at_its_offset() {
        let data = [9u8; 4];
        let regions = plan(&[seg(0x400010, 4, &data, true)]);
        assert_eq!(regions[0].contents(0x400000, 0x1000).unwrap(), [&[0u8; 0x10][..], &data].concat());
    }

    #[test]
    fn big_regions_are_mapped_in_steps() {
        let big = vec![3u8; (MAX_STEP + 10) as usize];
        let regions = plan(&[seg(0x400000, MAX_STEP * 2 + 5, &big, true)]);
        let steps: Vec<_> = regions[0].steps().collect();
        assert_eq!(steps, [(0x400000, MAX_STEP), (0x400000 + MAX_STEP, MAX_STEP), (0x400000 + 2 * MAX_STEP, 0x1000)]);
        assert_eq!(regions[0].contents(steps[0].0, steps[0].1).unwrap().len(), MAX_STEP as usize);
        assert_eq!(regions[0].contents(steps[1].0, steps[1].1).unwrap(), vec![3u8; 10]);
        assert!(regions[0].contents(steps[2].0, steps[2].1).unwrap().is_empty());
    }
}
