//! A small seedable generator for `pick`: no dependency, no allocation.

/// SplitMix64: fast, seedable, good enough to spread picks. Give each router thread its
/// own, seeded differently, so that routers do not move in lockstep.
///
/// # Examples
///
/// ```
/// use slo_router::routing::PickRng;
///
/// let (mut a, mut b) = (PickRng::new(1), PickRng::new(1));
/// assert_eq!(a.below(10), b.below(10)); // same seed, same choices
/// ```
#[derive(Debug, Clone)]
pub struct PickRng(u64);

impl PickRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        PickRng(seed)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0), by multiply-shift: no division.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}
