//! The merging T-Digest (Dunning & Ertl), with a selectable scale function.

use super::{QuantileSketch, Totals, valid_quantile};
use crate::error::{ConfigError, positive_finite};

mod merge;
mod query;
mod reference;
mod scale;
mod wire;

use merge::{cluster, merge_in_place, merge_slices, sort_key};
use query::View;
use scale::ScaleCurve;
pub use scale::ScaleFunction;

/// A stored cluster: its mean and how many values it holds. Single precision halves
/// the memory of every digest (a 5-sub-window ring keeps seven); a mean is off by at
/// most 6e-8 relative, far inside any quantile bound, and count, sum, min and max are
/// kept exactly beside the centroids.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Centroid {
    mean: f32,
    weight: f32,
}

/// A weighted point in double precision: what buffers hold and merge passes compute.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    mean: f64,
    weight: f64,
}

impl From<Centroid> for Point {
    #[inline]
    fn from(c: Centroid) -> Self {
        Point {
            mean: f64::from(c.mean),
            weight: f64::from(c.weight),
        }
    }
}

impl From<Point> for Centroid {
    #[inline]
    fn from(p: Point) -> Self {
        Centroid {
            mean: p.mean as f32,
            weight: p.weight as f32,
        }
    }
}

/// The largest magnitude a digest accepts: centroids are stored in single precision.
const MAX_MAGNITUDE: f64 = f32::MAX as f64;

/// `true` for the values a digest takes: finite, within single-precision range.
#[inline]
fn accepts(value: f64) -> bool {
    value.is_finite() && value.abs() <= MAX_MAGNITUDE
}

/// Pending unit values per unit of compression: a buffer of `10 × compression` values
/// is sorted and merged at once, which amortises the sort over many inserts.
const UNIT_BUFFER_FACTOR: f64 = 10.0;
/// Pending weighted points (from `add_weighted` and `merge`) per unit of compression.
/// Merged digests are folded into this buffer by a linear merge, whose cost grows with
/// the buffer: 4 × compression measured fastest for 64-way merges.
const WEIGHTED_BUFFER_FACTOR: f64 = 4.0;

/// A merging T-Digest: a streaming, mergeable quantile sketch whose clusters are small
/// near the extremes and larger in the middle, so tail quantiles stay accurate in
/// bounded memory.
///
/// Values are buffered and folded into the centroids with one sort-then-merge pass when
/// a buffer fills. Queries take `&self`: on a digest with unmerged values they work on a
/// merged copy (when only other digests' clusters are pending, on their union, without
/// a merge pass), so call [`compress`](TDigest::compress) first when querying often.
///
/// * Exact count, sum, min and max; the extremes are singleton clusters and
///   interpolation uses the exact min and max.
/// * Centroids are stored in single precision (8 bytes each): values of magnitude
///   above `f32::MAX` (3.4 × 10³⁸) are refused like NaN and counted in
///   [`rejected`](QuantileSketch::rejected).
/// * Merging combines centroids as weighted points; it never expands a weight into copies.
/// * The number of centroids never exceeds [`max_centroids`](TDigest::max_centroids),
///   a function of the compression and scale function only, for any input size and order.
///
/// The default scale function is [`ScaleFunction::Hybrid`], chosen by the accuracy
/// measurements in the README.
///
/// # Examples
///
/// ```
/// use slo_router::sketch::{QuantileSketch, TDigest};
///
/// let mut digest = TDigest::new(100.0)?;
/// for v in 1..=10_000 {
///     digest.add(v as f64);
/// }
/// digest.add(f64::NAN); // refused and counted
/// assert_eq!(digest.count(), 10_000);
/// assert_eq!(digest.rejected(), 1);
/// let p99 = digest.quantile(0.99).unwrap();
/// assert!((p99 - 9_900.0).abs() / 9_900.0 < 0.01);
/// # Ok::<(), slo_router::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TDigest {
    compression: f64,
    scale: ScaleFunction,
    /// Merged clusters, sorted by mean.
    centroids: Vec<Centroid>,
    /// Unit-weight values not yet merged, in arrival order, as order-preserving integer
    /// keys of their single-precision value (see [`sort_key`]): integers sort much
    /// faster than floats under `total_cmp`, and half-width keys halve the buffer.
    unit_buffer: Vec<u32>,
    /// Weighted points not yet merged (from `add_weighted` and `merge`).
    weighted_buffer: Vec<Point>,
    /// `weighted_buffer` is sorted by mean: merged digests are folded in with a linear
    /// merge, which keeps it so and spares the sort.
    weighted_sorted: bool,
    /// `weighted_buffer` holds only other digests' clusters (no raw weighted adds), so
    /// a query may walk its union with the centroids without a merge pass.
    weighted_are_clusters: bool,
    unit_capacity: usize,
    weighted_capacity: usize,
    totals: Totals,
}

impl Default for TDigest {
    /// Compression 100 with the default scale function.
    fn default() -> Self {
        Self::build(100.0, ScaleFunction::default())
    }
}

impl TDigest {
    /// A digest with the given compression (δ) and the default scale function.
    ///
    /// Larger compression means more, smaller clusters: more accuracy and memory.
    /// Returns an error unless `compression` is finite and at least 10.
    pub fn new(compression: f64) -> Result<Self, ConfigError> {
        Self::with_scale(compression, ScaleFunction::default())
    }

    /// A digest with the given compression and scale function.
    pub fn with_scale(compression: f64, scale: ScaleFunction) -> Result<Self, ConfigError> {
        let compression = positive_finite("compression", compression)?;
        if !(10.0..=100_000.0).contains(&compression) {
            return Err(ConfigError::new(
                "compression",
                compression,
                "a value in [10, 100000]",
            ));
        }
        Ok(Self::build(compression, scale))
    }

    fn build(compression: f64, scale: ScaleFunction) -> Self {
        TDigest {
            compression,
            scale,
            centroids: Vec::new(),
            unit_buffer: Vec::new(),
            weighted_buffer: Vec::new(),
            weighted_sorted: true,
            weighted_are_clusters: true,
            unit_capacity: (compression * UNIT_BUFFER_FACTOR).ceil() as usize,
            weighted_capacity: (compression * WEIGHTED_BUFFER_FACTOR).ceil() as usize,
            totals: Totals::EMPTY,
        }
    }

    /// The compression (δ) this digest was built with.
    pub fn compression(&self) -> f64 {
        self.compression
    }

    /// The scale function this digest was built with.
    pub fn scale_function(&self) -> ScaleFunction {
        self.scale
    }

    /// The number of merged centroids (after [`compress`](Self::compress), all of them).
    pub fn centroid_count(&self) -> usize {
        self.centroids.len()
    }

    /// The most centroids this digest can ever hold after a merge pass, whatever the
    /// number and order of the values: `2 × k_range + 3`, where `k_range` is the span of
    /// the scale function (see [`ScaleFunction`]).
    pub fn max_centroids(&self) -> usize {
        ScaleCurve::max_centroids(self.scale, self.compression)
    }

    /// The merged centroids as `(mean, weight)` pairs, sorted by mean. Pending values
    /// are not included: call [`compress`](Self::compress) first.
    pub fn centroids(&self) -> impl ExactSizeIterator<Item = (f64, f64)> + '_ {
        self.centroids
            .iter()
            .map(|&c| (f64::from(c.mean), f64::from(c.weight)))
    }

    /// `true` when values are buffered and not yet merged into the centroids.
    pub fn has_pending(&self) -> bool {
        !self.unit_buffer.is_empty() || !self.weighted_buffer.is_empty()
    }

    /// Merges every buffered value into the centroids.
    pub fn compress(&mut self) {
        if !self.has_pending() {
            return;
        }
        self.unit_buffer.sort_unstable();
        if !self.weighted_sorted {
            self.weighted_buffer
                .sort_unstable_by(|a, b| a.mean.total_cmp(&b.mean));
        }
        let old = std::mem::take(&mut self.centroids);
        let total = self.totals.count as f64;
        let curve = ScaleCurve::new(self.scale, self.compression, total);
        let mut out = Vec::with_capacity(old.len().max(16).min(self.max_centroids()));
        if self.weighted_buffer.is_empty() {
            cluster(&old, &self.unit_buffer, total, &curve, &mut out);
        } else {
            let base = merge_slices(&old, &self.weighted_buffer);
            cluster(&base, &self.unit_buffer, total, &curve, &mut out);
        }
        self.centroids = out;
        self.unit_buffer.clear();
        self.weighted_buffer.clear();
        self.weighted_sorted = true;
        self.weighted_are_clusters = true;
    }

    #[inline]
    fn push_weighted(&mut self, mean: f64, weight: f64) {
        if self
            .weighted_buffer
            .last()
            .is_some_and(|last| last.mean > mean)
        {
            self.weighted_sorted = false;
        }
        self.weighted_buffer.push(Point { mean, weight });
        if self.weighted_buffer.len() >= self.weighted_capacity {
            self.compress();
        }
    }

    /// The clusters a query walks, without touching `self`: the stored centroids; when
    /// only other digests' clusters are pending, their union with the centroids (one
    /// linear merge, no merge pass); otherwise a compressed copy.
    fn view(&self) -> View<'_> {
        if !self.has_pending() {
            View::Stored(&self.centroids)
        } else if self.unit_buffer.is_empty() && self.weighted_sorted && self.weighted_are_clusters
        {
            View::Points(merge_slices(&self.centroids, &self.weighted_buffer))
        } else {
            let mut merged = self.clone();
            merged.compress();
            View::Points(merged.centroids.iter().map(|&c| c.into()).collect())
        }
    }
}

impl QuantileSketch for TDigest {
    #[inline]
    fn add(&mut self, value: f64) {
        if !accepts(value) {
            self.totals.rejected += 1;
            return;
        }
        self.totals.record(value, 1);
        self.unit_buffer.push(sort_key(value as f32));
        if self.unit_buffer.len() >= self.unit_capacity {
            self.compress();
        }
    }

    fn add_weighted(&mut self, value: f64, weight: u64) {
        if weight <= 1 {
            if weight == 1 {
                self.add(value);
            }
            return;
        }
        if !accepts(value) {
            self.totals.rejected += weight;
            return;
        }
        self.totals.record(value, weight);
        self.weighted_are_clusters = false;
        self.push_weighted(value, weight as f64);
    }

    fn merge(&mut self, other: &Self) {
        self.totals.absorb(&other.totals);
        if self.weighted_sorted && !other.centroids.is_empty() {
            merge_in_place(&mut self.weighted_buffer, &other.centroids);
            if self.weighted_buffer.len() >= self.weighted_capacity {
                self.compress();
            }
        } else {
            for &c in &other.centroids {
                let p = Point::from(c);
                self.push_weighted(p.mean, p.weight);
            }
        }
        self.weighted_are_clusters &= other.weighted_are_clusters;
        for &c in &other.weighted_buffer {
            self.push_weighted(c.mean, c.weight);
        }
        for &key in &other.unit_buffer {
            self.unit_buffer.push(key);
            if self.unit_buffer.len() >= self.unit_capacity {
                self.compress();
            }
        }
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        if self.totals.count == 0 || !valid_quantile(q) {
            return None;
        }
        Some(self.view().quantile(q, &self.totals))
    }

    fn quantiles(&self, qs: &[f64], out: &mut [Option<f64>]) {
        let view = (self.totals.count > 0).then(|| self.view());
        for (q, slot) in qs.iter().zip(out.iter_mut()) {
            *slot = match &view {
                Some(view) if valid_quantile(*q) => Some(view.quantile(*q, &self.totals)),
                _ => None,
            };
        }
    }

    fn cdf(&self, value: f64) -> Option<f64> {
        if self.totals.count == 0 || value.is_nan() {
            return None;
        }
        let (min, max) = (self.totals.min, self.totals.max);
        if value < min {
            return Some(0.0);
        }
        if value >= max {
            return Some(1.0);
        }
        Some(self.view().cdf(value, &self.totals))
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
        self.centroids.clear();
        self.unit_buffer.clear();
        self.weighted_buffer.clear();
        self.weighted_sorted = true;
        self.weighted_are_clusters = true;
        self.totals = Totals::EMPTY;
    }

    fn flush(&mut self) {
        self.compress();
    }

    fn compact(&mut self) {
        self.compress();
        self.unit_buffer = Vec::new();
        self.weighted_buffer = Vec::new();
        self.centroids.shrink_to_fit();
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.centroids.capacity() * std::mem::size_of::<Centroid>()
            + self.unit_buffer.capacity() * std::mem::size_of::<u32>()
            + self.weighted_buffer.capacity() * std::mem::size_of::<Point>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest_answers_none() {
        let d = TDigest::default();
        assert_eq!(d.quantile(0.5), None);
        assert_eq!(d.cdf(1.0), None);
        assert_eq!(d.min(), None);
        assert_eq!(d.mean(), None);
    }

    #[test]
    fn invalid_quantiles_answer_none() {
        let mut d = TDigest::default();
        d.add(1.0);
        for q in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            assert_eq!(d.quantile(q), None, "q = {q}");
        }
    }

    #[test]
    fn compression_is_validated() {
        for bad in [0.0, -1.0, 5.0, f64::NAN, f64::INFINITY, 1e9] {
            let err = TDigest::new(bad).unwrap_err();
            assert_eq!(err.field(), "compression");
        }
        assert!(TDigest::new(10.0).is_ok());
    }

    #[test]
    fn weighted_add_is_honoured() {
        let mut d = TDigest::default();
        d.add_weighted(10.0, 99);
        d.add(1000.0);
        assert_eq!(d.count(), 100);
        assert_eq!(d.quantile(0.5), Some(10.0));
        assert_eq!(d.sum(), 99.0 * 10.0 + 1000.0);
    }

    #[test]
    fn extreme_values_never_produce_nan() {
        let big = f64::from(f32::MAX);
        let mut d = TDigest::default();
        for i in 0..3000 {
            d.add(if i % 2 == 0 { big } else { -big });
            d.add(5e-324);
        }
        for i in 0..=100 {
            let v = d.quantile(i as f64 / 100.0).unwrap();
            assert!(!v.is_nan(), "q = {i}%");
        }
        assert_eq!(d.quantile(0.0), Some(-big));
        assert_eq!(d.quantile(1.0), Some(big));
        assert!(!d.cdf(1e38).unwrap().is_nan());
    }

    #[test]
    fn values_beyond_single_precision_are_refused() {
        let mut d = TDigest::default();
        d.add(f64::MAX);
        d.add_weighted(-1e39, 4);
        d.add(1.0);
        assert_eq!(d.rejected(), 5);
        assert_eq!(d.count(), 1);
        assert_eq!(d.max(), Some(1.0));
    }

    #[test]
    fn queries_with_pending_merges_match_the_compressed_answer() {
        let mut raw = TDigest::default();
        raw.add_weighted(10.0, 99);
        raw.add_weighted(1000.0, 50);
        let mut clustered = TDigest::default();
        (1..=500).for_each(|v| clustered.add(v as f64));
        clustered.compress();
        for other in [&raw, &clustered] {
            let mut merged = TDigest::default();
            (1..=300).for_each(|v| merged.add(v as f64 * 2.0));
            merged.compress();
            merged.merge(other);
            let mut compressed = merged.clone();
            compressed.compress();
            for q in [0.01, 0.2, 0.5, 0.7, 0.99] {
                let (pending, settled) =
                    (merged.quantile(q).unwrap(), compressed.quantile(q).unwrap());
                assert!(
                    (pending - settled).abs() <= 0.02 * settled,
                    "q={q}: {pending} vs {settled}"
                );
            }
        }
    }

    #[test]
    fn merge_keeps_other_untouched() {
        let mut a = TDigest::default();
        let mut b = TDigest::default();
        for i in 0..1000 {
            a.add(i as f64);
            b.add((i + 1000) as f64);
        }
        let before = b.clone();
        a.merge(&b);
        assert_eq!(b.count(), before.count());
        assert_eq!(b.unit_buffer, before.unit_buffer);
        assert_eq!(b.centroids, before.centroids);
        assert_eq!(a.count(), 2000);
        assert_eq!(a.min(), Some(0.0));
        assert_eq!(a.max(), Some(1999.0));
    }
}
