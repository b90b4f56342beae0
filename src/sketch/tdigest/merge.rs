//! Folding buffered points into clusters: sort keys, sorted merges, the greedy pass.

use super::scale::ScaleCurve;
use super::{Centroid, Point};

/// Maps a finite `f32` to a `u32` whose unsigned order is the numeric order.
#[inline]
pub(super) fn sort_key(value: f32) -> u32 {
    let bits = value.to_bits();
    // Negative: flip every bit; positive: flip the sign bit.
    bits ^ ((((bits as i32) >> 31) as u32) | (1 << 31))
}

/// The inverse of [`sort_key`].
#[inline]
pub(super) fn from_sort_key(key: u32) -> f32 {
    let bits = if key >> 31 == 1 {
        key ^ (1 << 31)
    } else {
        !key
    };
    f32::from_bits(bits)
}

/// Merges two mean-sorted slices into one mean-sorted vector of points. Branch-free
/// choice in the loop: interleaving means is unpredictable, and mispredictions
/// dominated it.
pub(super) fn merge_slices<A, B>(a: &[A], b: &[B]) -> Vec<Point>
where
    A: Copy + Into<Point>,
    B: Copy + Into<Point>,
{
    const SENTINEL: Point = Point {
        mean: f64::INFINITY,
        weight: 0.0,
    };
    let mut out = vec![SENTINEL; a.len() + b.len()];
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        let x = a.get(i).map_or(SENTINEL, |&x| x.into());
        let y = b.get(j).map_or(SENTINEL, |&y| y.into());
        // On ties the first slice goes first; an exhausted slice reads as +∞.
        let take_b = y.mean < x.mean || i == a.len();
        *slot = if take_b { y } else { x };
        j += take_b as usize;
        i += !take_b as usize;
    }
    out
}

/// Merges the mean-sorted `incoming` into the mean-sorted `buffer`, in place: the
/// buffer grows by `incoming.len()` and is filled from the back, so no element moves
/// twice and nothing is allocated once the buffer has its capacity.
pub(super) fn merge_in_place(buffer: &mut Vec<Point>, incoming: &[Centroid]) {
    let (mut i, mut j) = (buffer.len(), incoming.len());
    buffer.resize(
        i + j,
        Point {
            mean: 0.0,
            weight: 0.0,
        },
    );
    let mut k = buffer.len();
    while j > 0 {
        let next = Point::from(incoming[j - 1]);
        k -= 1;
        if i > 0 && buffer[i - 1].mean > next.mean {
            buffer[k] = buffer[i - 1];
            i -= 1;
        } else {
            buffer[k] = next;
            j -= 1;
        }
    }
}

/// The greedy merge pass: walks the sorted points and closes a cluster when adding the
/// next point would stretch it over one unit of the scale function. The first and last
/// units of weight always stay alone, so the extremes are singleton clusters.
pub(super) fn cluster<C: Copy + Into<Point>>(
    base: &[C],
    units: &[u32],
    total: f64,
    curve: &ScaleCurve,
    out: &mut Vec<Centroid>,
) {
    let mut builder = ClusterBuilder {
        out,
        curve,
        total,
        inverse_total: 1.0 / total,
        weight_before: 0.0,
        sum: 0.0,
        weight: 0.0,
        limit: curve.weight_limit(0.0) * total,
    };
    let len = base.len() + units.len();
    if units.is_empty() {
        for (index, &p) in base.iter().enumerate() {
            let p: Point = p.into();
            builder.feed(index, len, p.mean, p.weight);
        }
    } else {
        let (mut i, mut j) = (0, 0);
        for index in 0..len {
            // The next point in mean order from the two sorted inputs.
            let unit = units.get(j).map(|&key| f64::from(from_sort_key(key)));
            let (mean, weight) = match (base.get(i).map(|&c| -> Point { c.into() }), unit) {
                (Some(c), Some(u)) if u < c.mean => {
                    j += 1;
                    (u, 1.0)
                }
                (Some(c), _) => {
                    i += 1;
                    (c.mean, c.weight)
                }
                (None, u) => {
                    j += 1;
                    (u.unwrap_or_default(), 1.0)
                }
            };
            builder.feed(index, len, mean, weight);
        }
    }
    builder.close();
}

/// The cluster being built during a merge pass.
struct ClusterBuilder<'a> {
    out: &'a mut Vec<Centroid>,
    curve: &'a ScaleCurve,
    total: f64,
    inverse_total: f64,
    weight_before: f64,
    /// Σ mean × weight of the cluster: no division per point. It cannot overflow, since
    /// means are at most `f32::MAX` in magnitude.
    sum: f64,
    weight: f64,
    /// The cumulative weight the current cluster may reach.
    limit: f64,
}

impl ClusterBuilder<'_> {
    /// Takes the point at position `index` of `len` in mean order. The first and last
    /// units of weight become singleton clusters.
    #[inline(always)]
    fn feed(&mut self, index: usize, len: usize, mean: f64, mut weight: f64) {
        if index == 0 {
            self.absorb(mean, 1.0);
            self.close();
            weight -= 1.0;
        }
        if index + 1 == len && weight > 0.0 {
            self.add(mean, weight - 1.0);
            self.close();
            self.absorb(mean, 1.0);
        } else {
            self.add(mean, weight);
        }
    }

    /// Adds `weight` at `mean`, closing clusters as they fill. A point too heavy for any
    /// cluster at its position (a large `add_weighted`) is split into pieces at the same
    /// mean, so interpolation sees a run of equal means instead of smearing it.
    #[inline]
    fn add(&mut self, mean: f64, mut weight: f64) {
        while weight > 0.0 {
            if self.weight_before + self.weight + weight <= self.limit {
                self.absorb(mean, weight);
                return;
            }
            if self.weight > 0.0 {
                self.close();
                continue;
            }
            let room = (self.limit - self.weight_before).floor().max(1.0);
            if room >= weight {
                self.absorb(mean, weight);
                return;
            }
            self.absorb(mean, room);
            self.close();
            weight -= room;
        }
    }

    #[inline]
    fn absorb(&mut self, mean: f64, weight: f64) {
        self.sum += mean * weight;
        self.weight += weight;
    }

    #[inline]
    fn close(&mut self) {
        if self.weight == 0.0 {
            return;
        }
        self.out.push(Centroid::from(Point {
            mean: self.sum / self.weight,
            weight: self.weight,
        }));
        self.weight_before += self.weight;
        self.sum = 0.0;
        self.weight = 0.0;
        self.limit = self
            .curve
            .weight_limit(self.weight_before * self.inverse_total)
            * self.total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_preserve_order() {
        let values = [f32::MIN, -1e30, -2.5, -0.0, 0.0, 1e-40, 2.5, 1e30, f32::MAX];
        for pair in values.windows(2) {
            assert!(sort_key(pair[0]) <= sort_key(pair[1]), "{pair:?}");
        }
        for v in values {
            assert_eq!(from_sort_key(sort_key(v)).to_bits(), v.to_bits());
        }
    }
    #[test]
    fn merge_in_place_interleaves() {
        let p = |m| Point {
            mean: m,
            weight: 1.0,
        };
        let c = |m| Centroid {
            mean: m,
            weight: 1.0,
        };
        let mut buffer = vec![p(1.0), p(4.0), p(6.0)];
        merge_in_place(&mut buffer, &[c(0.5), c(2.0), c(5.0), c(7.0)]);
        let means: Vec<f64> = buffer.iter().map(|p| p.mean).collect();
        assert_eq!(means, vec![0.5, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0]);
        merge_in_place(&mut buffer, &[]);
        assert_eq!(buffer.len(), 7);
    }
    #[test]
    fn merge_slices_interleaves() {
        let c = |m| Point {
            mean: m,
            weight: 1.0,
        };
        let merged: Vec<f64> = merge_slices(&[c(1.0), c(4.0)], &[c(2.0), c(3.0), c(5.0)])
            .iter()
            .map(|c| c.mean)
            .collect();
        assert_eq!(merged, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    }
}
