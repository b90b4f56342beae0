//! Vivaldi: one coordinate update and one RTT estimate.
//!
//! ```text
//! cargo bench --bench vivaldi
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mimalloc::MiMalloc;
use slo_router::vivaldi::VivaldiClient;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn vivaldi(c: &mut Criterion) {
    // Two converged nodes, as in steady state.
    let (mut a, mut b) = (VivaldiClient::new(1), VivaldiClient::new(2));
    for round in 0..200u64 {
        let (ca, cb) = (*a.coordinate(), *b.coordinate());
        let rtt = Duration::from_micros(50_000 + round % 7 * 100);
        a.update(2, &cb, rtt).expect("valid");
        b.update(1, &ca, rtt).expect("valid");
    }
    let peer = *b.coordinate();
    let mut round = 0u64;
    c.bench_function("vivaldi update", |bench| {
        bench.iter(|| {
            round += 1;
            let rtt = Duration::from_micros(50_000 + round % 7 * 100);
            black_box(a.update(black_box(2), black_box(&peer), rtt)).expect("valid");
        })
    });
    c.bench_function("vivaldi estimate_rtt", |bench| {
        bench.iter(|| black_box(a.coordinate()).estimate_rtt(black_box(&peer)))
    });
    c.bench_function("vivaldi rtt_estimate (ucb + quality)", |bench| {
        bench.iter(|| black_box(&a).rtt_estimate(2, black_box(&peer), Duration::from_secs(5)))
    });
}

criterion_group!(benches, vivaldi);
criterion_main!(benches);
