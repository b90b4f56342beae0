//! Property tests over every backend: ordering, extremes, merge algebra, weights and
//! input hygiene.

use proptest::prelude::*;
use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::workload::ExactQuantiles;

const QS: [f64; 9] = [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0];

/// Whether `estimate` is an acceptable answer for quantile `q` of `exact`, by the error
/// model of each backend (for inputs of at most a few thousand values).
trait Bound: QuantileSketch + Default {
    fn acceptable(exact: &ExactQuantiles, q: f64, estimate: f64) -> bool;
}

impl Bound for TDigest {
    /// Between the exact quantiles two clusters either side of `q`: a cluster holds at
    /// most 2 % of the weight at compression 100, and an estimate interpolates between
    /// two neighbouring centroids, each inside its own cluster's range. One more sample
    /// either side covers the choice of order statistic on tiny inputs, and a relative
    /// 1e-6 the single-precision centroid means. (On the large, continuous streams of the
    /// accuracy suite the error is far smaller: 1e-3 in rank.)
    fn acceptable(exact: &ExactQuantiles, q: f64, estimate: f64) -> bool {
        let reach = 0.04 + 1.0 / exact.sorted().len() as f64;
        let low = exact.quantile((q - reach).max(0.0));
        let high = exact.quantile((q + reach).min(1.0));
        low - low.abs() * 1e-6 <= estimate && estimate <= high + high.abs() * 1e-6
    }
}

impl Bound for DDSketch {
    fn acceptable(exact: &ExactQuantiles, q: f64, estimate: f64) -> bool {
        exact.relative_error(q, estimate) <= 0.01
    }
}

impl Bound for HdrSketch {
    /// Within 0.1 % (3 significant figures) plus half a microsecond of the order
    /// statistic that HdrHistogram selects (the ⌈q·n⌉-th value) or of ⌊q·(n − 1)⌋.
    fn acceptable(exact: &ExactQuantiles, q: f64, estimate: f64) -> bool {
        let sorted = exact.sorted();
        let n = sorted.len();
        let hdr_index = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        let floor_index = (q * (n - 1) as f64).floor() as usize;
        [hdr_index, floor_index]
            .iter()
            .any(|&i| (estimate - sorted[i]).abs() <= 0.001 * sorted[i] + 0.0005)
    }
}

fn latencies() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.001f64..1_000_000.0, 1..2000)
}

fn fill<S: Bound>(values: &[f64]) -> S {
    let mut s = S::default();
    values.iter().for_each(|&v| s.add(v));
    s
}

fn quantiles_are_ordered_and_bounded<S: Bound>(values: &[f64]) -> Result<(), TestCaseError> {
    let s: S = fill(values);
    let (min, max) = (s.min().unwrap(), s.max().unwrap());
    let mut last = f64::NEG_INFINITY;
    for i in 0..=200 {
        let q = i as f64 / 200.0;
        let v = s.quantile(q).unwrap();
        prop_assert!(v >= last, "not monotone at q={}: {} < {}", q, v, last);
        prop_assert!(min <= v && v <= max);
        last = v;
    }
    let exact = ExactQuantiles::new(values.to_vec());
    for q in QS {
        let v = s.quantile(q).unwrap();
        prop_assert!(
            S::acceptable(&exact, q, v),
            "q={} estimate={} exact={}",
            q,
            v,
            exact.quantile(q)
        );
    }
    Ok(())
}

fn merge_is_exact_on_totals_and_order_free<S: Bound>(
    a: &[f64],
    b: &[f64],
    c: &[f64],
) -> Result<(), TestCaseError> {
    let (sa, sb, sc): (S, S, S) = (fill(a), fill(b), fill(c));
    let mut abc = sa.clone();
    abc.merge(&sb);
    abc.merge(&sc);
    let mut cba = sc.clone();
    cba.merge(&sb);
    cba.merge(&sa);
    prop_assert_eq!(abc.count(), (a.len() + b.len() + c.len()) as u64);
    prop_assert_eq!(abc.count(), cba.count());
    prop_assert_eq!(abc.min(), cba.min());
    prop_assert_eq!(abc.max(), cba.max());
    // Merging never changes its input.
    prop_assert_eq!(sb.count(), b.len() as u64);
    let all: Vec<f64> = a.iter().chain(b).chain(c).copied().collect();
    let exact = ExactQuantiles::new(all);
    for q in QS {
        for merged in [&abc, &cba] {
            let v = merged.quantile(q).unwrap();
            prop_assert!(S::acceptable(&exact, q, v), "q={} estimate={}", q, v);
        }
    }
    Ok(())
}

fn weighted_matches_repeated<S: Bound>(pairs: &[(f64, u64)]) -> Result<(), TestCaseError> {
    let mut weighted = S::default();
    let mut repeated = S::default();
    let mut all = Vec::new();
    for &(v, k) in pairs {
        weighted.add_weighted(v, k);
        for _ in 0..k {
            repeated.add(v);
            all.push(v);
        }
    }
    prop_assert_eq!(weighted.count(), repeated.count());
    prop_assert_eq!(weighted.min(), repeated.min());
    prop_assert_eq!(weighted.max(), repeated.max());
    let exact = ExactQuantiles::new(all);
    for q in QS {
        let v = weighted.quantile(q).unwrap();
        prop_assert!(
            S::acceptable(&exact, q, v),
            "q={} weighted estimate={} rank error={}",
            q,
            v,
            exact.rank_error(q, v)
        );
    }
    Ok(())
}

fn non_finite_inputs_change_only_rejected<S: Bound>(values: &[f64]) -> Result<(), TestCaseError> {
    let clean: S = fill(values);
    let mut dirty = S::default();
    for (i, &v) in values.iter().enumerate() {
        dirty.add(v);
        match i % 3 {
            0 => dirty.add(f64::NAN),
            1 => dirty.add_weighted(f64::INFINITY, 2),
            _ => dirty.add(f64::NEG_INFINITY),
        }
    }
    let expected_rejected: u64 = (0..values.len())
        .map(|i| if i % 3 == 1 { 2 } else { 1 })
        .sum();
    prop_assert_eq!(dirty.rejected(), expected_rejected);
    prop_assert_eq!(clean.rejected(), 0);
    prop_assert_eq!(dirty.count(), clean.count());
    prop_assert_eq!(dirty.min(), clean.min());
    prop_assert_eq!(dirty.max(), clean.max());
    prop_assert_eq!(dirty.sum(), clean.sum());
    for q in QS {
        prop_assert_eq!(dirty.quantile(q), clean.quantile(q));
    }
    Ok(())
}

macro_rules! backend_properties {
    ($module:ident, $sketch:ty) => {
        mod $module {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]

                #[test]
                fn quantiles_ordered_and_bounded(values in latencies()) {
                    quantiles_are_ordered_and_bounded::<$sketch>(&values)?;
                }

                #[test]
                fn merge_exact_and_order_free(a in latencies(), b in latencies(), c in latencies()) {
                    merge_is_exact_on_totals_and_order_free::<$sketch>(&a, &b, &c)?;
                }

                #[test]
                fn weighted_add_matches_repeated_add(
                    pairs in prop::collection::vec((0.001f64..100_000.0, 1u64..200), 1..60)
                ) {
                    weighted_matches_repeated::<$sketch>(&pairs)?;
                }

                #[test]
                fn non_finite_inputs_only_count_as_rejected(values in latencies()) {
                    non_finite_inputs_change_only_rejected::<$sketch>(&values)?;
                }
            }
        }
    };
}

backend_properties!(tdigest, TDigest);
backend_properties!(ddsketch, DDSketch);
backend_properties!(hdr, HdrSketch);
