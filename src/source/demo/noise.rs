//! A small deterministic RNG for the demo: every random number is a hash of
//! (seed, what it is for, when), so a value never depends on how often anyone asked.
//!
//! Built on splitmix64; no `rand` crate.

/// One round of splitmix64: a good 64-bit mixer.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over a string: turns a series or purpose name into a hash key.
pub const fn key(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
        i += 1;
    }
    h
}

/// The hash of (seed, key, n): the root of every random value.
pub fn mix(seed: u64, key: u64, n: i64) -> u64 {
    let a = splitmix64(seed ^ splitmix64(key));
    splitmix64(a ^ (n as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// A 64-bit hash to a float in [0, 1).
pub fn to_unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform in [0, 1).
pub fn unit(seed: u64, key: u64, n: i64) -> f64 {
    to_unit(mix(seed, key, n))
}

/// Uniform in [-1, 1).
pub fn signed(seed: u64, key: u64, n: i64) -> f64 {
    unit(seed, key, n) * 2.0 - 1.0
}

/// Roughly standard normal (Irwin-Hall of four uniforms), within about ±3.5.
pub fn gauss(seed: u64, key: u64, n: i64) -> f64 {
    let h = mix(seed, key, n);
    let sum: f64 = (0..4)
        .map(|i| ((h >> (16 * i)) & 0xFFFF) as f64 / 65536.0)
        .sum();
    // Mean 2, variance 4/12.
    (sum - 2.0) / (1.0f64 / 3.0).sqrt()
}

/// Smooth value noise in [-1, 1]: random knots every `period` seconds, eased between.
pub fn smooth(seed: u64, key: u64, t: f64, period: f64) -> f64 {
    let x = t / period;
    let i = x.floor();
    let f = x - i;
    let a = signed(seed, key, i as i64);
    let b = signed(seed, key, i as i64 + 1);
    let s = f * f * (3.0 - 2.0 * f);
    a + (b - a) * s
}

/// How many events happen when `expected` are expected: an unbiased integer near it,
/// with some spread. `u1`, `u2` are independent uniforms in [0, 1).
pub fn count(expected: f64, u1: f64, u2: f64) -> u64 {
    if expected <= 0.0 {
        return 0;
    }
    let jittered = expected * (0.7 + 0.6 * u1);
    (jittered + u2).floor() as u64
}

/// A sequential generator for building one log line: seeded from a hash, then stepped.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix64(self.0)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        to_unit(self.next_u64())
    }

    /// Uniform integer in [lo, hi).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64) as usize]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.range(0, items.len() as u64) as usize]
    }

    /// A request id in UUID form (version 4 layout).
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            8 + (b >> 62),
            (b >> 48) & 0xFFF,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_and_spread() {
        assert_eq!(mix(1, 2, 3), mix(1, 2, 3));
        assert_ne!(mix(1, 2, 3), mix(1, 2, 4));
        assert_ne!(mix(1, 2, 3), mix(2, 2, 3));
        let mean: f64 = (0..10_000).map(|n| unit(7, key("x"), n)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        let g: Vec<f64> = (0..10_000).map(|n| gauss(7, key("g"), n)).collect();
        let gm = g.iter().sum::<f64>() / g.len() as f64;
        let var = g.iter().map(|x| (x - gm).powi(2)).sum::<f64>() / g.len() as f64;
        assert!(gm.abs() < 0.05 && (var - 1.0).abs() < 0.1, "{gm} {var}");
        for n in 0..1000 {
            let s = smooth(3, key("s"), n as f64 * 17.0, 600.0);
            assert!((-1.0..=1.0).contains(&s));
        }
    }

    #[test]
    fn counts_are_unbiased() {
        let total: u64 = (0..20_000)
            .map(|n| count(0.3, unit(1, 1, n), unit(1, 2, n)))
            .sum();
        let mean = total as f64 / 20_000.0;
        assert!((mean - 0.3).abs() < 0.02, "{mean}");
        assert_eq!(count(0.0, 0.9, 0.9), 0);
    }

    #[test]
    fn uuid_shape() {
        let u = Rng::new(5).uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert_eq!(u.matches('-').count(), 4);
    }
}
