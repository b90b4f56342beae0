//! Windowed observations: one full-window observation for one key and for 1,000 keys,
//! default settings (5 × 60 s, T-Digest δ 100), every sub-window full.
//!
//! ```text
//! cargo bench --bench windows
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mimalloc::MiMalloc;
use slo_router::window::{LatencyKind, LatencyTracker, ManualClock, Timestamp, TrackerConfig};
use slo_router::workload::Stream;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const FULL: Duration = Duration::from_secs(300);

/// A tracker with `keys` targets, each fed `per_key` samples over five minutes.
fn filled(keys: usize, per_key: usize) -> (LatencyTracker, Vec<slo_router::target::TargetId>) {
    let clock = ManualClock::default();
    let mut tracker = LatencyTracker::new(TrackerConfig::default(), clock.clone()).expect("valid");
    let ids: Vec<_> = (0..keys)
        .map(|i| {
            tracker
                .register_target(&format!("target-{i}"))
                .expect("valid")
        })
        .collect();
    let values = Stream::LogNormal.generate(per_key, 3);
    for (i, &v) in values.iter().enumerate() {
        let at = Timestamp::from_nanos((i as u64 * 299_000_000_000) / per_key as u64);
        clock.set(at);
        for &id in &ids {
            tracker
                .record_ms_at(id, LatencyKind::Response, v, at)
                .expect("valid sample");
        }
        if i % (per_key / 100) == 0 {
            tracker.advance();
        }
    }
    tracker.advance();
    (tracker, ids)
}

fn observation(c: &mut Criterion) {
    let mut group = c.benchmark_group("full_window_observation");
    let (one, ids) = filled(1, 200_000);
    group.bench_function("1 key (200k samples)", |b| {
        b.iter(|| black_box(one.observation(ids[0], LatencyKind::Response, FULL)))
    });
    let (many, _) = filled(1000, 2_000);
    group.sample_size(20);
    group.bench_function("1000 keys (observations for all)", |b| {
        b.iter(|| black_box(many.observations(LatencyKind::Response, FULL).len()))
    });
    group.finish();
}

criterion_group!(benches, observation);
criterion_main!(benches);
