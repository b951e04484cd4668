//! The verifier against streams with a dropped, a repeated, a reordered and
//! a damaged message, fed in every kind of piece.

use alloc::vec::Vec;

use super::rng::{MAX_PAYLOAD, Rng, send_pieces};
use super::verify::{Counts, Unframed, Verdict, Verifier};
use super::wire::{BadHeader, HEADER_LEN, Outgoing, stream_id};

const STREAM: u32 = 6;

/// `count` messages of assorted sizes, each as its own wire bytes.
fn messages(count: usize) -> Vec<Vec<u8>> {
    let mut out = Outgoing::new(STREAM);
    let mut rng = Rng::new(11);
    let lens = [1, 2, 40, 4056, 4057, 65_535, 65_536, 700];
    (0..count)
        .map(|i| {
            let mut wire = Vec::new();
            out.next_message(&mut rng, lens[i % lens.len()], i % 3 == 0, &mut wire);
            wire
        })
        .collect()
}

/// Feeds `wires` in pieces cut by `seed`; returns the verdicts and counts.
fn feed_all(wires: &[Vec<u8>], seed: u64) -> (Vec<Verdict>, Counts) {
    let mut verifier = Verifier::new(STREAM);
    let mut rng = Rng::new(seed);
    let mut verdicts = Vec::new();
    let mut pieces = Vec::new();
    for wire in wires {
        send_pieces(&mut rng, wire.len(), &mut pieces);
        let mut at = 0;
        for &piece in &pieces {
            verifier.feed(&wire[at..at + piece], |v| verdicts.push(v));
            at += piece;
        }
        assert!(!verifier.mid_message() || verifier.unframed());
    }
    (verdicts, verifier.counts)
}

fn seqs_verified(verdicts: &[Verdict]) -> Vec<u64> {
    verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Verified { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect()
}

#[test]
fn an_intact_stream_verifies_whatever_the_pieces() {
    let wires = messages(24);
    let bytes: u64 = wires.iter().map(|w| (w.len() - HEADER_LEN) as u64).sum();
    for seed in 0..20 {
        let (verdicts, counts) = feed_all(&wires, seed);
        assert_eq!(seqs_verified(&verdicts), (1..=24).collect::<Vec<u64>>());
        assert_eq!(counts, Counts { verified: 24, bytes, ..Counts::default() });
        assert!(counts.is_clean());
    }
    // All in one slice, and byte by byte.
    let joined: Vec<u8> = wires.concat();
    let mut verifier = Verifier::new(STREAM);
    let mut n = 0;
    verifier.feed(&joined, |_| n += 1);
    assert_eq!((n, verifier.counts.verified), (24, 24));
    let mut verifier = Verifier::new(STREAM);
    for wire in &wires[..4] {
        for byte in wire {
            verifier.feed(core::slice::from_ref(byte), |_| {});
        }
    }
    assert_eq!(verifier.counts.verified, 4);
    let flags: Vec<bool> =
        feed_all(&wires[..4], 1).0.iter().map(|v| matches!(v, Verdict::Verified { reply_wanted: true, .. })).collect();
    assert_eq!(flags, [true, false, false, true]);
}

#[test]
fn a_dropped_message_is_lost() {
    let mut wires = messages(10);
    wires.remove(4);
    let (verdicts, counts) = feed_all(&wires, 1);
    assert_eq!(counts.lost, 1);
    assert_eq!((counts.verified, counts.duplicated, counts.corrupted), (9, 0, 0));
    assert!(verdicts.contains(&Verdict::Verified { seq: 6, len: 65_535, reply_wanted: false, skipped: 1 }));
    assert!(!counts.is_clean());
}

#[test]
fn a_repeated_message_is_duplicated() {
    let mut wires = messages(10);
    wires.insert(5, wires[4].clone());
    let (verdicts, counts) = feed_all(&wires, 2);
    assert_eq!(counts.duplicated, 1);
    assert_eq!((counts.verified, counts.lost, counts.corrupted), (10, 0, 0));
    assert_eq!(verdicts[5], Verdict::Duplicate { seq: 5 });
    assert_eq!(seqs_verified(&verdicts), (1..=10).collect::<Vec<u64>>());
}

#[test]
fn swapped_messages_are_one_lost_and_one_duplicated() {
    let mut wires = messages(6);
    wires.swap(2, 3);
    let (_, counts) = feed_all(&wires, 3);
    assert_eq!((counts.verified, counts.lost, counts.duplicated), (5, 1, 1));
}

#[test]
fn a_damaged_payload_is_corrupted_and_the_stream_goes_on() {
    for (victim, at) in [(0, HEADER_LEN), (6, HEADER_LEN + 65_535), (3, HEADER_LEN + 4000)] {
        let mut wires = messages(8);
        wires[victim][at] ^= 0x20;
        let (verdicts, counts) = feed_all(&wires, 4);
        assert_eq!(counts.corrupted, 1, "message {victim} byte {at}");
        assert_eq!((counts.verified, counts.lost, counts.duplicated), (7, 0, 0));
        assert!(verdicts.contains(&Verdict::Corrupted { seq: victim as u64 + 1 }));
    }
}

#[test]
fn a_damaged_header_ends_the_stream() {
    let mut wires = messages(8);
    wires[2][17] ^= 1;
    let (verdicts, counts) = feed_all(&wires, 5);
    assert_eq!(verdicts.len(), 3);
    assert_eq!(verdicts[2], Verdict::Unframed(Unframed::Header(BadHeader::HeaderSum)));
    assert_eq!((counts.verified, counts.corrupted), (2, 1));

    // Another stream's message, perfectly formed, is no better.
    let mut foreign = Outgoing::new(stream_id(9, false));
    let mut wire = Vec::new();
    foreign.next_message(&mut Rng::new(1), 10, false, &mut wire);
    let mut verifier = Verifier::new(STREAM);
    let mut verdicts = Vec::new();
    verifier.feed(&wire, |v| verdicts.push(v));
    assert_eq!(verdicts, [Verdict::Unframed(Unframed::Stream(18))]);
    assert!(verifier.unframed());
}

#[test]
fn the_end_marker_closes_the_stream() {
    let mut out = Outgoing::new(STREAM);
    let mut rng = Rng::new(6);
    let mut verifier = Verifier::new(STREAM);
    let mut verdicts = Vec::new();
    let mut wire = Vec::new();
    for _ in 0..3 {
        out.next_message(&mut rng, MAX_PAYLOAD, false, &mut wire);
        verifier.feed(&wire, |v| verdicts.push(v));
    }
    let late = wire.clone();
    verifier.feed(&out.end_marker(), |v| verdicts.push(v));
    assert_eq!(verdicts[3], Verdict::End { seq: 4, skipped: 0 });
    assert!(verifier.ended());
    verifier.closed_in_order();
    assert!(verifier.counts.is_clean());
    // Anything after the end repeats the stream.
    verifier.feed(&late, |v| verdicts.push(v));
    assert_eq!(verifier.counts.duplicated, 1);
}

#[test]
fn an_orderly_close_without_the_end_marker_lost_something() {
    let wires = messages(3);
    let mut verifier = Verifier::new(STREAM);
    verifier.feed(&wires[0], |_| {});
    verifier.feed(&wires[1][..HEADER_LEN + 1], |_| {});
    assert!(verifier.mid_message());
    verifier.closed_in_order();
    assert_eq!((verifier.counts.verified, verifier.counts.lost), (1, 1));
}
