//! An adapter over the `hdrhistogram` crate.

use hdrhistogram::Histogram;

use super::{QuantileSketch, Totals, valid_quantile};
use crate::error::ConfigError;

mod v2;
mod wire;

/// Microseconds per millisecond: values are latencies in milliseconds, stored as
/// integer microseconds.
const MICROS_PER_MILLI: f64 = 1000.0;

/// An HdrHistogram behind the [`QuantileSketch`] trait.
///
/// Values are latencies in **milliseconds**; the histogram stores them as integer
/// microseconds, by default between 1 µs and 1 hour with 3 significant figures (a
/// relative resolution of about 0.05 %). Values above the highest trackable value are
/// clamped to it and counted in [`clamped`](HdrSketch::clamped); negative values cannot
/// be represented and are refused like NaN and ±∞, counted in
/// [`rejected`](QuantileSketch::rejected). Count, sum, min and max stay exact.
///
/// # Examples
///
/// ```
/// use slo_router::sketch::{HdrSketch, QuantileSketch};
///
/// let mut sketch = HdrSketch::default();
/// for ms in 1..=100 {
///     sketch.add(ms as f64);
/// }
/// sketch.add(10_000_000.0); // about 2.8 hours: clamped to 1 hour
/// assert_eq!(sketch.clamped(), 1);
/// let median = sketch.quantile(0.5).unwrap();
/// assert!((median - 51.0).abs() < 0.1);
/// ```
#[derive(Debug, Clone)]
pub struct HdrSketch {
    histogram: Histogram<u64>,
    highest_micros: u64,
    clamped: u64,
    totals: Totals,
}

impl Default for HdrSketch {
    /// 1 µs to 1 hour, 3 significant figures.
    fn default() -> Self {
        Self::new(1, 3_600_000_000, 3).expect("the default bounds are valid")
    }
}

impl HdrSketch {
    /// A sketch tracking `lowest_micros ..= highest_micros` microseconds with
    /// `significant_figures` (0 to 5) of precision.
    pub fn new(
        lowest_micros: u64,
        highest_micros: u64,
        significant_figures: u8,
    ) -> Result<Self, ConfigError> {
        if lowest_micros == 0 {
            return Err(ConfigError::new(
                "lowest_micros",
                lowest_micros,
                "at least 1",
            ));
        }
        if highest_micros < lowest_micros.saturating_mul(2) {
            return Err(ConfigError::new(
                "highest_micros",
                highest_micros,
                "at least twice lowest_micros",
            ));
        }
        if significant_figures > 5 {
            return Err(ConfigError::new(
                "significant_figures",
                significant_figures,
                "a value in 0..=5",
            ));
        }
        let histogram =
            Histogram::new_with_bounds(lowest_micros, highest_micros, significant_figures)
                .map_err(|_| {
                    ConfigError::new("highest_micros", highest_micros, "a supported range")
                })?;
        Ok(HdrSketch {
            histogram,
            highest_micros,
            clamped: 0,
            totals: Totals::EMPTY,
        })
    }

    /// How many values (by weight) were above the range and recorded as its top.
    pub fn clamped(&self) -> u64 {
        self.clamped
    }

    /// The underlying histogram (integer microseconds), for HdrHistogram tooling.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    #[inline]
    fn record(&mut self, value: f64, weight: u64) {
        if !value.is_finite() || value < 0.0 {
            self.totals.rejected += weight;
            return;
        }
        self.totals.record(value, weight);
        let micros = (value * MICROS_PER_MILLI).round();
        let micros = if micros > self.highest_micros as f64 {
            self.clamped += weight;
            self.highest_micros
        } else {
            micros as u64
        };
        // In range by construction; a saturated counter is the only other failure, and
        // then the count stays at its maximum rather than wrapping.
        let _ = self.histogram.record_n(micros, weight);
    }
}

impl QuantileSketch for HdrSketch {
    #[inline]
    fn add(&mut self, value: f64) {
        self.record(value, 1);
    }

    fn add_weighted(&mut self, value: f64, weight: u64) {
        if weight > 0 {
            self.record(value, weight);
        }
    }

    fn merge(&mut self, other: &Self) {
        if self.histogram.add(&other.histogram).is_err() {
            // Different ranges: re-record other's buckets, clamping what does not fit.
            for bucket in other.histogram.iter_recorded() {
                let micros = bucket.value_iterated_to().min(self.highest_micros);
                if micros < bucket.value_iterated_to() {
                    self.clamped += bucket.count_at_value();
                }
                let _ = self.histogram.record_n(micros, bucket.count_at_value());
            }
        }
        self.clamped += other.clamped;
        self.totals.absorb(&other.totals);
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        if self.totals.count == 0 || !valid_quantile(q) {
            return None;
        }
        let micros = self.histogram.value_at_quantile(q);
        let middle = self.histogram.median_equivalent(micros);
        Some((middle as f64 / MICROS_PER_MILLI).clamp(self.totals.min, self.totals.max))
    }

    fn cdf(&self, value: f64) -> Option<f64> {
        if self.totals.count == 0 || value.is_nan() {
            return None;
        }
        if value < self.totals.min {
            return Some(0.0);
        }
        if value >= self.totals.max {
            return Some(1.0);
        }
        let micros = (value * MICROS_PER_MILLI).round() as u64;
        let below = self.histogram.count_between(0, micros);
        Some((below as f64 / self.histogram.len() as f64).min(1.0))
    }

    fn count(&self) -> u64 {
        self.totals.count
    }

    fn min(&self) -> Option<f64> {
        self.totals.min()
    }

    fn max(&self) -> Option<f64> {
        self.totals.max()
    }

    fn sum(&self) -> f64 {
        self.totals.sum
    }

    fn rejected(&self) -> u64 {
        self.totals.rejected
    }

    fn clear(&mut self) {
        self.histogram.reset();
        self.clamped = 0;
        self.totals = Totals::EMPTY;
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.histogram.distinct_values() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_validated() {
        assert_eq!(
            HdrSketch::new(0, 10, 3).unwrap_err().field(),
            "lowest_micros"
        );
        assert_eq!(
            HdrSketch::new(10, 15, 3).unwrap_err().field(),
            "highest_micros"
        );
        assert_eq!(
            HdrSketch::new(1, 1000, 6).unwrap_err().field(),
            "significant_figures"
        );
    }

    #[test]
    fn negative_values_are_refused() {
        let mut s = HdrSketch::default();
        s.add(-1.0);
        s.add_weighted(f64::NEG_INFINITY, 3);
        assert_eq!(s.count(), 0);
        assert_eq!(s.rejected(), 4);
        assert_eq!(s.quantile(0.5), None);
    }

    #[test]
    fn merge_across_ranges_clamps() {
        let mut small = HdrSketch::new(1, 1_000_000, 3).unwrap();
        let mut big = HdrSketch::default();
        big.add(5_000.0); // 5 s, above `small`'s 1 s range
        big.add(1.0);
        small.merge(&big);
        assert_eq!(small.count(), 2);
        assert_eq!(small.clamped(), 1);
        assert_eq!(small.max(), Some(5_000.0));
    }
}
