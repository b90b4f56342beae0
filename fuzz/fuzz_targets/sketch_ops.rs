//! Drives random sequences of add / add_weighted / merge / quantile / cdf / clear on
//! every sketch backend, with NaN, ±∞, 0, subnormal and huge inputs, and checks the
//! invariants of the property tests: no panic, exact accounting, ordered answers inside
//! [min, max], bounded memory.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mimalloc::MiMalloc;
use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Interesting values the byte stream can pick by index, beside raw `f64` bit patterns.
const SPECIAL: [f64; 10] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    5e-324,
    f64::MIN_POSITIVE,
    f64::MAX,
    -f64::MAX,
    1e300,
];

/// Reads the fuzz input as a sequence of operations.
struct Ops<'a> {
    bytes: &'a [u8],
}

impl Ops<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn value(&mut self) -> Option<f64> {
        let selector = self.byte()?;
        if selector < 64 {
            return Some(SPECIAL[selector as usize % SPECIAL.len()]);
        }
        if selector < 160 {
            // A plausible latency: a small integer scaled.
            return Some(self.byte()? as f64 * (selector as f64 - 63.0) * 0.37);
        }
        let chunk = self.bytes.get(..8)?;
        self.bytes = &self.bytes[8..];
        Some(f64::from_le_bytes(chunk.try_into().ok()?))
    }
}

/// A sketch under test with a shadow of what it must report.
struct Checked<S> {
    sketch: S,
    other: S,
    count: u64,
    rejected: u64,
    other_count: u64,
    other_rejected: u64,
    /// The values this backend accepts; the rest must be counted as rejected.
    accepts: fn(f64) -> bool,
}

/// Adds `weight` to the accepted or the rejected tally.
fn tally(count: &mut u64, rejected: &mut u64, accepted: bool, weight: u64) {
    if accepted {
        *count += weight;
    } else {
        *rejected += weight;
    }
}

impl<S: QuantileSketch> Checked<S> {
    fn new(sketch: S, accepts: fn(f64) -> bool) -> Self {
        Checked {
            accepts,
            other: sketch.clone(),
            sketch,
            count: 0,
            rejected: 0,
            other_count: 0,
            other_rejected: 0,
        }
    }

    fn accepts(&self, value: f64) -> bool {
        (self.accepts)(value)
    }

    fn step(&mut self, op: u8, value: f64, weight: u64, q: f64) {
        match op % 8 {
            0 | 1 => {
                self.sketch.add(value);
                let accepted = self.accepts(value);
                tally(&mut self.count, &mut self.rejected, accepted, 1);
            }
            2 => {
                self.sketch.add_weighted(value, weight);
                let accepted = self.accepts(value);
                tally(&mut self.count, &mut self.rejected, accepted, weight);
            }
            3 => {
                self.other.add(value);
                let accepted = self.accepts(value);
                tally(&mut self.other_count, &mut self.other_rejected, accepted, 1);
            }
            4 => {
                let before = (self.other.count(), self.other.min(), self.other.max());
                self.sketch.merge(&self.other);
                assert_eq!(
                    before,
                    (self.other.count(), self.other.min(), self.other.max())
                );
                self.count += self.other_count;
                self.rejected += self.other_rejected;
            }
            5 => {
                self.sketch.clear();
                self.count = 0;
                self.rejected = 0;
            }
            _ => self.query(q, value),
        }
        assert_eq!(self.sketch.count(), self.count);
        assert_eq!(self.sketch.rejected(), self.rejected);
    }

    fn query(&self, q: f64, value: f64) {
        let s = &self.sketch;
        match (s.quantile(q), s.min(), s.max()) {
            (Some(v), Some(min), Some(max)) => {
                assert!(min <= v && v <= max, "q={q}: {v} outside [{min}, {max}]");
                let (lo, hi) = (s.quantile(q * 0.5).unwrap(), s.quantile(q.sqrt()).unwrap());
                assert!(
                    lo <= v && v <= hi,
                    "{}: not monotone at q={q}: {lo} {v} {hi}",
                    std::any::type_name::<S>()
                );
            }
            (None, _, _) => assert!(s.count() == 0 || !(0.0..=1.0).contains(&q)),
            other => panic!("inconsistent answers {other:?}"),
        }
        if let Some(f) = s.cdf(value) {
            assert!((0.0..=1.0).contains(&f), "cdf({value}) = {f}");
        }
        assert!(
            s.memory_bytes() < 1 << 20,
            "memory grew to {}",
            s.memory_bytes()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut ops = Ops { bytes: data };
    let mut tdigest = Checked::new(TDigest::default(), |v| v.abs() <= f64::from(f32::MAX));
    let mut ddsketch = Checked::new(
        DDSketch::with_max_bins(0.02, 64).expect("valid"),
        f64::is_finite,
    );
    let mut hdr = Checked::new(HdrSketch::new(1, 3_600_000_000, 2).expect("valid"), |v| {
        v.is_finite() && v >= 0.0
    });
    while let (Some(op), Some(value), Some(w), Some(q)) =
        (ops.byte(), ops.value(), ops.byte(), ops.byte())
    {
        let weight = u64::from(w) * u64::from(w);
        let q = if q == 255 { f64::NAN } else { q as f64 / 250.0 };
        tdigest.step(op, value, weight, q);
        ddsketch.step(op, value, weight, q);
        hdr.step(op, value, weight, q);
    }
    let mut t = tdigest.sketch.clone();
    t.compress();
    assert!(t.centroid_count() <= t.max_centroids());
});
