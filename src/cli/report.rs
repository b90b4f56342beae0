//! The accuracy report printed by `slo-router accuracy`.

use std::io::{self, Write};
use std::time::Instant;

use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::workload::{ExactQuantiles, Stream};

const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// Feeds `n` lognormal latencies to each sketch and prints its quantiles next to the
/// exact ones, with relative errors, memory and insert time.
pub(crate) fn accuracy_report(out: &mut impl Write, n: usize, seed: u64) -> io::Result<()> {
    let values = Stream::LogNormal.generate(n, seed);
    let exact = ExactQuantiles::new(values.clone());
    writeln!(
        out,
        "slo-router accuracy report: {n} lognormal latencies (median 50 ms, sigma 0.6), seed {seed}\n"
    )?;
    write!(out, "{:<22}", "sketch")?;
    for q in QUANTILES {
        write!(out, "{:>20}", format!("p{}", q * 100.0))?;
    }
    writeln!(out, "{:>12}{:>12}", "memory", "ns/insert")?;
    write!(out, "{:<22}", "exact (sorted)")?;
    for q in QUANTILES {
        write!(out, "{:>20}", format!("{:.3} ms", exact.quantile(q)))?;
    }
    writeln!(out, "{:>12}{:>12}", format!("{} KiB", n * 8 / 1024), "-")?;
    row(out, "TDigest (δ 100)", TDigest::default(), &values, &exact)?;
    row(
        out,
        "DDSketch (α 1 %)",
        DDSketch::default(),
        &values,
        &exact,
    )?;
    row(
        out,
        "HdrSketch (3 digits)",
        HdrSketch::default(),
        &values,
        &exact,
    )?;
    writeln!(
        out,
        "\nEach cell: estimate (relative error against the exact order statistic)."
    )?;
    writeln!(
        out,
        "ns/insert: one cold pass on this machine; `cargo bench --bench sketches` measures it properly."
    )
}

fn row<S: QuantileSketch>(
    out: &mut impl Write,
    name: &str,
    mut sketch: S,
    values: &[f64],
    exact: &ExactQuantiles,
) -> io::Result<()> {
    let start = Instant::now();
    for &v in values {
        sketch.add(v);
    }
    let insert_ns = start.elapsed().as_nanos() as f64 / values.len() as f64;
    write!(out, "{name:<22}")?;
    for q in QUANTILES {
        let estimate = sketch.quantile(q).unwrap_or(f64::NAN);
        let error = exact.relative_error(q, estimate) * 100.0;
        write!(out, "{:>20}", format!("{estimate:.3} ({error:.2}%)"))?;
    }
    let memory = format!("{:.1} KiB", sketch.memory_bytes() as f64 / 1024.0);
    writeln!(out, "{memory:>12}{insert_ns:>12.1}")
}
