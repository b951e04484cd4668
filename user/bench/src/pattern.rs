//! The bulk payload and its checksum.
//!
//! Byte `p` of a stream is byte `p % 8` (little-endian) of [`word`]`(p / 8)`,
//! so the sender fills its buffer once and the receiver computes the expected
//! checksum without a second copy of the data. The checksum is order
//! sensitive: swapped, lost or repeated pieces change it.

/// The payload's 64-bit word at `index` (a SplitMix64 step: every bit of the
/// index affects every bit of the word).
pub fn word(index: u64) -> u64 {
    let mut z = index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fills `buf` with the first `buf.len()` bytes of the stream.
pub fn fill(buf: &mut [u8]) {
    let mut words = buf.chunks_exact_mut(8);
    let mut index = 0;
    for chunk in &mut words {
        chunk.copy_from_slice(&word(index).to_le_bytes());
        index += 1;
    }
    let tail = words.into_remainder();
    let last = word(index).to_le_bytes();
    tail.copy_from_slice(&last[..tail.len()]);
}

const MIX: u64 = 0xff51_afd7_ed55_8ccd;

/// One word folded into a running checksum.
fn step(sum: u64, value: u64) -> u64 {
    (sum.rotate_left(23) ^ value).wrapping_mul(MIX)
}

/// The length folds in last, so a stream cut at a word boundary differs.
fn finish(sum: u64, len: usize) -> u64 {
    step(sum, len as u64)
}

/// Checksum of `bytes`: whole little-endian words in order, then the tail
/// zero-padded to a word, then the length.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut sum = 0;
    for chunk in &mut words {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        sum = step(sum, u64::from_le_bytes(le));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut le = [0u8; 8];
        le[..tail.len()].copy_from_slice(tail);
        sum = step(sum, u64::from_le_bytes(le));
    }
    finish(sum, bytes.len())
}

/// `checksum` of the first `len` bytes of the stream, without making them.
pub fn stream_checksum(len: usize) -> u64 {
    let whole = (len / 8) as u64;
    let mut sum = 0;
    for index in 0..whole {
        sum = step(sum, word(index));
    }
    let tail = len % 8;
    if tail != 0 {
        let mut le = [0u8; 8];
        le[..tail].copy_from_slice(&word(whole).to_le_bytes()[..tail]);
        sum = step(sum, u64::from_le_bytes(le));
    }
    finish(sum, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_checksum_matches_a_filled_buffer_of_every_small_length() {
        for len in 0..200 {
            let mut buf = vec![0u8; len];
            fill(&mut buf);
            assert_eq!(checksum(&buf), stream_checksum(len), "len {len}");
        }
        let mut big = vec![0u8; 65_536 + 5];
        fill(&mut big);
        assert_eq!(checksum(&big), stream_checksum(big.len()));
    }

    #[test]
    fn the_stream_is_not_trivial() {
        let mut buf = [0u8; 64];
        fill(&mut buf);
        assert_ne!(&buf[..8], &buf[8..16]);
        assert!(buf.iter().filter(|&&b| b == 0).count() < 8);
        assert_eq!(&buf[8..16], &word(1).to_le_bytes());
    }

    #[test]
    fn corruption_is_detected() {
        let mut buf = vec![0u8; 4096 * 3];
        fill(&mut buf);
        let good = checksum(&buf);
        // A flipped bit anywhere.
        for at in [0, 7, 4095, 8191, buf.len() - 1] {
            buf[at] ^= 0x10;
            assert_ne!(checksum(&buf), good, "flip at {at}");
            buf[at] ^= 0x10;
        }
        // Two pieces delivered in the wrong order.
        let (first, rest) = buf.split_at_mut(4096);
        first.swap_with_slice(&mut rest[..4096]);
        assert_ne!(checksum(&buf), good);
        // A piece lost at the end, and zero bytes appended.
        fill(&mut buf);
        assert_ne!(checksum(&buf[..8192]), good);
        let mut longer = buf.clone();
        longer.extend_from_slice(&[0; 8]);
        assert_ne!(checksum(&longer), good);
    }
}
