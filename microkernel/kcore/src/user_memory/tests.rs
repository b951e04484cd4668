use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

/// A page table as a map from page to entry.
#[derive(Debug, Default)]
struct Table(HashMap<u64, PageEntry>);

impl Table {
    fn map(&mut self, page: u64, user: bool, writable: bool) {
        self.0.insert(page, PageEntry { frame: 0x10_0000 + page / PAGE * 0x2000, user, writable });
    }
}

impl Translate for Table {
    fn translate(&self, page: u64) -> Option<PageEntry> {
        assert_eq!(page % PAGE, 0, "translate is asked for page starts");
        self.0.get(&page).copied()
    }
}

/// A few pages around a base, each unmapped, kernel-only, read-only or writable.
fn table() -> impl Strategy<Value = (u64, Table)> {
    let base = prop_oneof![Just(0x40_0000u64), Just(USER_END - 8 * PAGE)];
    (base, proptest::collection::vec(0u8..4, 8)).prop_map(|(base, kinds)| {
        let mut table = Table::default();
        for (i, kind) in kinds.into_iter().enumerate() {
            let page = base + i as u64 * PAGE;
            match kind {
                0 => {}
                1 => table.map(page, false, true),
                2 => table.map(page, true, false),
                _ => table.map(page, true, true),
            }
        }
        (base, table)
    })
}

#[test]
fn a_slice_ends_at_user_end_at_the_latest() {
    assert!(UserSliceRo::new(USER_END - 8, 8).is_ok());
    assert_eq!(UserSliceRo::new(USER_END - 8, 9), Err(KernelError::BadAddress));
    assert_eq!(UserSliceWo::new(u64::MAX, 2), Err(KernelError::BadAddress));
    assert!(UserSliceWo::new(USER_END, 0).is_ok(), "an empty range at the end");
    assert_eq!(UserSliceWo::new(USER_END + 1, 0), Err(KernelError::BadAddress));
    assert_eq!(UserSliceRo::of::<u64>(0x1000).map(|s| s.len()), Ok(8));
    let slice = UserSliceWo::new(0x1000, 100).unwrap();
    assert_eq!(slice.prefix(10).len(), 10);
    assert_eq!(slice.prefix(1000), slice);
    assert_eq!((slice.after(40).addr(), slice.after(40).len()), (0x1000 + 40, 60));
    assert!(slice.after(1000).is_empty());
}

#[test]
fn reads_need_a_user_page_and_writes_a_writable_one() {
    let mut table = Table::default();
    table.map(0x40_0000, true, false);
    table.map(0x40_1000, true, true);
    table.map(0x40_2000, false, true);
    let read = UserSliceRo::new(0x40_0ff0, 0x20).unwrap();
    assert_eq!(check_access(&table, read), Ok(()));
    let write = UserSliceWo::new(0x40_0ff0, 0x20).unwrap();
    assert_eq!(check_access(&table, write), Err(KernelError::BadAddress));
    assert_eq!(check_access(&table, UserSliceWo::new(0x40_1000, 0x1000).unwrap()), Ok(()));
    assert_eq!(check_access(&table, UserSliceRo::new(0x40_1ff0, 0x20).unwrap()), Err(KernelError::BadAddress));
    assert_eq!(check_access(&table, UserSliceWo::new(0x50_0000, 0).unwrap()), Ok(()), "nothing to check");
    assert_eq!(resolve(&table, 0x40_1234, true), Ok((0x10_0000 + 0x401 * 0x2000 + 0x234, 0x1000 - 0x234)));
}

#[test]
fn pieces_split_at_both_sides_page_ends() {
    let forwards: Vec<Piece> = Pieces::new(0x1ff0, 0x3f00, 0x300, false).collect();
    assert_eq!(
        forwards,
        [Piece { offset: 0, len: 0x10 }, Piece { offset: 0x10, len: 0xf0 }, Piece { offset: 0x100, len: 0x200 }]
    );
    let backwards: Vec<Piece> = Pieces::new(0x1ff0, 0x3f00, 0x300, true).collect();
    assert_eq!(
        backwards,
        [Piece { offset: 0x100, len: 0x200 }, Piece { offset: 0x10, len: 0xf0 }, Piece { offset: 0, len: 0x10 }]
    );
    assert_eq!(Pieces::new(0x1000, 0x2000, 0, false).count(), 0);
    assert_eq!(Pieces::new(0x1000, 0x2000, 0, true).count(), 0);
}

#[test]
fn only_a_destination_above_an_overlapping_source_runs_backwards() {
    assert!(runs_backwards(100, 150, 100));
    assert!(!runs_backwards(150, 100, 100), "below: forwards is safe");
    assert!(!runs_backwards(100, 200, 100), "touching, not overlapping");
    assert!(!runs_backwards(100, 100, 100), "the same bytes");
}

/// Copies within one byte array by pieces, the way the kernel copies within
/// one address space.
fn copy_in_pieces(memory: &mut [u8], src: u64, dst: u64, len: u64) {
    for piece in Pieces::new(src, dst, len, runs_backwards(src, dst, len)) {
        let (from, to) = ((src + piece.offset) as usize, (dst + piece.offset) as usize);
        memory.copy_within(from..from + piece.len as usize, to);
    }
}

#[test]
fn an_overlap_across_a_page_end_still_moves_like_memmove() {
    // Forwards, the first piece (one byte, up to the destination's page
    // end) would overwrite a source byte the second piece still needs.
    let mut memory: Vec<u8> = (0..3 * PAGE).map(|i| i as u8).collect();
    let mut expected = memory.clone();
    expected.copy_within(4090..4110, 4095);
    copy_in_pieces(&mut memory, 4090, 4095, 20);
    assert!(memory == expected);
}

proptest! {
    /// The range rule: accepted exactly when the end neither wraps nor
    /// passes `USER_END`.
    #[test]
    fn slices_are_exactly_the_ranges_in_user_space(addr in any::<u64>(), len in any::<u64>(), near_end in any::<bool>()) {
        let addr = if near_end { USER_END.wrapping_sub(addr % (4 * PAGE)) } else { addr };
        let in_user_space = addr.checked_add(len).is_some_and(|end| end <= USER_END);
        prop_assert_eq!(UserSliceRo::new(addr, len).is_ok(), in_user_space);
        prop_assert_eq!(UserSliceWo::new(addr, len).is_ok(), in_user_space);
    }

    /// An accepted range is mapped with the rights it needs on every page
    /// it touches, and a refused one misses them on some page.
    #[test]
    fn an_accepted_range_has_the_rights_on_every_page(
        (base, table) in table(),
        start in 0u64..8 * PAGE,
        len in 0u64..4 * PAGE,
        write in any::<bool>(),
    ) {
        let addr = base + start;
        let Ok(read) = UserSliceRo::new(addr, len) else { return Ok(()) };
        let result = if write {
            check_access(&table, UserSliceWo::new(addr, len).unwrap())
        } else {
            check_access(&table, read)
        };
        let pages = if len == 0 { 0..0 } else { addr / PAGE..(addr + len - 1) / PAGE + 1 };
        let every_page_allows = pages.map(|p| table.translate(p * PAGE)).all(|entry| {
            entry.is_some_and(|e| e.user && (e.writable || !write))
        });
        prop_assert_eq!(result.is_ok(), every_page_allows);
    }

    /// The pieces cover the copy once, in order, each inside one page on
    /// both sides.
    #[test]
    fn pieces_cover_the_copy_once_within_pages(
        src in 0u64..1 << 20,
        dst in 0u64..1 << 20,
        len in 0u64..5 * PAGE,
        backwards in any::<bool>(),
    ) {
        let mut pieces: Vec<Piece> = Pieces::new(src, dst, len, backwards).collect();
        if backwards {
            pieces.reverse();
        }
        let mut next = 0;
        for piece in &pieces {
            prop_assert_eq!(piece.offset, next);
            prop_assert!(piece.len > 0);
            for start in [src + piece.offset, dst + piece.offset] {
                prop_assert_eq!(start / PAGE, (start + piece.len - 1) / PAGE, "inside one page");
            }
            next += piece.len;
        }
        prop_assert_eq!(next, len);
    }

    /// Within one memory the pieces, in the direction `runs_backwards`
    /// picks, move bytes like `memmove`.
    #[test]
    fn pieces_in_the_chosen_direction_move_like_memmove(
        src in prop_oneof![0u64..3 * PAGE, (1u64..3, 0u64..64).prop_map(|(page, back)| page * PAGE - 1 - back)],
        shift in prop_oneof![-300i64..300, -(3 * PAGE as i64)..3 * PAGE as i64],
        len in prop_oneof![0u64..300, 0u64..2 * PAGE],
    ) {
        let dst = (src as i64 + shift).clamp(0, 3 * PAGE as i64) as u64;
        let mut memory: Vec<u8> = (0..5 * PAGE).map(|i| (i * 7 % 251) as u8).collect();
        let mut expected = memory.clone();
        expected.copy_within(src as usize..(src + len) as usize, dst as usize);
        copy_in_pieces(&mut memory, src, dst, len);
        prop_assert!(memory == expected);
    }
}
