//! Engine tests that need crate internals: the injected merger failure.

use std::time::Duration;

use super::*;
use crate::window::LatencyKind;

#[test]
fn a_merger_panic_stops_publishing_but_not_recorders_or_readers() {
    let engine = Engine::builder()
        .merge_interval(Duration::from_millis(5))
        .build()
        .unwrap();
    let east = engine.register_target("dc-east").unwrap();
    let mut recorder = engine.recorder();
    let mut reader = engine.reader();
    recorder.record(east, LatencyKind::Response, Duration::from_millis(10));
    engine.flush().unwrap();
    let before = reader.snapshot().sequence();
    assert_eq!(
        reader
            .snapshot()
            .observation(east, LatencyKind::Response)
            .unwrap()
            .count,
        1
    );

    engine.shared.fail_next_tick.store(true, Ordering::Release);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !engine.stats().merger_failed {
        assert!(
            std::time::Instant::now() < deadline,
            "the merger never hit the fault"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let stats = engine.stats();
    assert!(!stats.merger_running);
    // Recorders keep going (their samples queue, then are dropped and counted).
    for _ in 0..100 {
        recorder.record(east, LatencyKind::Response, Duration::from_millis(10));
    }
    assert_eq!(engine.stats().queued, 100);
    // Readers keep the last snapshot; nothing new is published.
    std::thread::sleep(Duration::from_millis(30));
    let snapshot = reader.snapshot();
    assert!(snapshot.sequence() >= before);
    assert_eq!(
        snapshot
            .observation(east, LatencyKind::Response)
            .unwrap()
            .count,
        1
    );
    let published = engine.stats().publishes;
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(engine.stats().publishes, published);
    assert!(engine.stats().snapshot_age >= Duration::from_millis(30));
    assert_eq!(engine.flush(), Err(EngineError::MergerFailed));
    assert_eq!(engine.shutdown(), Err(EngineError::MergerFailed));
}
