//! The hot paths allocate nothing: `Recorder::record`, `Reader::snapshot` plus an
//! observation read, and routing (`Router::pick`, `Router::rank_into` with a reused
//! buffer, `Prober::due`, with and without SLO demotion), counted by a global allocator that tallies this thread's calls.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use slo_router::engine::Engine;
use slo_router::routing::{Candidate, HealthBucket, PickRng, Prober, Router, ScoringConfig};
use slo_router::window::{LatencyKind, ManualClock, Timestamp};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call unchanged to the system allocator; the only addition is
// a thread-local counter, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract; we pass it on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: `ptr` came from this allocator with `layout`; the caller upholds the
        // rest of `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn record_and_snapshot_reads_do_not_allocate() {
    let clock = ManualClock::default();
    let engine = Engine::builder().manual(clock).build().unwrap();
    let east = engine.register_target("dc-east").unwrap();
    let mut recorder = engine.recorder();
    let mut reader = engine.reader();
    recorder.record(east, LatencyKind::Dispatch, Duration::from_millis(1));
    engine.tick(Timestamp::from_nanos(1)).unwrap();
    // Warm the reader's cache.
    let _ = reader.snapshot();

    let before = allocations();
    for i in 0..10_000u64 {
        recorder.record(east, LatencyKind::Dispatch, Duration::from_micros(i));
        // Refused paths too: unknown target, invalid latency.
        let _ = recorder.try_record(
            slo_router::target::TargetId::from_index(999),
            LatencyKind::Dispatch,
            Duration::from_millis(1),
        );
        let _ = recorder.record_ms(east, LatencyKind::Dispatch, f64::NAN);
    }
    let recording = allocations() - before;

    let before = allocations();
    let mut total = 0;
    for _ in 0..10_000 {
        let snapshot = reader.snapshot();
        total +=
            black_box(snapshot.observation(east, LatencyKind::Dispatch)).map_or(0, |o| o.count);
        total += u64::from(snapshot.compliance(east, LatencyKind::Dispatch).is_some());
    }
    let reading = allocations() - before;

    assert_eq!(recording, 0, "Recorder::record allocated");
    assert_eq!(reading, 0, "Reader::snapshot + observation allocated");
    assert_eq!(total, 20_000);
    // The counter does count: a tick allocates (it builds a snapshot).
    let before = allocations();
    engine.tick(Timestamp::from_nanos(2)).unwrap();
    assert!(allocations() > before);
}

#[test]
fn pick_and_rank_into_do_not_allocate() {
    let clock = ManualClock::default();
    let engine = Engine::builder().manual(clock).build().unwrap();
    let candidates: Vec<Candidate> = (0..8)
        .map(|i| {
            let t = engine.register_target(&format!("t{i}")).unwrap();
            Candidate::new(t, HealthBucket::Healthy, 10.0 + i as f64)
        })
        .collect();
    let mut recorder = engine.recorder();
    for (i, c) in candidates.iter().enumerate() {
        // Half the targets miss the default SLO: demotion and probes have work to do.
        let ms = if i % 2 == 0 { 30 } else { 900 };
        for _ in 0..100 {
            recorder.record(c.target, LatencyKind::EndToEnd, Duration::from_millis(ms));
        }
    }
    engine.tick(Timestamp::from_nanos(1)).unwrap();
    let snapshot = engine.snapshot();
    let mut prober = Prober::with_capacity(Duration::from_nanos(3), candidates.len()).unwrap();
    let mut checksum = 0;
    for demotion in [None, Some(1.0)] {
        let router = Router::new(ScoringConfig {
            slo_demotion: demotion,
            ..ScoringConfig::default()
        });
        let mut rng = PickRng::new(9);
        let mut buffer = Vec::with_capacity(candidates.len());

        let before = allocations();
        for i in 0..10_000u64 {
            checksum += router
                .pick(&candidates, &snapshot, None, &mut rng)
                .unwrap()
                .target
                .index();
            checksum += router
                .rank_into(&candidates, &snapshot, None, &mut buffer)
                .unwrap();
            let now = Timestamp::from_nanos(i);
            checksum += prober
                .due(&router, &candidates, &snapshot, None, now)
                .map_or(0, |t| t.index());
        }
        assert_eq!(
            allocations() - before,
            0,
            "pick, rank_into or Prober::due allocated (demotion {demotion:?})"
        );
    }
    assert!(checksum >= 160_000);
}
