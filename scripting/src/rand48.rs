//! Redis's `redisLrand48`: the 48-bit linear congruential generator of
//! `rand48`, so `math.random` gives the same sequence on every platform
//! (and the same as Redis for the same seed).

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// `X0` of rand48: the state before any seeding.
const INITIAL: u64 = 0x1234_ABCD_330E;

#[derive(Debug, Clone)]
pub struct Rand48(u64);

impl Default for Rand48 {
    fn default() -> Self {
        Rand48(INITIAL)
    }
}

impl Rand48 {
    /// `redisSrand48`: the seed's 32 bits above rand48's fixed low word.
    pub fn seed(&mut self, seed: i32) {
        self.0 = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// The next value in `0..=i32::MAX`.
    pub fn next_i32(&mut self) -> i32 {
        self.0 = (A.wrapping_mul(self.0).wrapping_add(C)) & MASK;
        (self.0 >> 17) as i32
    }

    /// What `math.random()` returns: a number in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        const MAX: i32 = i32::MAX;
        (self.next_i32() % MAX) as f64 / MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_lrand48() {
        // glibc's lrand48 after srand48(0) starts with these.
        let mut r = Rand48::default();
        r.seed(0);
        assert_eq!(r.next_i32(), 366850414);
        assert_eq!(r.next_i32(), 1610402240);
    }
}
