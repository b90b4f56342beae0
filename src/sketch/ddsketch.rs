//! DDSketch (Masson, Rim & Lee): relative-error quantiles over logarithmic buckets.

use super::{QuantileSketch, Totals, valid_quantile};
use crate::error::ConfigError;

mod wire;

/// The bucket count at which the lowest buckets start to collapse, by default.
const DEFAULT_MAX_BINS: usize = 2048;
/// Extra bins allocated beside the occupied range when a store grows, so that a
/// slowly widening range does not reallocate on every new key.
const GROWTH_MARGIN: usize = 32;
/// The mapping is built for a hair less than the requested accuracy, so that rounding
/// in `ln` at a bucket boundary cannot push an answer past the promised bound.
const ACCURACY_MARGIN: f64 = 0.999;

/// A DDSketch: every quantile is answered within a relative error `α` of the exact
/// order statistic, as long as it lies above the collapsed range.
///
/// Values map to buckets by `key = ⌈ln|x| / ln γ⌉` with `γ = (1 + α)/(1 − α)`; positive
/// and negative values have separate stores, zero (and subnormal magnitudes) a bucket
/// of its own. Each store holds at most `max_bins` buckets; beyond that its lowest
/// buckets are folded together, so memory stays bounded and the guarantee is kept for
/// every quantile above the folded range. With `α = 1 %` and 2,048 bins, positive values
/// spanning a ratio of up to `γ^2048 ≈ 10¹⁷` are never folded.
///
/// # Examples
///
/// ```
/// use slo_router::sketch::{DDSketch, QuantileSketch};
///
/// let mut sketch = DDSketch::new(0.01)?;
/// for v in 1..=1000 {
///     sketch.add(v as f64);
/// }
/// let p90 = sketch.quantile(0.9).unwrap();
/// assert!((p90 - 900.0).abs() <= 0.01 * 900.0);
/// # Ok::<(), slo_router::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DDSketch {
    relative_accuracy: f64,
    gamma: f64,
    /// `1 / ln γ`.
    multiplier: f64,
    positive: Store,
    negative: Store,
    zero_count: u64,
    totals: Totals,
}

impl Default for DDSketch {
    /// Relative accuracy 1 % and 2,048 bins per store.
    fn default() -> Self {
        Self::build(0.01, DEFAULT_MAX_BINS)
    }
}

impl DDSketch {
    /// A sketch with relative accuracy `relative_accuracy` (in `(0, 1)`) and the default
    /// bin limit.
    pub fn new(relative_accuracy: f64) -> Result<Self, ConfigError> {
        Self::with_max_bins(relative_accuracy, DEFAULT_MAX_BINS)
    }

    /// A sketch with relative accuracy `relative_accuracy` and at most `max_bins` buckets
    /// per sign (at least 16).
    pub fn with_max_bins(relative_accuracy: f64, max_bins: usize) -> Result<Self, ConfigError> {
        if !(relative_accuracy > 0.0 && relative_accuracy < 1.0) {
            return Err(ConfigError::new(
                "relative_accuracy",
                relative_accuracy,
                "a value in (0, 1)",
            ));
        }
        if !(16..=1 << 20).contains(&max_bins) {
            return Err(ConfigError::new(
                "max_bins",
                max_bins,
                "a count in [16, 1048576]",
            ));
        }
        Ok(Self::build(relative_accuracy, max_bins))
    }

    fn build(relative_accuracy: f64, max_bins: usize) -> Self {
        let alpha = relative_accuracy * ACCURACY_MARGIN;
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        DDSketch {
            relative_accuracy,
            gamma,
            multiplier: 1.0 / gamma.ln(),
            positive: Store::new(max_bins),
            negative: Store::new(max_bins),
            zero_count: 0,
            totals: Totals::EMPTY,
        }
    }

    /// The relative accuracy this sketch guarantees.
    pub fn relative_accuracy(&self) -> f64 {
        self.relative_accuracy
    }

    /// `true` once a store has folded its lowest buckets: quantiles in the folded range
    /// lose the relative-error guarantee (those above it keep it).
    pub fn is_collapsed(&self) -> bool {
        self.positive.collapsed || self.negative.collapsed
    }

    /// The number of allocated buckets across both stores.
    pub fn bin_count(&self) -> usize {
        self.positive.bins.len() + self.negative.bins.len()
    }

    #[inline]
    fn key(&self, magnitude: f64) -> i32 {
        // Finite positive magnitudes give |ln| < 745, so the key fits an i32 easily.
        (magnitude.ln() * self.multiplier).ceil() as i32
    }

    /// The representative of bucket `key`: equally far, relatively, from both edges.
    fn value(&self, key: i32) -> f64 {
        2.0 * self.gamma.powi(key) / (self.gamma + 1.0)
    }

    #[inline]
    fn insert(&mut self, value: f64, weight: u64) {
        self.totals.record(value, weight);
        let magnitude = value.abs();
        if magnitude < f64::MIN_POSITIVE {
            self.zero_count += weight;
        } else if value > 0.0 {
            let key = self.key(magnitude);
            self.positive.add(key, weight);
        } else {
            let key = self.key(magnitude);
            self.negative.add(key, weight);
        }
    }
}

impl QuantileSketch for DDSketch {
    #[inline]
    fn add(&mut self, value: f64) {
        if value.is_finite() {
            self.insert(value, 1);
        } else {
            self.totals.rejected += 1;
        }
    }

    fn add_weighted(&mut self, value: f64, weight: u64) {
        if weight == 0 {
            return;
        }
        if value.is_finite() {
            self.insert(value, weight);
        } else {
            self.totals.rejected += weight;
        }
    }

    /// Adds `other`'s buckets. Both sketches should share the relative accuracy; when
    /// they do not, `other`'s buckets are re-mapped through their representatives.
    fn merge(&mut self, other: &Self) {
        if other.gamma == self.gamma {
            self.positive.absorb(&other.positive);
            self.negative.absorb(&other.negative);
            self.zero_count += other.zero_count;
            self.totals.absorb(&other.totals);
            return;
        }
        for (key, weight) in other.positive.iter() {
            let key = self.key(other.value(key));
            self.positive.add(key, weight);
        }
        for (key, weight) in other.negative.iter() {
            let key = self.key(other.value(key));
            self.negative.add(key, weight);
        }
        self.zero_count += other.zero_count;
        self.totals.absorb(&other.totals);
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        let count = self.totals.count;
        if count == 0 || !valid_quantile(q) {
            return None;
        }
        // The item at index ⌊q·(n − 1)⌋ in ascending order.
        let index = (q * (count - 1) as f64).floor() as u64;
        let negatives = self.negative.count;
        let estimate = if index < negatives {
            // Ascending values are descending magnitudes.
            -self.value(self.negative.key_at(negatives - 1 - index))
        } else if index < negatives + self.zero_count {
            0.0
        } else {
            self.value(self.positive.key_at(index - negatives - self.zero_count))
        };
        Some(estimate.clamp(self.totals.min, self.totals.max))
    }

    fn cdf(&self, value: f64) -> Option<f64> {
        let count = self.totals.count;
        if count == 0 || value.is_nan() {
            return None;
        }
        if value < self.totals.min {
            return Some(0.0);
        }
        if value >= self.totals.max {
            return Some(1.0);
        }
        let magnitude = value.abs();
        let at_or_below = if magnitude < f64::MIN_POSITIVE {
            self.negative.count + self.zero_count
        } else if value > 0.0 {
            self.negative.count + self.zero_count + self.positive.count_up_to(self.key(magnitude))
        } else {
            // Negative values at or below `value` have magnitudes at or above |value|.
            self.negative.count - self.negative.count_up_to(self.key(magnitude) - 1)
        };
        Some(at_or_below as f64 / count as f64)
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
        self.positive.clear();
        self.negative.clear();
        self.zero_count = 0;
        self.totals = Totals::EMPTY;
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + (self.positive.bins.capacity() + self.negative.bins.capacity())
                * std::mem::size_of::<u64>()
    }
}

/// Dense bucket counts for one sign, over keys `offset .. offset + bins.len()`, folding
/// the lowest keys together once more than `max_bins` would be needed.
#[derive(Debug, Clone)]
struct Store {
    bins: Vec<u64>,
    offset: i32,
    count: u64,
    /// Smallest and largest occupied keys; `i32::MAX` and `i32::MIN` while empty.
    min_key: i32,
    max_key: i32,
    max_bins: usize,
    collapsed: bool,
}

impl Store {
    fn new(max_bins: usize) -> Self {
        Store {
            bins: Vec::new(),
            offset: 0,
            count: 0,
            min_key: i32::MAX,
            max_key: i32::MIN,
            max_bins,
            collapsed: false,
        }
    }

    #[inline]
    fn add(&mut self, key: i32, weight: u64) {
        let index = key.wrapping_sub(self.offset) as u32 as usize;
        // The window never spans more than `max_bins` keys, so any key inside it keeps
        // the occupied range within the limit.
        if index < self.bins.len() {
            self.bins[index] += weight;
            self.count += weight;
            self.min_key = self.min_key.min(key);
            self.max_key = self.max_key.max(key);
        } else {
            self.add_slow(key, weight);
        }
    }

    /// A key outside the allocated window: widen the window, folding the lowest keys if
    /// the occupied range would exceed `max_bins`.
    #[cold]
    fn add_slow(&mut self, key: i32, weight: u64) {
        let hi = self.max_key.max(key);
        let mut lo = self.min_key.min(key);
        if hi as i64 - lo as i64 >= self.max_bins as i64 {
            lo = hi - self.max_bins as i32 + 1;
            self.collapsed = true;
        }
        let key = key.max(lo);
        let window_end = self.offset as i64 + self.bins.len() as i64;
        if lo < self.offset || hi as i64 >= window_end {
            self.relayout(lo, hi, key < self.min_key);
        } else if lo > self.min_key {
            self.fold_below(lo);
        }
        self.bins[(key - self.offset) as usize] += weight;
        self.count += weight;
        self.min_key = self.min_key.max(lo).min(key);
        self.max_key = self.max_key.max(key);
    }

    /// Moves the counts into a fresh window covering `lo ..= hi` plus a growth margin on
    /// the side the new key extends, folding every count below `lo` into `lo`.
    fn relayout(&mut self, lo: i32, hi: i32, growing_down: bool) {
        let span = (hi - lo + 1) as usize;
        let room = (self.max_bins - span).min(GROWTH_MARGIN);
        let offset = if growing_down { lo - room as i32 } else { lo };
        let mut bins = vec![0u64; span + room];
        for (old_key, weight) in self.iter() {
            let k = old_key.max(lo);
            bins[(k - offset) as usize] += weight;
        }
        self.bins = bins;
        self.offset = offset;
    }

    fn fold_below(&mut self, lo: i32) {
        let mut folded = 0;
        for k in self.min_key..lo {
            let slot = &mut self.bins[(k - self.offset) as usize];
            folded += *slot;
            *slot = 0;
        }
        self.bins[(lo - self.offset) as usize] += folded;
        self.min_key = lo;
    }

    fn absorb(&mut self, other: &Store) {
        if other.count == 0 {
            return;
        }
        let window_end = self.offset as i64 + self.bins.len() as i64;
        if self.count > 0 && other.min_key >= self.offset && (other.max_key as i64) < window_end {
            // Every occupied key of `other` fits our window: add the counts slice-wise.
            let from = &other.bins
                [(other.min_key - other.offset) as usize..=(other.max_key - other.offset) as usize];
            let start = (other.min_key - self.offset) as usize;
            for (to, &c) in self.bins[start..start + from.len()].iter_mut().zip(from) {
                *to += c;
            }
            self.count += other.count;
            self.min_key = self.min_key.min(other.min_key);
            self.max_key = self.max_key.max(other.max_key);
        } else {
            for (key, weight) in other.iter() {
                self.add(key, weight);
            }
        }
        self.collapsed |= other.collapsed;
    }

    /// Occupied `(key, count)` pairs in ascending key order.
    fn iter(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        let offset = self.offset;
        self.bins
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(move |(i, &c)| (offset + i as i32, c))
    }

    /// The key holding the item at `index` (0-based, ascending). Walks from the nearer
    /// end, so tail quantiles touch few buckets.
    fn key_at(&self, index: u64) -> i32 {
        debug_assert!(index < self.count);
        let occupied = &self.bins
            [(self.min_key - self.offset) as usize..=(self.max_key - self.offset) as usize];
        if index < self.count / 2 {
            let mut seen = 0;
            for (i, &c) in occupied.iter().enumerate() {
                seen += c;
                if seen > index {
                    return self.min_key + i as i32;
                }
            }
        } else {
            let from_top = self.count - 1 - index;
            let mut seen = 0;
            for (i, &c) in occupied.iter().enumerate().rev() {
                seen += c;
                if seen > from_top {
                    return self.min_key + i as i32;
                }
            }
        }
        self.max_key
    }

    /// Total count in keys `<= key`.
    fn count_up_to(&self, key: i32) -> u64 {
        if self.count == 0 || key < self.min_key {
            return 0;
        }
        if key >= self.max_key {
            return self.count;
        }
        let start = (self.min_key - self.offset) as usize;
        let end = (key - self.offset) as usize;
        self.bins[start..=end].iter().sum()
    }

    fn clear(&mut self) {
        self.bins.iter_mut().for_each(|c| *c = 0);
        self.count = 0;
        self.min_key = i32::MAX;
        self.max_key = i32::MIN;
        self.collapsed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_lowest_bins_and_keeps_count() {
        let mut s = DDSketch::with_max_bins(0.01, 16).unwrap();
        for i in 0..200 {
            s.add(1.1f64.powi(i));
        }
        assert_eq!(s.count(), 200);
        assert!(s.is_collapsed());
        assert!(s.positive.max_key - s.positive.min_key < 16);
        // The top quantile keeps the relative guarantee.
        let top = 1.1f64.powi(199);
        let q = s.quantile(1.0).unwrap();
        assert!((q - top).abs() <= 0.01 * top);
    }

    #[test]
    fn merging_equals_inserting_everything_into_one() {
        let a_values: Vec<f64> = (1..2000).map(|i| i as f64 * 0.37).collect();
        let b_values: Vec<f64> = (1..500).map(|i| 100.0 + i as f64 * 0.11).collect();
        let far_values = [1e-6, 1e9]; // outside `a`'s window: the per-bin path
        for other_values in [&b_values[..], &far_values[..]] {
            let (mut merged, mut other, mut direct) = (
                DDSketch::default(),
                DDSketch::default(),
                DDSketch::default(),
            );
            a_values.iter().for_each(|&v| merged.add(v));
            other_values.iter().for_each(|&v| other.add(v));
            a_values
                .iter()
                .chain(other_values)
                .for_each(|&v| direct.add(v));
            merged.merge(&other);
            assert_eq!(merged.count(), direct.count());
            for i in 0..=100 {
                let q = i as f64 / 100.0;
                assert_eq!(merged.quantile(q), direct.quantile(q), "q={q}");
            }
        }
    }

    #[test]
    fn negative_and_zero_values_are_ordered() {
        let mut s = DDSketch::default();
        for v in [-100.0, -10.0, 0.0, 10.0, 100.0] {
            s.add(v);
        }
        assert_eq!(s.quantile(0.0), Some(-100.0));
        assert!((s.quantile(0.25).unwrap() + 10.0).abs() < 0.1);
        assert_eq!(s.quantile(0.5), Some(0.0));
        assert!((s.quantile(0.75).unwrap() - 10.0).abs() < 0.1);
        assert_eq!(s.quantile(1.0), Some(100.0));
        assert_eq!(s.cdf(0.0), Some(0.6));
        assert_eq!(s.cdf(-50.0), Some(0.2));
    }

    #[test]
    fn accuracy_is_validated() {
        for bad in [0.0, 1.0, -0.5, f64::NAN] {
            assert_eq!(DDSketch::new(bad).unwrap_err().field(), "relative_accuracy");
        }
        assert_eq!(
            DDSketch::with_max_bins(0.01, 2).unwrap_err().field(),
            "max_bins"
        );
    }
}
