//! Deterministic measurement noise: a seeded linear congruential generator, so that two runs
//! of the simulator with the same steps give the same values (tests are reproducible).

/// A 64-bit LCG (Knuth's MMIX constants). Not for anything but plausible sensor jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lcg {
    /// Current state.
    state: u64,
}

impl Lcg {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Next raw value.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.state
    }

    /// Next value, uniform in [-1, 1).
    pub fn next_signed(&mut self) -> f64 {
        // The upper 53 bits are the best-mixed ones of an LCG.
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_bounded() {
        let mut a = Lcg::new(7);
        let mut b = Lcg::new(7);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let x = a.next_signed();
            assert_eq!(x, b.next_signed());
            assert!((-1.0..1.0).contains(&x));
            sum += x;
        }
        assert!(
            (sum / 10_000.0).abs() < 0.05,
            "noise should be about zero-mean"
        );
    }
}
