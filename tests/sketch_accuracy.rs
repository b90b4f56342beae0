//! The accuracy suite: every sketch against exact order statistics on the eight streams
//! of `slo_router::workload`, 1,000,000 samples each, fixed seeds.

use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::workload::{ExactQuantiles, Stream};

const N: usize = 1_000_000;
const VALUE_QUANTILES: [f64; 4] = [0.5, 0.95, 0.99, 0.999];
const RANK_QUANTILES: [f64; 5] = [0.5, 0.9, 0.95, 0.99, 0.999];
const PARTS: usize = 64;

fn seed(stream: Stream) -> u64 {
    Stream::ALL
        .iter()
        .position(|&s| s == stream)
        .expect("listed") as u64
        + 2024
}

fn streams() -> impl Iterator<Item = (Stream, Vec<f64>, ExactQuantiles)> {
    Stream::ALL.into_iter().map(|stream| {
        let values = stream.generate(N, seed(stream));
        let exact = ExactQuantiles::new(values.clone());
        (stream, values, exact)
    })
}

fn fill<S: QuantileSketch>(mut sketch: S, values: &[f64]) -> S {
    values.iter().for_each(|&v| sketch.add(v));
    sketch
}

fn merged<S: QuantileSketch>(make: impl Fn() -> S, values: &[f64]) -> S {
    let mut total = make();
    for part in values.chunks(values.len().div_ceil(PARTS)) {
        total.merge(&fill(make(), part));
    }
    total
}

fn assert_exact_totals<S: QuantileSketch>(name: &str, sketch: &S, exact: &ExactQuantiles) {
    let sorted = exact.sorted();
    assert_eq!(sketch.count(), sorted.len() as u64, "{name}: count");
    assert_eq!(sketch.min(), sorted.first().copied(), "{name}: min");
    assert_eq!(sketch.max(), sorted.last().copied(), "{name}: max");
}

fn worst_relative<S: QuantileSketch>(sketch: &S, exact: &ExactQuantiles, qs: &[f64]) -> f64 {
    qs.iter()
        .map(|&q| exact.relative_error(q, sketch.quantile(q).expect("non-empty")))
        .fold(0.0, f64::max)
}

#[test]
fn tdigest_meets_value_and_rank_goals_on_every_stream() {
    for (stream, values, exact) in streams() {
        let digest = fill(TDigest::default(), &values);
        assert_exact_totals(stream.name(), &digest, &exact);
        for q in VALUE_QUANTILES {
            let estimate = digest.quantile(q).expect("non-empty");
            let error = exact.relative_error(q, estimate);
            assert!(
                error <= 0.01,
                "{}: q={q} estimate={estimate} exact={} error={error}",
                stream.name(),
                exact.quantile(q)
            );
        }
        for q in RANK_QUANTILES {
            let estimate = digest.quantile(q).expect("non-empty");
            let error = exact.rank_error(q, estimate);
            assert!(error <= 1e-3, "{}: q={q} rank error {error}", stream.name());
        }
    }
}

#[test]
fn tdigest_answers_exact_integers_on_the_integer_stream() {
    let values = Stream::Integers.generate(N, seed(Stream::Integers));
    let exact = ExactQuantiles::new(values.clone());
    let digest = fill(TDigest::default(), &values);
    for q in RANK_QUANTILES.into_iter().chain(VALUE_QUANTILES) {
        let estimate = digest.quantile(q).expect("non-empty");
        assert_eq!(estimate, exact.quantile(q), "q={q}");
    }
}

#[test]
fn tdigest_single_and_repeated_values_answer_that_value() {
    let single = fill(TDigest::default(), &[42.5]);
    let repeated = fill(TDigest::default(), &vec![17.3; 100_000]);
    let mut weighted = TDigest::default();
    weighted.add_weighted(9.75, 1_000_000);
    for i in 0..=100 {
        let q = i as f64 / 100.0;
        assert_eq!(single.quantile(q), Some(42.5), "single, q={q}");
        assert_eq!(repeated.quantile(q), Some(17.3), "repeated, q={q}");
        assert_eq!(weighted.quantile(q), Some(9.75), "weighted, q={q}");
    }
}

#[test]
fn tdigest_centroids_stay_within_the_bound_for_ten_million_sorted_samples() {
    let mut values = Stream::LogNormal.generate(10_000_000, 99);
    values.sort_by(f64::total_cmp);
    let mut ascending = TDigest::default();
    let mut descending = TDigest::default();
    let bound = ascending.max_centroids();
    for (i, &v) in values.iter().enumerate() {
        ascending.add(v);
        descending.add(values[values.len() - 1 - i]);
        if i % 1_000_000 == 0 {
            ascending.compress();
            assert!(ascending.centroid_count() <= bound);
        }
    }
    ascending.compress();
    descending.compress();
    assert!(
        ascending.centroid_count() <= bound,
        "{} > {bound}",
        ascending.centroid_count()
    );
    assert!(
        descending.centroid_count() <= bound,
        "{} > {bound}",
        descending.centroid_count()
    );
    assert_eq!(ascending.count(), 10_000_000);
}

#[test]
fn ddsketch_is_within_one_percent_at_every_quantile_also_after_merging() {
    let qs: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).chain([0.999]).collect();
    for (stream, values, exact) in streams() {
        let single = fill(DDSketch::default(), &values);
        let merged = merged(DDSketch::default, &values);
        assert_exact_totals(stream.name(), &merged, &exact);
        for (name, sketch) in [("single", &single), ("merged", &merged)] {
            let worst = worst_relative(sketch, &exact, &qs);
            assert!(
                worst <= 0.01,
                "{} {name}: worst error {worst}",
                stream.name()
            );
        }
    }
}

#[test]
fn hdr_sketch_is_within_a_tenth_of_a_percent() {
    for (stream, values, exact) in streams() {
        let sketch = fill(HdrSketch::default(), &values);
        assert_exact_totals(stream.name(), &sketch, &exact);
        let worst = worst_relative(&sketch, &exact, &VALUE_QUANTILES);
        assert!(worst <= 0.001, "{}: worst error {worst}", stream.name());
    }
}

/// 64 parts, one sketch each, merged into one: counts and extremes exact, p99 within
/// 1.5 times each backend's single-sketch bound.
#[test]
fn sixty_four_way_merges_keep_p99_within_one_and_a_half_bounds() {
    for (stream, values, exact) in streams() {
        let name = stream.name();
        let tdigest = merged(TDigest::default, &values);
        let ddsketch = merged(DDSketch::default, &values);
        let hdr = merged(HdrSketch::default, &values);
        assert_exact_totals(name, &tdigest, &exact);
        assert_exact_totals(name, &hdr, &exact);
        let p99 = [0.99];
        let errors = [
            ("tdigest", worst_relative(&tdigest, &exact, &p99), 0.015),
            ("ddsketch", worst_relative(&ddsketch, &exact, &p99), 0.015),
            ("hdr", worst_relative(&hdr, &exact, &p99), 0.0015),
        ];
        for (backend, error, bound) in errors {
            assert!(
                error <= bound,
                "{name} {backend}: p99 error {error} > {bound}"
            );
        }
    }
}
