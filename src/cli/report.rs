//! The accuracy report printed by `slo-router accuracy`.

use std::time::Instant;

use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::workload::{ExactQuantiles, Stream};

const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// Feeds `n` lognormal latencies to each sketch and prints its quantiles next to the
/// exact ones, with relative errors, memory and insert time.
pub(crate) fn accuracy_report(n: usize, seed: u64) {
    let values = Stream::LogNormal.generate(n, seed);
    let exact = ExactQuantiles::new(values.clone());
    println!(
        "slo-router accuracy report: {n} lognormal latencies (median 50 ms, sigma 0.6), seed {seed}\n"
    );
    print!("{:<22}", "sketch");
    for q in QUANTILES {
        print!("{:>20}", format!("p{}", q * 100.0));
    }
    println!("{:>12}{:>12}", "memory", "ns/insert");
    print!("{:<22}", "exact (sorted)");
    for q in QUANTILES {
        print!("{:>20}", format!("{:.3} ms", exact.quantile(q)));
    }
    println!("{:>12}{:>12}", format!("{} KiB", n * 8 / 1024), "-");
    row("TDigest (δ 100)", TDigest::default(), &values, &exact);
    row("DDSketch (α 1 %)", DDSketch::default(), &values, &exact);
    row(
        "HdrSketch (3 digits)",
        HdrSketch::default(),
        &values,
        &exact,
    );
    println!("\nEach cell: estimate (relative error against the exact order statistic).");
    println!(
        "ns/insert: one cold pass on this machine; `cargo bench --bench sketches` measures it properly."
    );
}

fn row<S: QuantileSketch>(name: &str, mut sketch: S, values: &[f64], exact: &ExactQuantiles) {
    let start = Instant::now();
    for &v in values {
        sketch.add(v);
    }
    let insert_ns = start.elapsed().as_nanos() as f64 / values.len() as f64;
    print!("{name:<22}");
    for q in QUANTILES {
        let estimate = sketch.quantile(q).unwrap_or(f64::NAN);
        let error = exact.relative_error(q, estimate) * 100.0;
        print!("{:>20}", format!("{estimate:.3} ({error:.2}%)"));
    }
    let memory = format!("{:.1} KiB", sketch.memory_bytes() as f64 / 1024.0);
    println!("{memory:>12}{insert_ns:>12.1}");
}
