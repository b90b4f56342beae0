//! Prints the accuracy table of the README: every T-Digest scale function (and the other
//! sketches) × every stream × p50/p95/p99/p99.9, with worst rank errors and centroid
//! counts.
//!
//! ```text
//! cargo run --release --example accuracy_table
//! ```

use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, ScaleFunction, TDigest};
use slo_router::workload::{ExactQuantiles, Stream};

const N: usize = 1_000_000;
const QUANTILES: [f64; 4] = [0.5, 0.95, 0.99, 0.999];
const RANK_QUANTILES: [f64; 5] = [0.5, 0.9, 0.95, 0.99, 0.999];

fn main() {
    let streams: Vec<(Stream, Vec<f64>, ExactQuantiles)> = Stream::ALL
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let v = s.generate(N, 1000 + i as u64);
            let e = ExactQuantiles::new(v.clone());
            (s, v, e)
        })
        .collect();
    println!("| sketch | stream | p50 | p95 | p99 | p99.9 | worst rank err | centroids |");
    println!("|---|---|---|---|---|---|---|---|");
    // K2 at compression 250 holds about as many centroids as the hybrid at 100: the
    // comparison at equal memory.
    for (scale, compression) in [
        (ScaleFunction::K1, 100.0),
        (ScaleFunction::K2, 100.0),
        (ScaleFunction::K3, 100.0),
        (ScaleFunction::K2, 250.0),
        (ScaleFunction::Hybrid, 100.0),
    ] {
        for (stream, values, exact) in &streams {
            let mut d = TDigest::with_scale(compression, scale).expect("valid");
            for &v in values {
                d.add(v);
            }
            d.compress();
            let extra = d.centroid_count().to_string();
            let name = format!("TDigest {scale:?} δ{compression}");
            line(&name, *stream, &d, exact, &extra);
        }
    }
    for (stream, values, exact) in &streams {
        let mut d = DDSketch::default();
        values.iter().for_each(|&v| d.add(v));
        line(
            "DDSketch 1 %",
            *stream,
            &d,
            exact,
            &d.bin_count().to_string(),
        );
    }
    for (stream, values, exact) in &streams {
        let mut d = HdrSketch::default();
        values.iter().for_each(|&v| d.add(v));
        line("HdrSketch 3", *stream, &d, exact, "-");
    }
}

fn line<S: QuantileSketch>(name: &str, stream: Stream, s: &S, exact: &ExactQuantiles, extra: &str) {
    print!("| {name} | {} |", stream.name());
    for q in QUANTILES {
        let est = s.quantile(q).expect("non-empty");
        print!(" {:.2} % |", exact.relative_error(q, est) * 100.0);
    }
    let worst = RANK_QUANTILES
        .iter()
        .map(|&q| exact.rank_error(q, s.quantile(q).expect("non-empty")))
        .fold(0.0, f64::max);
    println!(" {worst:.1e} | {extra} |");
}
