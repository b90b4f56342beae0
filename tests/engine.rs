//! The engine end to end: conservation under concurrency and overload, shutdown,
//! removal, manual mode, and the shape of the API.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use slo_router::engine::{Engine, EngineError, Reader, Recorder, Refused};
use slo_router::sketch::QuantileSketch;
use slo_router::slo::LatencySlo;
use slo_router::target::TargetId;
use slo_router::window::{LatencyKind, ManualClock, Timestamp};

/// Per-thread tallies of what each `try_record` returned.
#[derive(Debug, Default, Clone)]
struct Tally {
    per_key: HashMap<(TargetId, LatencyKind), u64>,
    refused: u64,
    dropped: u64,
}

impl Tally {
    fn absorb(&mut self, other: Tally) {
        for (key, n) in other.per_key {
            *self.per_key.entry(key).or_default() += n;
        }
        self.refused += other.refused;
        self.dropped += other.dropped;
    }
}

/// `threads` recorders, each recording `per_thread` samples round-robin over the
/// targets and kinds, with one unknown target and one invalid latency every 97.
fn record_concurrently(
    engine: &Engine,
    targets: &[TargetId],
    threads: usize,
    per_thread: u64,
) -> Tally {
    let unknown = TargetId::from_index(1_000_000);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mut recorder = engine.recorder();
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for i in 0..per_thread {
                        let target = targets[(i as usize + t) % targets.len()];
                        let kind = LatencyKind::ALL[(i % 4) as usize];
                        let (target, latency) = match i % 97 {
                            13 => (unknown, Duration::from_millis(5)),
                            29 => (target, Duration::from_secs(7200)),
                            _ => (target, Duration::from_micros(100 + (i * 7919) % 50_000)),
                        };
                        match recorder.try_record(target, kind, latency) {
                            Ok(()) => *tally.per_key.entry((target, kind)).or_default() += 1,
                            Err(Refused::QueueFull) => tally.dropped += 1,
                            Err(Refused::UnknownTarget | Refused::InvalidLatency) => {
                                tally.refused += 1
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        let mut total = Tally::default();
        for h in handles {
            total.absorb(h.join().expect("recorder thread"));
        }
        total
    })
}

fn assert_conserved(engine: &Engine, targets: &[TargetId], tally: &Tally, offered: u64) {
    let snapshot = engine.snapshot();
    let mut merged = 0;
    for &target in targets {
        for kind in LatencyKind::ALL {
            let expected = tally.per_key.get(&(target, kind)).copied().unwrap_or(0);
            let got = snapshot.observation(target, kind).map_or(0, |o| o.count);
            assert_eq!(got, expected, "{target} {kind}");
            let sketch_count = snapshot.sketch(target, kind).map_or(0, |s| s.count());
            assert_eq!(sketch_count, expected);
            merged += got;
        }
    }
    let stats = engine.stats();
    assert_eq!(stats.queued, 0);
    assert_eq!(stats.merged, merged);
    assert_eq!(stats.refused, tally.refused);
    assert_eq!(stats.dropped, tally.dropped);
    assert_eq!(stats.recorded, offered);
    assert_eq!(merged + tally.refused + tally.dropped, offered);
}

/// Records from `threads` threads into a threaded engine with `targets` targets, then
/// flushes and checks that every sample is accounted for; returns the tallies.
fn conservation_run(engine: Engine, targets: u32, threads: usize, per_thread: u64) -> Tally {
    let targets: Vec<_> = (0..targets)
        .map(|i| engine.register_target(&format!("t{i}")).unwrap())
        .collect();
    let tally = record_concurrently(&engine, &targets, threads, per_thread);
    engine.flush().unwrap();
    assert_conserved(&engine, &targets, &tally, threads as u64 * per_thread);
    tally
}

#[test]
fn every_sample_is_accounted_for_with_the_merger_running() {
    let engine = Engine::builder()
        .merge_interval(Duration::from_millis(2))
        .build()
        .unwrap();
    let tally = conservation_run(engine, 7, 4, 50_000);
    assert_eq!(tally.dropped, 0, "the default queue absorbs this load");
    assert!(tally.refused > 0);
}

#[test]
fn overload_drops_are_counted_exactly() {
    let engine = Engine::builder()
        .queue_capacity(16)
        .merge_interval(Duration::from_secs(1))
        .build()
        .unwrap();
    let tally = conservation_run(engine, 3, 2, 200_000);
    assert!(tally.dropped > 0, "a 16-sample queue must overflow");
}

/// A threaded engine whose merger never publishes on its own (hour-long interval), with
/// one target, a reader and a recorder: only shutdown or drop can publish its samples.
fn idle_engine() -> (Engine, TargetId, Reader, Recorder) {
    let engine = Engine::builder()
        .merge_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let east = engine.register_target("dc-east").unwrap();
    let (reader, recorder) = (engine.reader(), engine.recorder());
    (engine, east, reader, recorder)
}

#[test]
fn shutdown_drains_and_publishes_everything() {
    let (engine, east, mut reader, mut recorder) = idle_engine();
    for i in 0..10_000 {
        recorder.record(east, LatencyKind::EndToEnd, Duration::from_micros(1000 + i));
    }
    // A second recorder already dropped: its shard must be drained too.
    {
        let mut short_lived = engine.recorder();
        for _ in 0..500 {
            short_lived.record(east, LatencyKind::EndToEnd, Duration::from_millis(3));
        }
    }
    engine.shutdown().unwrap();
    let snapshot = reader.snapshot();
    assert_eq!(
        snapshot
            .observation(east, LatencyKind::EndToEnd)
            .unwrap()
            .count,
        10_500
    );
}

#[test]
fn dropping_the_engine_also_drains() {
    let (engine, east, mut reader, mut recorder) = idle_engine();
    recorder.record(east, LatencyKind::Network, Duration::from_millis(8));
    drop(engine);
    assert_eq!(
        reader
            .snapshot()
            .observation(east, LatencyKind::Network)
            .unwrap()
            .count,
        1
    );
    // The recorder outlives the engine without harm.
    recorder.record(east, LatencyKind::Network, Duration::from_millis(8));
}

#[test]
fn manual_mode_is_deterministic_and_windows_follow_the_clock() {
    let run = || {
        let clock = ManualClock::default();
        let engine = Engine::builder().manual(clock.clone()).build().unwrap();
        let east = engine.register_target("dc-east").unwrap();
        let mut recorder = engine.recorder();
        let mut p99s = Vec::new();
        for second in 0..400u64 {
            for i in 0..50 {
                let ms = 10 + (second * 31 + i * 17) % 90;
                recorder.record(east, LatencyKind::Response, Duration::from_millis(ms));
            }
            engine
                .tick(Timestamp::from_duration(Duration::from_secs(second + 1)))
                .unwrap();
            let snapshot = engine.snapshot();
            let observation = snapshot.observation(east, LatencyKind::Response).unwrap();
            p99s.push((observation.count, observation.p99.to_bits()));
        }
        p99s
    };
    let first = run();
    assert_eq!(first, run());
    // After 400 s the 5 × 60 s ring holds the last 4 full minutes plus the open one.
    let (count, _) = first[399];
    assert_eq!(count, 50 * (4 * 60 + 41));
}

#[test]
fn removed_targets_are_refused_and_vanish_from_snapshots() {
    let clock = ManualClock::default();
    let engine = Engine::builder().manual(clock).build().unwrap();
    let east = engine.register_target("dc-east").unwrap();
    let west = engine.register_target("dc-west").unwrap();
    let mut recorder = engine.recorder();
    recorder.record(east, LatencyKind::Dispatch, Duration::from_millis(1));
    recorder.record(west, LatencyKind::Dispatch, Duration::from_millis(1));
    // Queued for `east`, which is removed before the merger sees it.
    assert!(engine.remove_target(east));
    assert_eq!(
        recorder.try_record(east, LatencyKind::Dispatch, Duration::from_millis(1)),
        Err(Refused::UnknownTarget)
    );
    engine.tick(Timestamp::from_nanos(1)).unwrap();
    let snapshot = engine.snapshot();
    assert!(snapshot.observation(east, LatencyKind::Dispatch).is_none());
    assert_eq!(snapshot.target_name(east), None);
    assert_eq!(snapshot.target_name(west), Some("dc-west"));
    let stats = engine.stats();
    assert_eq!((stats.merged, stats.refused, stats.recorded), (1, 2, 3));
}

#[test]
fn per_target_and_job_slos_apply() {
    let clock = ManualClock::default();
    let engine = Engine::builder().manual(clock).build().unwrap();
    let east = engine.register_target("dc-east").unwrap();
    let mut recorder = engine.recorder();
    for _ in 0..200 {
        recorder.record(east, LatencyKind::Response, Duration::from_millis(100));
    }
    engine.tick(Timestamp::from_nanos(1)).unwrap();
    let default = *engine
        .snapshot()
        .compliance(east, LatencyKind::Response)
        .unwrap();
    let strict = LatencySlo::builder()
        .p50_target_ms(20.0)
        .p95_target_ms(40.0)
        .p99_target_ms(60.0)
        .build()
        .unwrap();
    engine.set_target_slo(east, strict).unwrap();
    engine.tick(Timestamp::from_nanos(2)).unwrap();
    let snapshot = engine.snapshot();
    let overridden = snapshot.compliance(east, LatencyKind::Response).unwrap();
    assert!(overridden.composite > default.composite);
    let relaxed = LatencySlo::builder().p50_target_ms(1000.0).build().unwrap();
    let job = snapshot
        .compliance_for(east, LatencyKind::Response, &relaxed)
        .unwrap();
    assert!(job.composite < overridden.composite);
}

#[test]
fn builder_errors_are_typed() {
    let cases = [
        (
            Engine::builder().merge_interval(Duration::ZERO).build(),
            "merge_interval",
        ),
        (
            Engine::builder().queue_capacity(1).build(),
            "queue_capacity",
        ),
        (Engine::builder().max_targets(0).build(), "max_targets"),
        (Engine::builder().max_age(Duration::ZERO).build(), "max_age"),
        (
            Engine::builder().max_latency(Duration::ZERO).build(),
            "max_latency",
        ),
    ];
    for (result, field) in cases {
        assert_eq!(result.unwrap_err().field(), field);
    }
    let engine = Engine::builder()
        .max_targets(2)
        .manual(ManualClock::default())
        .build()
        .unwrap();
    engine.register_target("a").unwrap();
    engine.register_target("b").unwrap();
    assert_eq!(
        engine.register_target("c").unwrap_err().field(),
        "max_targets"
    );
    assert_eq!(
        engine.register_target("").unwrap_err().field(),
        "target name"
    );
    let threaded = Engine::builder().build().unwrap();
    assert_eq!(threaded.tick(Timestamp::ZERO), Err(EngineError::NotManual));
}

#[test]
fn readers_never_see_a_half_built_snapshot() {
    let engine = Arc::new(
        Engine::builder()
            .merge_interval(Duration::from_millis(1))
            .build()
            .unwrap(),
    );
    let targets: Vec<_> = (0..16)
        .map(|i| engine.register_target(&format!("t{i}")).unwrap())
        .collect();
    let stop = AtomicBool::new(false);
    let started = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader_engine = Arc::clone(&engine);
        let (stop, started, targets) = (&stop, &started, &targets);
        let reader = scope.spawn(move || {
            let mut reader = reader_engine.reader();
            let mut sequences = Vec::new();
            loop {
                started.store(true, Ordering::Release);
                let stopping = stop.load(Ordering::Acquire);
                let snapshot = reader.snapshot();
                sequences.push(snapshot.sequence());
                // Within one snapshot, every key's observation and sketch agree.
                for &t in targets {
                    let observation = snapshot.observation(t, LatencyKind::Dispatch);
                    let sketch = snapshot.sketch(t, LatencyKind::Dispatch);
                    assert_eq!(observation.map(|o| o.count), sketch.map(|s| s.count()));
                }
                if stopping {
                    return sequences;
                }
            }
        });
        while !started.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        // Publishes race the reader: twenty rounds, each flushed.
        let mut recorder = engine.recorder();
        for round in 0..20u64 {
            for i in 0..10_000u64 {
                let target = targets[(i % 16) as usize];
                let latency = Duration::from_micros((round * 7 + i) % 10_000);
                recorder.record(target, LatencyKind::Dispatch, latency);
            }
            engine.flush().unwrap();
        }
        let flushed = engine.snapshot().sequence();
        stop.store(true, Ordering::Release);
        let sequences = reader.join().unwrap();
        assert!(
            sequences.windows(2).all(|w| w[0] <= w[1]),
            "sequences go forward"
        );
        // The reader's last read came after the last flush.
        assert!(sequences.last().copied().unwrap_or(0) >= flushed);
        let last = engine.snapshot();
        let total: u64 = targets
            .iter()
            .filter_map(|&t| last.observation(t, LatencyKind::Dispatch))
            .map(|o| o.count)
            .sum();
        assert_eq!(total, 200_000);
    });
}
