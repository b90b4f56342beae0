//! Routing decisions against a live snapshot: `pick` over 8 candidates, `rank` (and
//! `rank_into`) over 8 and 64.
//!
//! ```text
//! cargo bench --bench routing
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mimalloc::MiMalloc;
use slo_router::engine::Engine;
use slo_router::routing::{Candidate, HealthBucket, PickRng, Prober, Router, ScoringConfig};
use slo_router::window::{LatencyKind, ManualClock, Timestamp};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn routing(c: &mut Criterion) {
    let engine = Engine::builder()
        .manual(ManualClock::default())
        .build()
        .expect("valid");
    let candidates: Vec<Candidate> = (0..64u32)
        .map(|i| {
            let target = engine.register_target(&format!("t{i}")).expect("valid");
            Candidate {
                total_cores: 16,
                available_cores: i % 16,
                queue_depth: i % 7,
                circuit_breaker_pressure: f64::from(i % 3) / 4.0,
                coordinate_quality: 0.8,
                preferred: i % 5 == 0,
                ..Candidate::new(target, HealthBucket::Healthy, 10.0 + f64::from(i))
            }
        })
        .collect();
    let mut recorder = engine.recorder();
    for (i, c) in candidates.iter().enumerate() {
        for j in 0..200u64 {
            let ms = 20 + (i as u64 * 13 + j * 7) % 300;
            recorder.record(c.target, LatencyKind::EndToEnd, Duration::from_millis(ms));
        }
    }
    engine
        .tick(Timestamp::from_duration(Duration::from_secs(1)))
        .expect("manual");
    let snapshot = engine.snapshot();
    let router = Router::new(ScoringConfig::default());
    let mut rng = PickRng::new(1);
    let eight = &candidates[..8];
    c.bench_function("pick over 8", |b| {
        b.iter(|| black_box(router.pick(black_box(eight), &snapshot, None, &mut rng)))
    });
    let demoting = Router::new(ScoringConfig {
        slo_demotion: Some(1.0),
        ..ScoringConfig::default()
    });
    c.bench_function("pick over 8, SLO demotion", |b| {
        b.iter(|| black_box(demoting.pick(black_box(eight), &snapshot, None, &mut rng)))
    });
    let mut prober = Prober::with_capacity(Duration::from_secs(1), 64).expect("valid");
    let now = Timestamp::from_duration(Duration::from_secs(1));
    c.bench_function("Prober::due over 8, none due", |b| {
        b.iter(|| black_box(prober.due(&demoting, black_box(eight), &snapshot, None, now)))
    });
    let mut buffer = Vec::with_capacity(64);
    c.bench_function("rank_into over 8", |b| {
        b.iter(|| black_box(router.rank_into(black_box(eight), &snapshot, None, &mut buffer)))
    });
    c.bench_function("rank over 8", |b| {
        b.iter(|| black_box(router.rank(black_box(eight), &snapshot, None)))
    });
    c.bench_function("rank_into over 64", |b| {
        b.iter(|| black_box(router.rank_into(black_box(&candidates), &snapshot, None, &mut buffer)))
    });
    c.bench_function("rank over 64", |b| {
        b.iter(|| black_box(router.rank(black_box(&candidates), &snapshot, None)))
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
