//! Scale functions: how large a cluster may be at each quantile.

use std::f64::consts::PI;

/// How cluster size varies with the quantile: the scale function `k(q)` of the
/// T-Digest. A cluster may span at most one unit of `k`, so where `k` is steep clusters
/// are small and accurate.
///
/// With compression `δ`, `n` values, and `Z₂ = 4·ln(n/δ) + 24`, `Z₃ = 4·ln(n/δ) + 21`
/// (with `n/δ` taken as at least 1):
///
/// | variant | `k(q)` | span of `k` |
/// |---|---|---|
/// | `K1` | `δ/(2π)·asin(2q − 1)` | `δ/2` |
/// | `K2` | `δ/Z₂·ln(q/(1 − q))` | at most `max(δ/2, δ·ln δ/12)` |
/// | `K3` | `δ/Z₃·ln(2q)` below the median, mirrored above | at most `max(δ/2, δ·ln δ/10.5)` |
/// | `Hybrid` | see below | `2·(1/c_tail)·(1 + ln(t*/t₀)) + 2·(½ − t*)/c_mid`: 142.1 at `δ = 100` |
///
/// `Hybrid` (the default) bounds the size of a cluster at distance `t = min(q, 1 − q)`
/// from the nearer extreme by `c_tail·t` (relative, like K2 and K3, so the tails keep a
/// constant relative rank error), and by `c_mid` in the middle, so no middle cluster
/// holds more than `c_mid` of the data. With `c_tail = 20/δ` and `c_mid = 2/δ` at
/// `δ = 100`, a tail cluster holds at most 20 % of the weight beyond it and a middle
/// cluster at most 2 % of the data; below `t₀ = 10⁻⁵` the size stops shrinking, which
/// keeps the centroid count bounded for any `n`; `t* = c_mid/c_tail = 0.1`. The README's accuracy table shows why:
/// K1 loses the far tail, K2 and K3 lose the median on skewed data, the hybrid keeps both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleFunction {
    /// Arcsine (the original t-digest `k1`): uniform accuracy, coarse far tails.
    K1,
    /// Logit (`k2`): fine tails, large middle clusters.
    K2,
    /// Logarithmic (`k3`): finest tails, largest middle clusters.
    K3,
    /// Relative tail size with a capped middle (the default).
    #[default]
    Hybrid,
}

/// Hybrid: tail cluster size per unit of compression, relative to the tail weight beyond.
const HYBRID_TAIL: f64 = 20.0;
/// Hybrid: middle cluster size per unit of compression, as a share of all data.
const HYBRID_MIDDLE: f64 = 2.0;
/// Hybrid: below this distance from an extreme, cluster size stops shrinking.
const HYBRID_FLOOR: f64 = 1e-5;

/// A scale function bound to a compression and a total weight.
#[derive(Debug, Clone, Copy)]
pub(super) struct ScaleCurve {
    kind: ScaleFunction,
    delta: f64,
    /// K2 and K3: `δ / Z`. Hybrid: unused.
    factor: f64,
    hybrid: Hybrid,
}

impl ScaleCurve {
    pub(super) fn new(kind: ScaleFunction, delta: f64, total: f64) -> Self {
        let log_n = (total / delta).max(1.0).ln();
        let factor = match kind {
            ScaleFunction::K2 => delta / (4.0 * log_n + 24.0),
            ScaleFunction::K3 => delta / (4.0 * log_n + 21.0),
            ScaleFunction::K1 | ScaleFunction::Hybrid => 0.0,
        };
        ScaleCurve {
            kind,
            delta,
            factor,
            hybrid: Hybrid::new(delta),
        }
    }

    /// The largest quantile a cluster starting at `q_left` may reach.
    #[inline]
    pub(super) fn weight_limit(&self, q_left: f64) -> f64 {
        let step = match self.kind {
            ScaleFunction::Hybrid => self.hybrid.step(q_left),
            _ => None,
        };
        step.unwrap_or_else(|| self.q(self.k(q_left) + 1.0))
            .min(1.0)
    }

    fn k(&self, q: f64) -> f64 {
        match self.kind {
            ScaleFunction::K1 => self.delta / (2.0 * PI) * (2.0 * q - 1.0).clamp(-1.0, 1.0).asin(),
            ScaleFunction::K2 => self.factor * (q / (1.0 - q)).ln(),
            ScaleFunction::K3 => {
                if q <= 0.5 {
                    self.factor * (2.0 * q).ln()
                } else {
                    -self.factor * (2.0 * (1.0 - q)).ln()
                }
            }
            ScaleFunction::Hybrid => {
                let h = &self.hybrid;
                if q <= 0.5 {
                    h.k_half(q)
                } else {
                    2.0 * h.k_middle - h.k_half(1.0 - q)
                }
            }
        }
    }

    fn q(&self, k: f64) -> f64 {
        match self.kind {
            ScaleFunction::K1 => {
                let angle = (k * 2.0 * PI / self.delta).clamp(-PI / 2.0, PI / 2.0);
                (angle.sin() + 1.0) / 2.0
            }
            ScaleFunction::K2 => 1.0 / (1.0 + (-k / self.factor).exp()),
            ScaleFunction::K3 => {
                if k <= 0.0 {
                    (k / self.factor).exp() / 2.0
                } else {
                    1.0 - (-k / self.factor).exp() / 2.0
                }
            }
            ScaleFunction::Hybrid => {
                let h = &self.hybrid;
                if k <= h.k_middle {
                    h.t_of(k)
                } else {
                    1.0 - h.t_of(2.0 * h.k_middle - k)
                }
            }
        }
    }

    /// The documented centroid bound: `2 × span + 3` (adjacent clusters together span
    /// more than one unit of `k`; the forced singleton extremes add the rest).
    pub(super) fn max_centroids(kind: ScaleFunction, delta: f64) -> usize {
        let span = match kind {
            ScaleFunction::K1 => delta / 2.0,
            ScaleFunction::K2 => (delta / 2.0).max(delta * delta.ln() / 12.0),
            ScaleFunction::K3 => (delta / 2.0).max(delta * delta.ln() / 10.5),
            ScaleFunction::Hybrid => 2.0 * Hybrid::new(delta).k_middle,
        };
        2 * span.ceil() as usize + 3
    }
}

/// The hybrid scale, on the lower half `t ∈ [0, ½]` (the upper half is its mirror).
/// Cluster size `s(t)` is `c_tail·t₀` below `t₀`, `c_tail·t` up to `t*`, then `c_mid`;
/// `k` is the integral of `1/s`.
#[derive(Debug, Clone, Copy)]
struct Hybrid {
    tail: f64,
    middle: f64,
    /// Where the relative tail size reaches the middle cap.
    knee: f64,
    /// `e^tail`: one unit of `k` in the relative region multiplies `t` by this.
    growth: f64,
    k_floor: f64,
    k_knee: f64,
    k_middle: f64,
}

impl Hybrid {
    fn new(delta: f64) -> Self {
        let tail = HYBRID_TAIL / delta;
        let middle = HYBRID_MIDDLE / delta;
        let knee = (middle / tail).clamp(HYBRID_FLOOR, 0.5);
        let k_floor = 1.0 / tail;
        let k_knee = k_floor + (knee / HYBRID_FLOOR).ln() / tail;
        let k_middle = k_knee + (0.5 - knee) / middle;
        Hybrid {
            tail,
            middle,
            knee,
            growth: tail.exp(),
            k_floor,
            k_knee,
            k_middle,
        }
    }

    /// `q(k(q) + 1)` in closed form, without `ln` or `exp`, when the step stays inside
    /// one piece of the curve; `None` when it crosses a boundary (rare: a few clusters
    /// per merge pass).
    #[inline]
    fn step(&self, q: f64) -> Option<f64> {
        if q < 0.5 {
            let next = if q < HYBRID_FLOOR {
                q + self.tail * HYBRID_FLOOR
            } else if q < self.knee {
                q * self.growth
            } else {
                q + self.middle
            };
            let end = if q < HYBRID_FLOOR {
                HYBRID_FLOOR
            } else if q < self.knee {
                self.knee
            } else {
                0.5
            };
            (next <= end).then_some(next)
        } else {
            let u = 1.0 - q;
            let (next, end) = if u > self.knee {
                (u - self.middle, self.knee)
            } else if u > HYBRID_FLOOR {
                (u / self.growth, HYBRID_FLOOR)
            } else {
                (u - self.tail * HYBRID_FLOOR, 0.0)
            };
            (next >= end).then_some(1.0 - next)
        }
    }

    fn k_half(&self, t: f64) -> f64 {
        if t <= HYBRID_FLOOR {
            t / (self.tail * HYBRID_FLOOR)
        } else if t <= self.knee {
            self.k_floor + (t / HYBRID_FLOOR).ln() / self.tail
        } else {
            self.k_knee + (t - self.knee) / self.middle
        }
    }

    fn t_of(&self, k: f64) -> f64 {
        if k <= self.k_floor {
            (k * self.tail * HYBRID_FLOOR).max(0.0)
        } else if k <= self.k_knee {
            HYBRID_FLOOR * ((k - self.k_floor) * self.tail).exp()
        } else {
            self.knee + (k - self.k_knee) * self.middle
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_and_q_are_inverse() {
        for kind in [
            ScaleFunction::K1,
            ScaleFunction::K2,
            ScaleFunction::K3,
            ScaleFunction::Hybrid,
        ] {
            let curve = ScaleCurve::new(kind, 100.0, 1e6);
            for q in [
                1e-7,
                1e-5,
                0.001,
                0.05,
                0.3,
                0.5,
                0.7,
                0.95,
                0.999,
                1.0 - 1e-6,
            ] {
                let back = curve.q(curve.k(q));
                assert!((back - q).abs() < 1e-9, "{kind:?} q={q} back={back}");
            }
        }
    }

    #[test]
    fn closed_form_steps_match_the_curve() {
        let curve = ScaleCurve::new(ScaleFunction::Hybrid, 100.0, 1e6);
        let mut stepped = 0;
        for i in 0..=100_000 {
            let q = i as f64 / 100_000.0;
            if let Some(fast) = curve.hybrid.step(q) {
                stepped += 1;
                let exact = curve.q(curve.k(q) + 1.0);
                assert!(
                    (fast - exact).abs() < 1e-12,
                    "q={q} fast={fast} exact={exact}"
                );
            }
        }
        assert!(stepped > 90_000, "the closed form covers most q: {stepped}");
    }

    #[test]
    fn limits_grow_with_q_and_stay_in_range() {
        let curve = ScaleCurve::new(ScaleFunction::Hybrid, 100.0, 1e6);
        let mut last = 0.0;
        for i in 0..=1000 {
            let q = i as f64 / 1000.0;
            let limit = curve.weight_limit(q);
            assert!(limit >= q && limit <= 1.0);
            assert!(limit >= last);
            last = limit;
        }
    }
}
