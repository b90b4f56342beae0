//! Answering queries from clusters: interpolated quantiles and CDF.

use super::{Centroid, Point};
use crate::sketch::Totals;

/// Clusters in mean order, as stored or as computed for one query.
pub(super) enum View<'a> {
    Stored(&'a [Centroid]),
    Points(Vec<Point>),
}

impl View<'_> {
    pub(super) fn quantile(&self, q: f64, totals: &Totals) -> f64 {
        let (total, min, max) = (totals.count as f64, totals.min, totals.max);
        match self {
            View::Stored(c) => quantile_of(c, q, total, min, max),
            View::Points(p) => quantile_of(p, q, total, min, max),
        }
    }

    pub(super) fn cdf(&self, value: f64, totals: &Totals) -> f64 {
        let (total, min, max) = (totals.count as f64, totals.min, totals.max);
        match self {
            View::Stored(c) => cdf_of(c, value, total, min, max),
            View::Points(p) => cdf_of(p, value, total, min, max),
        }
    }
}

/// Interpolated quantile over merged centroids. Scans from the nearer end so tail
/// quantiles touch few centroids.
fn quantile_of<C: Copy + Into<Point>>(
    centroids: &[C],
    q: f64,
    total: f64,
    min: f64,
    max: f64,
) -> f64 {
    if q == 0.0 || total <= 1.0 {
        return if q == 1.0 { max } else { min };
    }
    if q == 1.0 {
        return max;
    }
    let index = q * total;
    let estimate = if q <= 0.5 {
        interpolate(centroids.iter().map(|&c| c.into()), index, min, max)
    } else {
        let walk = centroids.iter().rev().map(|&c| c.into());
        interpolate(walk, total - index, max, min)
    };
    estimate.clamp(min, max)
}

/// Finds the value at `index` (a weight measured from the `near` extreme) by walking
/// the centroids from that extreme. Each centroid's weight is spread evenly around its
/// mean; a singleton is a point; the extremes are exact.
fn interpolate(mut walk: impl Iterator<Item = Point>, index: f64, near: f64, far: f64) -> f64 {
    let Some(first) = walk.next() else {
        return near;
    };
    if index < 1.0 {
        return near;
    }
    let half_first = first.weight / 2.0;
    if first.weight > 1.0 && index < half_first {
        // One of the first cluster's values is the extreme itself.
        return lerp(near, first.mean, (index - 1.0) / (half_first - 1.0));
    }
    let mut prev = first;
    let mut weight_at_prev = half_first;
    for next in walk {
        let gap = (prev.weight + next.weight) / 2.0;
        if weight_at_prev + gap > index {
            let mut left_unit = 0.0;
            if prev.weight == 1.0 {
                if index - weight_at_prev < 0.5 {
                    return prev.mean;
                }
                left_unit = 0.5;
            }
            let mut right_unit = 0.0;
            if next.weight == 1.0 {
                if weight_at_prev + gap - index <= 0.5 {
                    return next.mean;
                }
                right_unit = 0.5;
            }
            let z1 = index - weight_at_prev - left_unit;
            let z2 = weight_at_prev + gap - index - right_unit;
            return weighted_average(prev.mean, z2, next.mean, z1);
        }
        weight_at_prev += gap;
        prev = next;
    }
    // Between the last centroid's mean and the far extreme.
    let half_last = prev.weight / 2.0;
    let z1 = index - weight_at_prev;
    if prev.weight <= 1.0 || z1 >= half_last - 1.0 {
        return if z1 >= half_last - 0.5 {
            far
        } else {
            prev.mean
        };
    }
    lerp(prev.mean, far, z1 / (half_last - 1.0))
}

/// Interpolated fraction of weight at or below `value`, for `min <= value < max`.
fn cdf_of<C: Copy + Into<Point>>(
    centroids: &[C],
    value: f64,
    total: f64,
    min: f64,
    max: f64,
) -> f64 {
    let n = centroids.len();
    let point = |i: usize| -> Point { centroids[i].into() };
    let first = point(0);
    if value < first.mean {
        // Between the exact minimum (one value) and the first centroid's mean.
        if first.mean - min > 0.0 {
            let fraction = fraction(value, min, first.mean);
            return (1.0 + fraction * (first.weight / 2.0 - 1.0).max(0.0)) / total;
        }
        return 0.0;
    }
    let last = point(n - 1);
    if value > last.mean {
        if max - last.mean > 0.0 {
            let fraction = fraction(value, max, last.mean);
            return 1.0 - (1.0 + fraction * (last.weight / 2.0 - 1.0).max(0.0)) / total;
        }
        return 1.0;
    }
    let mut weight_before = 0.0;
    let mut i = 0;
    while i < n {
        let c = point(i);
        if c.mean == value {
            // Every centroid at exactly this value counts in full.
            let mut tied = 0.0;
            while i < n && point(i).mean == value {
                tied += point(i).weight;
                i += 1;
            }
            return ((weight_before + tied) / total).min(1.0);
        }
        let next = point(i + 1);
        if value < next.mean {
            let gap = (c.weight + next.weight) / 2.0;
            let left_out = if c.weight == 1.0 { 0.5 } else { 0.0 };
            let right_out = if next.weight == 1.0 { 0.5 } else { 0.0 };
            let fraction = fraction(value, c.mean, next.mean);
            let base = weight_before + c.weight / 2.0 + left_out;
            return (base + (gap - left_out - right_out) * fraction) / total;
        }
        weight_before += c.weight;
        i += 1;
    }
    1.0
}

// The helpers below work on halves, which is exact for all but subnormal values and
// keeps differences such as `f64::MAX - (-f64::MAX)` finite.

/// Where `x` lies between `a` and `b`, as a fraction in `[0, 1]`.
#[inline]
fn fraction(x: f64, a: f64, b: f64) -> f64 {
    ((x / 2.0 - a / 2.0) / (b / 2.0 - a / 2.0)).clamp(0.0, 1.0)
}

/// The point a fraction `t` of the way from `a` to `b`.
#[inline]
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let (lo, hi) = min_max(a, b);
    (a + (b / 2.0 - a / 2.0) * t * 2.0).clamp(lo, hi)
}

/// The average of `x1` and `x2` weighted by `w1` and `w2`, kept between them.
#[inline]
fn weighted_average(x1: f64, w1: f64, x2: f64, w2: f64) -> f64 {
    lerp(x1, x2, w2 / (w1 + w2))
}

#[inline]
fn min_max(a: f64, b: f64) -> (f64, f64) {
    if a <= b { (a, b) } else { (b, a) }
}
