//! A seeded random source for programs and host tests that must be able to
//! run again exactly: the fuzzers print their seed, and the same seed gives
//! the same calls. Nothing here makes a syscall.

/// A seeded xorshift64* generator: the same seed gives the same run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 spreads small seeds over the whole state; zero is the
        // one state xorshift never leaves.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 1 } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for byte in buf {
            *byte = self.next_u64() as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(seed: u64, count: usize) -> Vec<u64> {
        let mut rng = Rng::new(seed);
        (0..count).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn a_seed_gives_the_stream_it_always_gave() {
        // Seeds in old fuzz reports must replay the same calls: these are
        // the first numbers of two seeds, computed apart from this code.
        assert_eq!(draw(0, 3), [0x7bbc_b40d_5506_82d0, 0xde7f_e413_d00c_c9fd, 0xb3c6_3835_3c66_8c91]);
        assert_eq!(draw(10, 3), [0x0a51_d73f_1f0b_0836, 0xdbeb_f2c1_f449_789f, 0x7721_86f0_d934_c41c]);
    }

    #[test]
    fn the_generator_repeats_for_a_seed_and_differs_between_seeds() {
        assert_eq!(draw(1, 8), draw(1, 8));
        assert_ne!(draw(1, 8), draw(2, 8));
        assert!(draw(0, 8).iter().all(|&x| x != 0));
        let mut rng = Rng::new(3);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn choices_stay_in_range() {
        let mut rng = Rng::new(4);
        assert!((0..1000).all(|_| !rng.chance(0) && rng.chance(100)));
        assert!((0..1000).all(|_| [2, 3, 5].contains(&rng.pick(&[2, 3, 5]))));
        let mut bytes = [0u8; 64];
        rng.fill(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
    }
}
