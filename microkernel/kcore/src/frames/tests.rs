use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

const MIB: u64 = 1024 * 1024;

/// 64 words = 4096 frames = 16 MiB of physical memory.
fn bitmap() -> Vec<u64> {
    vec![0; 64]
}

#[test]
fn starts_with_nothing_available() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    assert_eq!(frames.usable_frames(), 0);
    assert_eq!(frames.alloc(), None);
    assert_eq!(frames.free(0x1000), Err(FrameError::NotUsable));
}

#[test]
fn free_range_shrinks_inward_and_is_clipped() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0x1001, 0x5fff);
    assert_eq!(frames.usable_frames(), 3, "frames 2, 3 and 4 are whole");
    frames.add_free_range(15 * MIB, 64 * MIB);
    assert_eq!(frames.usable_frames(), 3 + 256, "only up to 16 MiB fits the bitmap");
    frames.add_free_range(0x2000, 0x4000);
    assert_eq!(frames.usable_frames(), 259, "adding known RAM again changes nothing");
}

#[test]
fn never_hands_out_a_reserved_frame() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0, 2 * MIB);
    frames.reserve_range(0, MIB);
    frames.reserve_range(0x10_0800, 0x10_1001);
    assert_eq!(frames.usable_frames(), 256 - 2);
    let mut handed = HashSet::new();
    while let Some(addr) = frames.alloc() {
        assert!((MIB + 0x2000..2 * MIB).contains(&addr), "{addr:#x}");
        assert!(handed.insert(addr));
    }
    assert_eq!(handed.len(), 254);
    assert_eq!(frames.free(0x10_1000), Err(FrameError::NotUsable));
    assert_eq!(frames.free(0x5000), Err(FrameError::NotUsable));
}

#[test]
fn reservation_before_the_memory_map_still_holds() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.reserve_range(0x3000, 0x5000);
    frames.add_free_range(0, 0x8000);
    assert_eq!(frames.usable_frames(), 6);
    let mut handed: Vec<u64> = std::iter::from_fn(|| frames.alloc()).collect();
    handed.sort();
    assert_eq!(handed, vec![0, 0x1000, 0x2000, 0x5000, 0x6000, 0x7000]);
}

#[test]
fn reserving_a_handed_out_frame_stops_counting_it() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0, 0x4000);
    let addr = frames.alloc().unwrap();
    frames.reserve_range(addr, addr + 1);
    assert_eq!((frames.used_frames(), frames.free_frames(), frames.usable_frames()), (0, 3, 3));
    assert_eq!(frames.free(addr), Err(FrameError::NotUsable));
}

#[test]
fn alloc_free_round_trip_keeps_counts() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(MIB, 2 * MIB);
    let before = frames.free_frames();
    let taken: Vec<u64> = (0..100).map(|_| frames.alloc().unwrap()).collect();
    assert_eq!(frames.used_frames(), 100);
    assert_eq!(frames.free_frames(), before - 100);
    for addr in taken {
        frames.free(addr).unwrap();
    }
    assert_eq!(frames.used_frames(), 0);
    assert_eq!(frames.free_frames(), before);
}

#[test]
fn free_rejects_bad_addresses() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0, MIB);
    let addr = frames.alloc().unwrap();
    assert_eq!(frames.free(addr + 8), Err(FrameError::Unaligned));
    assert_eq!(frames.free(16 * MIB), Err(FrameError::OutOfRange));
    assert_eq!(frames.free(!0xfff), Err(FrameError::OutOfRange));
    assert_eq!(frames.free(addr), Ok(()));
    assert_eq!(frames.free(addr), Err(FrameError::DoubleFree));
    assert_eq!(frames.used_frames(), 0);
}

#[test]
fn exhaustion_returns_none_then_recovers() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0x10000, 0x13000);
    let a = frames.alloc().unwrap();
    let _b = frames.alloc().unwrap();
    let _c = frames.alloc().unwrap();
    assert_eq!(frames.alloc(), None);
    assert_eq!(frames.alloc_contiguous(1), None);
    frames.free(a).unwrap();
    assert_eq!(frames.alloc(), Some(a));
}

#[test]
fn contiguous_runs_skip_holes() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0, MIB);
    frames.reserve_range(0, 0x1000);
    frames.reserve_range(0x5000, 0x6000);
    assert_eq!(frames.alloc_contiguous(0), None);
    assert_eq!(frames.alloc_contiguous(4), Some(0x1000));
    assert_eq!(frames.alloc_contiguous(3), Some(0x6000));
    // A run that crosses a bitmap word boundary (frame 63 to 64).
    let crossing = frames.alloc_contiguous(100).unwrap();
    assert_eq!(crossing, 0x9000);
    assert_eq!(frames.used_frames(), 107);
    assert_eq!(frames.alloc_contiguous(1000), None);
    for i in 0..100 {
        frames.free(crossing + i * FRAME_SIZE).unwrap();
    }
    assert_eq!(frames.alloc_contiguous(100), Some(crossing));
}

#[test]
fn next_fit_resumes_after_the_last_allocation() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0, 16 * MIB);
    let first = frames.alloc().unwrap();
    let second = frames.alloc().unwrap();
    frames.free(first).unwrap();
    assert_eq!(frames.alloc(), Some(first), "freed frame in the current word is reused");
    assert_ne!(frames.alloc(), Some(second));
}

#[test]
fn many_reservations_widen_instead_of_being_lost() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    frames.add_free_range(0, 16 * MIB);
    // Every other frame reserved: more pieces than the reserved set holds.
    for i in 0..(MAX_RESERVED_RANGES as u64 + 10) {
        frames.reserve_range(i * 2 * FRAME_SIZE, (i * 2 + 1) * FRAME_SIZE);
    }
    let reserved_at_least = MAX_RESERVED_RANGES + 10;
    assert!(frames.usable_frames() <= 4096 - reserved_at_least);
    while let Some(addr) = frames.alloc() {
        let frame = addr / FRAME_SIZE;
        assert!(frame >= 2 * (MAX_RESERVED_RANGES as u64 + 10) || frame % 2 == 1);
    }
    assert_eq!(frames.free_frames(), 0);
    assert_eq!(frames.used_frames(), frames.usable_frames());
}

#[test]
fn usable_ranges_past_capacity_are_dropped_whole() {
    let mut words = bitmap();
    let mut frames = FrameAllocator::new(&mut words);
    // Separate one-frame pieces at even frames: more than the set holds.
    for i in 0..(MAX_USABLE_RANGES as u64 + 5) {
        frames.add_free_range(i * 2 * FRAME_SIZE, (i * 2 + 1) * FRAME_SIZE);
    }
    assert_eq!(frames.usable_frames(), MAX_USABLE_RANGES);
    let mut handed = 0;
    while let Some(addr) = frames.alloc() {
        let frame = addr / FRAME_SIZE;
        assert!(frame.is_multiple_of(2) && frame < 2 * MAX_USABLE_RANGES as u64, "{frame}");
        handed += 1;
    }
    assert_eq!(handed, MAX_USABLE_RANGES);
    // Growing a known piece needs no new slot, so it still works.
    frames.add_free_range(FRAME_SIZE, 2 * FRAME_SIZE);
    assert_eq!(frames.free_frames(), 1);
}

#[test]
fn bitmap_words_covers_the_limit() {
    assert_eq!(bitmap_words(16 * MIB), 64);
    assert_eq!(bitmap_words(16 * MIB + 1), 65);
    assert_eq!(bitmap_words(0), 0);
}

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    AllocContiguous(usize),
    Free(u64),
    FreeHanded(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Alloc),
        1 => (1usize..6).prop_map(Op::AllocContiguous),
        1 => (0u64..600).prop_map(|frame| Op::Free(frame * FRAME_SIZE)),
        3 => any::<usize>().prop_map(Op::FreeHanded),
    ]
}

proptest! {
    /// The allocator agrees with a plain set model on every answer and count.
    #[test]
    fn matches_a_set_model(
        ram in prop::collection::vec((0u64..520, 1u64..60), 1..5),
        holes in prop::collection::vec((0u64..520, 1u64..10), 0..5),
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let mut words = vec![0u64; 8]; // 512 frames
        let mut frames = FrameAllocator::new(&mut words);
        let mut usable = HashSet::new();
        for &(start, len) in &ram {
            frames.add_free_range(start * FRAME_SIZE, (start + len) * FRAME_SIZE);
            usable.extend((start..start + len).filter(|&f| f < 512));
        }
        for &(start, len) in &holes {
            frames.reserve_range(start * FRAME_SIZE, (start + len) * FRAME_SIZE);
            for f in start..start + len {
                usable.remove(&f);
            }
        }
        prop_assert_eq!(frames.usable_frames(), usable.len());
        let mut handed: Vec<u64> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc => match frames.alloc() {
                    Some(addr) => {
                        let frame = addr / FRAME_SIZE;
                        prop_assert!(usable.contains(&frame) && !handed.contains(&frame));
                        handed.push(frame);
                    }
                    None => prop_assert_eq!(handed.len(), usable.len()),
                },
                Op::AllocContiguous(count) => {
                    if let Some(addr) = frames.alloc_contiguous(count) {
                        for frame in addr / FRAME_SIZE..addr / FRAME_SIZE + count as u64 {
                            prop_assert!(usable.contains(&frame) && !handed.contains(&frame));
                            handed.push(frame);
                        }
                    }
                }
                Op::Free(addr) => {
                    let frame = addr / FRAME_SIZE;
                    let expected = if !usable.contains(&frame) {
                        Err(if frame >= 512 { FrameError::OutOfRange } else { FrameError::NotUsable })
                    } else if let Some(pos) = handed.iter().position(|&h| h == frame) {
                        handed.swap_remove(pos);
                        Ok(())
                    } else {
                        Err(FrameError::DoubleFree)
                    };
                    prop_assert_eq!(frames.free(addr), expected);
                }
                Op::FreeHanded(pick) => {
                    if !handed.is_empty() {
                        let frame = handed.swap_remove(pick % handed.len());
                        prop_assert_eq!(frames.free(frame * FRAME_SIZE), Ok(()));
                    }
                }
            }
            prop_assert_eq!(frames.used_frames(), handed.len());
            prop_assert_eq!(frames.free_frames(), usable.len() - handed.len());
        }
    }
}
