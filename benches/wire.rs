//! Wire encodings: encode and decode of a default TDigest of a million samples (goal:
//! ≤ 1 µs each), beside the other sketches and the interop layouts.
//!
//! ```text
//! cargo bench --bench wire
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mimalloc::MiMalloc;
use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::wire::WireFormat;
use slo_router::workload::Stream;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const SAMPLES: usize = 1_000_000;

fn filled<S: QuantileSketch>(mut sketch: S, values: &[f64]) -> S {
    values.iter().for_each(|&v| sketch.add(v));
    sketch.compact();
    sketch
}

fn codec<S: QuantileSketch + WireFormat>(c: &mut Criterion, name: &str, sketch: &S) {
    let bytes = sketch.encode();
    let mut group = c.benchmark_group(format!("wire/{name}"));
    let mut out = Vec::with_capacity(bytes.len());
    group.bench_function("encode_into", |b| {
        b.iter(|| {
            out.clear();
            black_box(sketch).encode_into(&mut out);
            black_box(out.len())
        })
    });
    group.bench_function("encode", |b| b.iter(|| black_box(sketch).encode()));
    group.bench_function("decode", |b| {
        b.iter(|| S::decode(black_box(&bytes)).expect("valid"))
    });
    group.finish();
}

fn native(c: &mut Criterion) {
    let values = Stream::LogNormal.generate(SAMPLES, 11);
    codec(c, "tdigest", &filled(TDigest::default(), &values));
    codec(c, "ddsketch", &filled(DDSketch::default(), &values));
    codec(c, "hdr", &filled(HdrSketch::default(), &values));
}

fn interop(c: &mut Criterion) {
    let values = Stream::LogNormal.generate(SAMPLES, 11);
    let digest = filled(TDigest::default(), &values);
    let verbose = digest.to_reference_bytes();
    let small = digest.to_reference_small_bytes().expect("fits");
    let hdr = filled(HdrSketch::default(), &values);
    let v2 = hdr.to_v2().expect("v2");
    let v2_deflate = hdr.to_v2_deflate().expect("deflate");
    let mut group = c.benchmark_group("wire/interop");
    group.bench_function("tdigest asBytes encode", |b| {
        b.iter(|| black_box(&digest).to_reference_bytes())
    });
    group.bench_function("tdigest asBytes decode", |b| {
        b.iter(|| TDigest::from_reference_bytes(black_box(&verbose)).expect("valid"))
    });
    group.bench_function("tdigest asSmallBytes decode", |b| {
        b.iter(|| TDigest::from_reference_bytes(black_box(&small)).expect("valid"))
    });
    group.bench_function("hdr V2 encode", |b| b.iter(|| black_box(&hdr).to_v2()));
    group.bench_function("hdr V2 decode", |b| {
        b.iter(|| HdrSketch::from_v2(black_box(&v2)).expect("valid"))
    });
    group.bench_function("hdr V2+DEFLATE decode", |b| {
        b.iter(|| HdrSketch::from_v2(black_box(&v2_deflate)).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, native, interop);
criterion_main!(benches);
