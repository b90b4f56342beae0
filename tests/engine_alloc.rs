//! The hot paths allocate nothing: `Recorder::record` and `Reader::snapshot` plus an
//! observation read, counted by a global allocator that tallies this thread's calls.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use slo_router::engine::Engine;
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
