//! The seeded random numbers behind every choice sockstress makes: message
//! sizes, how a message is cut into sends, how much one `recv` asks for,
//! burst lengths and which client to kill. The same seed gives the same
//! choices (the interleaving of tasks is the scheduler's).

/// Largest message payload: one full `send` (`libsock::limits::MAX_MESSAGE_LEN`).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// SplitMix64: small, fast, and every seed (0 included) gives a good stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub const fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A generator for one purpose of one pair, independent of the others
    /// drawn from the same run seed.
    pub fn derived(seed: u64, pair: u32, purpose: u32) -> Self {
        let mut mixer = Rng::new(seed ^ (u64::from(pair) << 32 | u64::from(purpose)));
        Rng::new(mixer.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: no division, bias at most n / 2^64.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// Log-uniform in `1..=max`: each power of two up to `max` is as likely
    /// as the others, so small and large sizes both come up often.
    pub fn log_uniform(&mut self, max: usize) -> usize {
        let top_bit = usize::BITS - 1 - max.leading_zeros();
        let low = 1usize << self.below(u64::from(top_bit) + 1);
        let high = (low * 2 - 1).min(max);
        self.between(low as u64, high as u64) as usize
    }

    /// Fills `buf` with random bytes, a word at a time.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut words = buf.chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        let last = self.next_u64().to_le_bytes();
        tail.copy_from_slice(&last[..tail.len()]);
    }
}

/// Payload lengths right at the edges that matter: the smallest message,
/// and wire lengths (header included) around netd's 4 KiB copy limit and
/// the 64 KiB of one `send`.
fn edge_lengths(header: usize) -> [usize; 8] {
    [1, 2, 4096 - header, 4097 - header, 4096, MAX_PAYLOAD - header, MAX_PAYLOAD - 1, MAX_PAYLOAD]
}

/// A message's payload length, 1..=64 KiB: one time in eight an edge
/// length, else log-uniform.
pub fn payload_len(rng: &mut Rng, header: usize) -> usize {
    if rng.one_in(8) {
        let edges = edge_lengths(header);
        edges[rng.below(edges.len() as u64) as usize]
    } else {
        rng.log_uniform(MAX_PAYLOAD)
    }
}

/// How many bytes one `recv` asks for: usually a whole send's worth, one
/// time in four less (log-uniform), so messages are also taken in pieces.
pub fn recv_len(rng: &mut Rng) -> usize {
    if rng.one_in(4) { rng.log_uniform(MAX_PAYLOAD) } else { MAX_PAYLOAD }
}

/// Cuts a message of `len` wire bytes into the lengths of the sends that
/// carry it, in order: usually as few full sends as possible, one time in
/// four at random points.
pub fn send_pieces(rng: &mut Rng, len: usize, pieces: &mut alloc::vec::Vec<usize>) {
    pieces.clear();
    let random_cuts = rng.one_in(4);
    let mut left = len;
    while left > 0 {
        let piece = if random_cuts { rng.log_uniform(MAX_PAYLOAD) } else { MAX_PAYLOAD };
        let piece = piece.min(left);
        pieces.push(piece);
        left -= piece;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a: Vec<u64> = (0..5).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..5).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
        assert_ne!(Rng::derived(7, 1, 0).next_u64(), Rng::derived(7, 2, 0).next_u64());
        assert_ne!(Rng::derived(7, 1, 0).next_u64(), Rng::derived(7, 1, 1).next_u64());
    }

    #[test]
    fn ranges_are_kept_and_covered() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 6];
        for _ in 0..1000 {
            let n = rng.between(3, 8);
            assert!((3..=8).contains(&n));
            seen[(n - 3) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn payload_lengths_span_one_byte_to_64_kib_and_hit_the_edges() {
        let mut rng = Rng::new(2);
        let lens: Vec<usize> = (0..20_000).map(|_| payload_len(&mut rng, 40)).collect();
        assert!(lens.iter().all(|&len| (1..=MAX_PAYLOAD).contains(&len)));
        for edge in edge_lengths(40) {
            assert!(lens.contains(&edge), "edge length {edge} never drawn");
        }
        // Every power of two band is drawn: small, medium and large.
        for bit in 0..=16 {
            let band = (1usize << bit)..(2usize << bit);
            assert!(lens.iter().any(|len| band.contains(len)), "nothing in {band:?}");
        }
        let small = lens.iter().filter(|&&len| len <= 4096).count();
        assert!(small > 20_000 / 3 && small < 20_000 * 4 / 5, "{small} small of 20000");
    }

    #[test]
    fn receive_lengths_are_mostly_whole() {
        let mut rng = Rng::new(3);
        let lens: Vec<usize> = (0..1000).map(|_| recv_len(&mut rng)).collect();
        let whole = lens.iter().filter(|&&len| len == MAX_PAYLOAD).count();
        assert!(whole > 700 && whole < 800, "{whole}");
        assert!(lens.iter().all(|&len| (1..=MAX_PAYLOAD).contains(&len)));
    }

    #[test]
    fn pieces_add_up_and_fit_one_send() {
        let mut rng = Rng::new(4);
        let mut pieces = Vec::new();
        let mut cut = 0;
        for len in [1, 40, 4136, 65_536, 65_576] {
            for _ in 0..50 {
                send_pieces(&mut rng, len, &mut pieces);
                assert_eq!(pieces.iter().sum::<usize>(), len);
                assert!(pieces.iter().all(|&p| (1..=MAX_PAYLOAD).contains(&p)));
                cut += usize::from(pieces.len() > len.div_ceil(MAX_PAYLOAD));
            }
        }
        assert!(cut > 0, "never cut at random points");
        send_pieces(&mut rng, 0, &mut pieces);
        assert!(pieces.is_empty());
    }

    #[test]
    fn fill_covers_odd_lengths() {
        let mut buf = [0u8; 13];
        Rng::new(5).fill(&mut buf);
        assert!(buf[8..].iter().any(|&b| b != 0));
    }
}
