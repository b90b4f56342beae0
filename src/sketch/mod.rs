//! Streaming, mergeable quantile sketches.
//!
//! One trait, [`QuantileSketch`], and three backends:
//!
//! | backend | error model | memory | best at |
//! |---|---|---|---|
//! | [`TDigest`] (default) | rank error, finest at the tails | bounded by a function of the compression | tails, compact wire size |
//! | [`DDSketch`] | relative value error `α` for every quantile | bounded bin count | guaranteed relative error, fast merge |
//! | [`HdrSketch`] | relative value error from significant figures | fixed by range and precision | exactness in a known range |
//!
//! Every backend refuses NaN and ±∞: such inputs change nothing but
//! [`QuantileSketch::rejected`]. An empty sketch answers `None`, never a made-up `0.0`.

mod ddsketch;
mod hdr;
mod tdigest;

pub use ddsketch::DDSketch;
pub use hdr::HdrSketch;
pub use tdigest::{ScaleFunction, TDigest};

use crate::wire::{self, DecodeError};

/// A streaming quantile sketch: values go in one at a time (or weighted, or as another
/// sketch), quantiles come out.
///
/// Implementations never panic on any `f64` input: non-finite values are refused and
/// counted in [`rejected`](QuantileSketch::rejected).
///
/// # Examples
///
/// ```
/// use slo_router::sketch::{QuantileSketch, TDigest};
///
/// fn p99<S: QuantileSketch>(sketch: &S) -> Option<f64> {
///     sketch.quantile(0.99)
/// }
///
/// let mut digest = TDigest::default();
/// assert_eq!(p99(&digest), None);
/// for v in 1..=1000 {
///     digest.add(v as f64);
/// }
/// let estimate = p99(&digest).unwrap();
/// assert!((estimate - 990.0).abs() < 2.0);
/// ```
pub trait QuantileSketch: Clone + Send + Sync + 'static {
    /// Adds one value. Non-finite values are ignored and counted in [`rejected`](Self::rejected).
    fn add(&mut self, value: f64);

    /// Adds `value` with integer weight `weight`, as if added `weight` times.
    /// A weight of zero is a no-op.
    fn add_weighted(&mut self, value: f64, weight: u64);

    /// Folds `other` into `self`. `other` is not modified.
    fn merge(&mut self, other: &Self);

    /// The estimated value at quantile `q`. `None` when the sketch is empty or `q` is not
    /// in `[0, 1]` (including NaN).
    fn quantile(&self, q: f64) -> Option<f64>;

    /// The estimated values at several quantiles, written to `out` (pairwise with `qs`).
    /// Backends override it to share work between the queries.
    fn quantiles(&self, qs: &[f64], out: &mut [Option<f64>]) {
        for (q, slot) in qs.iter().zip(out.iter_mut()) {
            *slot = self.quantile(*q);
        }
    }

    /// The estimated fraction of weight at or below `value`. `None` when the sketch is
    /// empty or `value` is NaN.
    fn cdf(&self, value: f64) -> Option<f64>;

    /// The exact number of accepted values (total weight).
    fn count(&self) -> u64;

    /// The exact smallest accepted value.
    fn min(&self) -> Option<f64>;

    /// The exact largest accepted value.
    fn max(&self) -> Option<f64>;

    /// The mean of the accepted values.
    fn mean(&self) -> Option<f64> {
        let count = self.count();
        (count > 0).then(|| self.sum() / count as f64)
    }

    /// The sum of the accepted values (each multiplied by its weight).
    fn sum(&self) -> f64;

    /// How many inputs were refused (NaN, ±∞, or out of the backend's range), by weight.
    fn rejected(&self) -> u64;

    /// Empties the sketch, keeping its configuration and, where possible, its allocations.
    fn clear(&mut self);

    /// Heap and inline bytes held by the sketch right now.
    fn memory_bytes(&self) -> usize;

    /// Merges anything buffered, so that queries and merges are cheap, keeping the
    /// buffers' memory for further inserts. Answers do not change.
    fn flush(&mut self) {}

    /// Like [`flush`](Self::flush), and also releases memory kept only to speed up
    /// inserts. For sketches that will be queried and merged but rarely added to again
    /// (closed sub-windows, merged results).
    fn compact(&mut self) {
        self.flush();
    }
}

/// Exact running statistics shared by the backends: count, sum, min, max, rejected.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Totals {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    rejected: u64,
}

impl Totals {
    const EMPTY: Totals = Totals {
        count: 0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        rejected: 0,
    };

    #[inline]
    fn record(&mut self, value: f64, weight: u64) {
        self.count += weight;
        self.sum += value * weight as f64;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    fn absorb(&mut self, other: &Totals) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.rejected += other.rejected;
    }

    fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Wire form: count, rejected, sum, then min and max when not empty.
    fn encode(&self, out: &mut Vec<u8>) {
        wire::put_varint(out, self.count);
        wire::put_varint(out, self.rejected);
        wire::put_f64(out, self.sum);
        if self.count > 0 {
            wire::put_f64(out, self.min);
            wire::put_f64(out, self.max);
        }
    }

    /// The sum may be infinite (an overflowed sum of huge values) but not NaN; min and
    /// max must be finite and ordered.
    fn decode(input: &mut &[u8]) -> Result<Totals, DecodeError> {
        let count = wire::get_varint(input)?;
        let rejected = wire::get_varint(input)?;
        let sum = wire::get_f64(input)?;
        if sum.is_nan() {
            return Err(DecodeError::NonFinite { what: "sum" });
        }
        if count == 0 {
            if sum != 0.0 {
                return Err(DecodeError::Inconsistent {
                    what: "an empty sketch with a non-zero sum",
                });
            }
            return Ok(Totals {
                rejected,
                ..Totals::EMPTY
            });
        }
        let min = wire::get_finite(input, "min")?;
        let max = wire::get_finite(input, "max")?;
        if min > max {
            return Err(DecodeError::Inconsistent {
                what: "min above max",
            });
        }
        Ok(Totals {
            count,
            sum,
            min,
            max,
            rejected,
        })
    }
}

/// `true` when `q` is a valid quantile: in `[0, 1]` and not NaN.
#[inline]
fn valid_quantile(q: f64) -> bool {
    (0.0..=1.0).contains(&q)
}
