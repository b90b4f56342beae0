//! Quantile sketches against their peers: insert, p99 query and 64-way merge.
//!
//! ```text
//! cargo bench --bench sketches
//! ```

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use mimalloc::MiMalloc;
use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::workload::Stream;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const INSERTS: usize = 100_000;
const SAMPLES: usize = 1_000_000;
const PARTS: usize = 64;

fn insert_into<S: QuantileSketch>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    values: &[f64],
    make: impl Fn() -> S,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut sketch = make();
            values.iter().for_each(|&v| sketch.add(v));
            black_box(sketch.count())
        })
    });
}

fn insert(c: &mut Criterion) {
    let values = Stream::LogNormal.generate(INSERTS, 7);
    let mut group = c.benchmark_group("insert");
    group.throughput(Throughput::Elements(INSERTS as u64));
    insert_into(&mut group, "slo_router::TDigest", &values, TDigest::default);
    insert_into(
        &mut group,
        "slo_router::DDSketch",
        &values,
        DDSketch::default,
    );
    insert_into(
        &mut group,
        "slo_router::HdrSketch",
        &values,
        HdrSketch::default,
    );
    group.bench_function("tdigest crate (batches of 500)", |b| {
        b.iter(|| {
            let mut d = tdigest::TDigest::new_with_size(100);
            for chunk in values.chunks(500) {
                d = d.merge_unsorted(chunk.to_vec());
            }
            black_box(d.count())
        })
    });
    group.bench_function("sketches-ddsketch crate", |b| {
        b.iter(|| {
            let mut d = sketches_ddsketch::DDSketch::new(sketches_ddsketch::Config::defaults());
            values.iter().for_each(|&v| d.add(v));
            black_box(d.count())
        })
    });
    group.bench_function("hdrhistogram crate (µs)", |b| {
        b.iter(|| {
            let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)
                .expect("valid bounds");
            values.iter().for_each(|&v| {
                let _ = h.record((v * 1000.0) as u64);
            });
            black_box(h.len())
        })
    });
    group.finish();
}

fn query(c: &mut Criterion) {
    let values = Stream::LogNormal.generate(SAMPLES, 8);
    let mut ours = TDigest::default();
    let mut dd = DDSketch::default();
    let mut hdr = HdrSketch::default();
    let mut peer_dd = sketches_ddsketch::DDSketch::new(sketches_ddsketch::Config::defaults());
    for &v in &values {
        ours.add(v);
        dd.add(v);
        hdr.add(v);
        peer_dd.add(v);
    }
    ours.compress();
    let peer_td = tdigest::TDigest::new_with_size(100).merge_unsorted(values.clone());
    let mut group = c.benchmark_group("p99_query");
    group.bench_function("slo_router::TDigest", |b| {
        b.iter(|| black_box(&ours).quantile(black_box(0.99)))
    });
    group.bench_function("slo_router::DDSketch", |b| {
        b.iter(|| black_box(&dd).quantile(black_box(0.99)))
    });
    group.bench_function("slo_router::HdrSketch", |b| {
        b.iter(|| black_box(&hdr).quantile(black_box(0.99)))
    });
    group.bench_function("tdigest crate", |b| {
        b.iter(|| black_box(&peer_td).estimate_quantile(black_box(0.99)))
    });
    group.bench_function("sketches-ddsketch crate", |b| {
        b.iter(|| black_box(&peer_dd).quantile(black_box(0.99)))
    });
    group.finish();
}

fn parts<S: QuantileSketch>(values: &[f64], make: impl Fn() -> S) -> Vec<S> {
    values
        .chunks(values.len() / PARTS)
        .map(|chunk| {
            let mut s = make();
            chunk.iter().for_each(|&v| s.add(v));
            s
        })
        .collect()
}

fn merge(c: &mut Criterion) {
    let values = Stream::LogNormal.generate(SAMPLES, 9);
    let ours: Vec<TDigest> = parts(&values, || {
        let mut d = TDigest::default();
        d.compress();
        d
    })
    .into_iter()
    .map(|mut d| {
        d.compress();
        d
    })
    .collect();
    let dd = parts(&values, DDSketch::default);
    let hdr = parts(&values, HdrSketch::default);
    let peer_td: Vec<tdigest::TDigest> = values
        .chunks(values.len() / PARTS)
        .map(|c| tdigest::TDigest::new_with_size(100).merge_unsorted(c.to_vec()))
        .collect();
    let peer_dd: Vec<sketches_ddsketch::DDSketch> = values
        .chunks(values.len() / PARTS)
        .map(|c| {
            let mut d = sketches_ddsketch::DDSketch::new(sketches_ddsketch::Config::defaults());
            c.iter().for_each(|&v| d.add(v));
            d
        })
        .collect();
    let mut group = c.benchmark_group("merge_64");
    group.bench_function("slo_router::TDigest", |b| {
        b.iter(|| {
            let mut total = TDigest::default();
            ours.iter().for_each(|d| total.merge(d));
            total.compress();
            black_box(total.count())
        })
    });
    group.bench_function("slo_router::DDSketch", |b| {
        b.iter(|| {
            let mut total = DDSketch::default();
            dd.iter().for_each(|d| total.merge(d));
            black_box(total.count())
        })
    });
    group.bench_function("slo_router::HdrSketch", |b| {
        b.iter(|| {
            let mut total = HdrSketch::default();
            hdr.iter().for_each(|d| total.merge(d));
            black_box(total.count())
        })
    });
    group.bench_function("tdigest crate", |b| {
        b.iter_batched(
            || peer_td.clone(),
            |all| black_box(tdigest::TDigest::merge_digests(all).count()),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("sketches-ddsketch crate", |b| {
        b.iter(|| {
            let mut total = sketches_ddsketch::DDSketch::new(sketches_ddsketch::Config::defaults());
            peer_dd.iter().for_each(|d| {
                let _ = total.merge(d);
            });
            black_box(total.count())
        })
    });
    group.finish();
}

criterion_group!(benches, insert, query, merge);
criterion_main!(benches);
