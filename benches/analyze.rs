//! `slo-router analyze` throughput: the release binary over a 1 M-line CSV log (goal:
//! ≥ 2 M lines/s), in the default last-window mode and as a time series.
//!
//! ```text
//! cargo bench --bench analyze
//! ```

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::LogNormal;

const LINES: u64 = 1_000_000;

/// 1 M rows over 16 (target, kind) keys, 10 minutes of timestamps, lognormal latencies.
fn write_log() -> PathBuf {
    let path = std::env::temp_dir().join(format!("slo-router-bench-{}.csv", std::process::id()));
    let mut out = BufWriter::new(std::fs::File::create(&path).expect("temp file"));
    writeln!(out, "timestamp_ms,target,kind,latency_ms").expect("write");
    let targets = ["dc-east", "dc-west", "dc-north", "dc-south"];
    let kinds = ["dispatch", "response", "e2e", "network"];
    let latency = LogNormal::new(50f64.ln(), 0.6).expect("valid");
    let mut rng = StdRng::seed_from_u64(5);
    for i in 0..LINES {
        let (t, k) = (i as usize % 4, (i as usize / 4) % 4);
        let ms: f64 = rng.sample(latency);
        writeln!(
            out,
            "{:.1},{},{},{ms:.3}",
            i as f64 * 0.6,
            targets[t],
            kinds[k]
        )
        .expect("write");
    }
    out.flush().expect("flush");
    path
}

fn analyze(c: &mut Criterion) {
    let log = write_log();
    let mut group = c.benchmark_group("analyze");
    group.throughput(Throughput::Elements(LINES));
    group.sample_size(10);
    for (name, extra) in [
        ("last window", &[][..]),
        ("every 60s", &["--every", "60s"][..]),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = Command::new(env!("CARGO_BIN_EXE_slo-router"))
                    .arg("analyze")
                    .arg(&log)
                    .args(extra)
                    .output()
                    .expect("the binary runs");
                assert!(out.status.success());
                out.stdout.len()
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_file(log);
}

criterion_group!(benches, analyze);
criterion_main!(benches);
