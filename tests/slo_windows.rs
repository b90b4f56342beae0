//! Time-windowed digests, the tracker, SLO resolution, staleness and request spans,
//! all on the manual clock.

use std::time::Duration;

use proptest::prelude::*;
use slo_router::sketch::{QuantileSketch, TDigest};
use slo_router::slo::{ComplianceLevel, LatencySlo};
use slo_router::target::TargetId;
use slo_router::window::{
    LatencyKind, LatencyTracker, ManualClock, RecordError, RequestSpan, Timestamp, TrackerConfig,
    WindowConfig, WindowedSketch,
};
use slo_router::workload::{ExactQuantiles, Stream};

const FULL: Duration = Duration::from_secs(300);

fn secs(s: f64) -> Timestamp {
    Timestamp::from_duration(Duration::from_secs_f64(s))
}

fn tracker() -> (ManualClock, LatencyTracker, TargetId) {
    let clock = ManualClock::default();
    let mut tracker = LatencyTracker::new(TrackerConfig::default(), clock.clone()).unwrap();
    let east = tracker.register_target("dc-east").unwrap();
    (clock, tracker, east)
}

#[test]
fn samples_expire_exactly_at_the_sub_window_edge() {
    let mut window = WindowedSketch::new(WindowConfig::default(), TDigest::default());
    window.record(secs(0.0), 1.0).unwrap();
    window.record(secs(59.999), 2.0).unwrap();
    window.record(secs(60.0), 3.0).unwrap();
    let just_before = secs(299.999_999);
    window.advance(just_before);
    assert_eq!(window.merged(just_before, FULL).sketch.count(), 3);
    // At 300 s epoch 0 (0 s .. 60 s) leaves the ring; epoch 1 stays until 360 s.
    window.advance(secs(300.0));
    let at_edge = window.merged(secs(300.0), FULL);
    assert_eq!(at_edge.sketch.count(), 1);
    assert_eq!(at_edge.sketch.min(), Some(3.0));
    assert_eq!(at_edge.start, secs(60.0));
    assert_eq!(window.merged(secs(359.999), FULL).sketch.count(), 1);
    assert_eq!(window.merged(secs(360.0), FULL).sketch.count(), 0);
}

#[test]
fn full_window_equals_one_sketch_of_all_its_samples() {
    let values = Stream::LogNormal.generate(300_000, 5);
    let mut window = WindowedSketch::new(WindowConfig::default(), TDigest::default());
    let mut single = TDigest::default();
    for (i, &v) in values.iter().enumerate() {
        let at = secs(i as f64 * 300.0 / values.len() as f64);
        window.record(at, v).unwrap();
        single.add(v);
        if i % 5000 == 0 {
            window.advance(at);
        }
    }
    let now = secs(299.9);
    window.advance(now);
    let merged = window.merged(now, FULL).sketch;
    let exact = ExactQuantiles::new(values);
    assert_eq!(merged.count(), single.count());
    assert_eq!(merged.min(), single.min());
    assert_eq!(merged.max(), single.max());
    for q in [0.5, 0.95, 0.99, 0.999] {
        let windowed = exact.relative_error(q, merged.quantile(q).unwrap());
        let direct = exact.relative_error(q, single.quantile(q).unwrap());
        assert!(
            windowed <= 0.01 && direct <= 0.01,
            "q={q}: {windowed} vs {direct}"
        );
    }
}

#[test]
fn a_120_second_query_sees_only_the_last_two_sub_windows() {
    let mut window = WindowedSketch::new(WindowConfig::default(), TDigest::default());
    for epoch in 0..5u32 {
        for _ in 0..=epoch {
            window
                .record(secs(epoch as f64 * 60.0 + 1.0), epoch as f64)
                .unwrap();
        }
    }
    let now = secs(270.0);
    window.advance(now);
    let last_two = window.merged(now, Duration::from_secs(120)).sketch;
    assert_eq!(last_two.count(), 4 + 5);
    assert_eq!((last_two.min(), last_two.max()), (Some(3.0), Some(4.0)));
    assert_eq!(
        window.merged(now, Duration::from_secs(121)).sketch.count(),
        3 + 4 + 5
    );
    assert_eq!(window.merged(now, FULL).sketch.count(), 15);
}

#[test]
fn thirty_ten_second_sub_windows_work_the_same_way() {
    let config = WindowConfig::new(Duration::from_secs(10), 30).unwrap();
    let mut window = WindowedSketch::new(config, TDigest::default());
    for s in 0..600 {
        window.record(secs(s as f64), s as f64).unwrap();
    }
    let now = secs(599.5);
    window.advance(now);
    let full = window.merged(now, FULL).sketch;
    assert_eq!(full.count(), 300);
    assert_eq!(full.min(), Some(300.0));
    assert_eq!(
        window.merged(now, Duration::from_secs(25)).sketch.count(),
        30
    );
}

#[test]
fn late_samples_land_in_their_sub_window_and_too_old_ones_are_refused() {
    let mut window = WindowedSketch::new(WindowConfig::default(), TDigest::default());
    window.record(secs(250.0), 1.0).unwrap();
    window.advance(secs(250.0));
    // Late, but inside the ring: counted in the pre-merged full window and in its epoch.
    window.record(secs(70.0), 2.0).unwrap();
    assert_eq!(window.merged(secs(250.0), FULL).sketch.count(), 2);
    assert_eq!(
        window
            .merged(secs(250.0), Duration::from_secs(60))
            .sketch
            .count(),
        1
    );
    // Older than the ring: refused, nothing changes.
    window.record(secs(400.0), 3.0).unwrap();
    assert_eq!(window.record(secs(90.0), 4.0), Err(RecordError::Expired));
    assert_eq!(window.count(), 2);
}

#[test]
fn removed_targets_vanish() {
    let (clock, mut tracker, east) = tracker();
    let west = tracker.register_target("dc-west").unwrap();
    for t in [east, west] {
        tracker
            .record(t, LatencyKind::Dispatch, Duration::from_millis(20))
            .unwrap();
    }
    clock.advance(Duration::from_secs(1));
    assert_eq!(tracker.observations(LatencyKind::Dispatch, FULL).len(), 2);
    assert!(tracker.remove_target(east));
    assert_eq!(tracker.observation(east, LatencyKind::Dispatch, FULL), None);
    let remaining = tracker.observations(LatencyKind::Dispatch, FULL);
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0].target, west);
    assert_eq!(
        tracker.record(east, LatencyKind::Dispatch, Duration::from_millis(1)),
        Err(RecordError::UnknownTarget(east))
    );
    assert_eq!(tracker.key_memory_bytes(east, LatencyKind::Dispatch), 0);
}

#[test]
fn stale_observations_yield_no_compliance() {
    let clock = ManualClock::default();
    let config = TrackerConfig {
        max_age: Duration::from_secs(30),
        ..TrackerConfig::default()
    };
    let mut tracker = LatencyTracker::new(config, clock.clone()).unwrap();
    let east = tracker.register_target("dc-east").unwrap();
    for _ in 0..200 {
        tracker
            .record(east, LatencyKind::Response, Duration::from_millis(30))
            .unwrap();
    }
    clock.advance(Duration::from_secs(30));
    let fresh = tracker
        .observation(east, LatencyKind::Response, FULL)
        .unwrap();
    assert!(!fresh.is_stale(Duration::from_secs(30), tracker.now()));
    assert!(
        tracker
            .compliance(east, LatencyKind::Response, None)
            .is_some()
    );
    clock.advance(Duration::from_millis(1));
    let stale = tracker
        .observation(east, LatencyKind::Response, FULL)
        .unwrap();
    assert!(stale.is_stale(Duration::from_secs(30), tracker.now()));
    assert_eq!(tracker.compliance(east, LatencyKind::Response, None), None);
}

#[test]
fn the_most_specific_slo_wins() {
    let (clock, mut tracker, east) = tracker();
    let values: Vec<f64> = (0..1000u64).map(|i| (100 + i % 100) as f64).collect();
    for &ms in &values {
        tracker
            .record(
                east,
                LatencyKind::EndToEnd,
                Duration::from_secs_f64(ms / 1e3),
            )
            .unwrap();
    }
    clock.advance(Duration::from_secs(1));
    let exact = ExactQuantiles::new(values);
    let expected = 0.2 * exact.quantile(0.5) / 50.0
        + 0.5 * exact.quantile(0.95) / 200.0
        + 0.3 * exact.quantile(0.99) / 500.0;
    let default = tracker
        .compliance(east, LatencyKind::EndToEnd, None)
        .unwrap();
    assert!(
        (default.composite - expected).abs() < 0.01,
        "{} vs {expected}",
        default.composite
    );
    assert_eq!(default.level, ComplianceLevel::Violating); // p50 ≈ 150 against 50
    let relaxed = LatencySlo::builder()
        .p50_target_ms(400.0)
        .p95_target_ms(500.0)
        .p99_target_ms(600.0)
        .build()
        .unwrap();
    tracker.policy_mut().set_target_slo(east, relaxed);
    let target = tracker
        .compliance(east, LatencyKind::EndToEnd, None)
        .unwrap();
    assert_eq!(target.level, ComplianceLevel::Exceeding);
    let job = LatencySlo::builder().p95_target_ms(150.0).build().unwrap();
    let for_job = tracker
        .compliance(east, LatencyKind::EndToEnd, Some(&job))
        .unwrap();
    assert!((for_job.p95_ratio - exact.quantile(0.95) / 150.0).abs() < 0.02);
}

#[test]
fn fraction_within_reads_the_slo_as_a_share_of_requests() {
    let (clock, mut tracker, east) = tracker();
    let values = Stream::Exponential.generate(50_000, 11);
    for &v in &values {
        tracker
            .record(
                east,
                LatencyKind::Response,
                Duration::from_secs_f64(v / 1e3),
            )
            .unwrap();
    }
    clock.advance(Duration::from_secs(1));
    let exact = ExactQuantiles::new(values);
    for threshold_ms in [10.0, 100.0, 200.0, 460.0] {
        let (_, exact_share) = exact.rank_of(threshold_ms);
        let share = tracker
            .fraction_within(
                east,
                LatencyKind::Response,
                Duration::from_secs_f64(threshold_ms / 1e3),
                FULL,
            )
            .unwrap();
        assert!(
            (share - exact_share).abs() < 0.002,
            "{threshold_ms} ms: {share} vs {exact_share}"
        );
    }
}

#[test]
fn spans_record_three_latencies_or_nothing() {
    let (clock, mut tracker, east) = tracker();
    let ms = |n: u64| Timestamp::from_duration(Duration::from_millis(n));
    tracker
        .record_span(&RequestSpan::new(east, ms(1000), ms(1012), ms(1060)))
        .unwrap();
    let backwards = RequestSpan::new(east, ms(2000), ms(1990), ms(2100));
    assert!(matches!(
        tracker.record_span(&backwards),
        Err(RecordError::Span(_))
    ));
    clock.advance(Duration::from_secs(3));
    let get = |kind| {
        tracker
            .observation(east, kind, FULL)
            .map(|o| (o.count, o.p50))
    };
    assert_eq!(get(LatencyKind::Dispatch), Some((1, 12.0)));
    assert_eq!(get(LatencyKind::Response), Some((1, 48.0)));
    assert_eq!(get(LatencyKind::EndToEnd), Some((1, 60.0)));
    assert_eq!(get(LatencyKind::Network), None);
}

#[test]
fn invalid_latencies_are_refused_before_any_sketch() {
    let (clock, mut tracker, east) = tracker();
    let now = tracker.now();
    for bad in [f64::NAN, f64::INFINITY, -1.0, 3_600_001.0] {
        assert_eq!(
            tracker.record_ms_at(east, LatencyKind::Network, bad, now),
            Err(RecordError::InvalidLatency)
        );
    }
    assert_eq!(
        tracker.record(east, LatencyKind::Network, Duration::from_secs(3601)),
        Err(RecordError::InvalidLatency)
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(tracker.observation(east, LatencyKind::Network, FULL), None);
}

#[test]
fn memory_per_key_stays_bounded_whatever_the_sample_count() {
    let (clock, mut tracker, east) = tracker();
    let values = Stream::Pareto.generate(1_000_000, 3);
    for (i, &v) in values.iter().enumerate() {
        // Ten minutes of traffic: the ring turns over twice.
        let at = secs(i as f64 * 600.0 / values.len() as f64);
        clock.set(at);
        tracker
            .record_ms_at(east, LatencyKind::Response, v, at)
            .unwrap();
        if i % 20_000 == 0 {
            tracker.advance();
        }
    }
    tracker.advance();
    let bytes = tracker.key_memory_bytes(east, LatencyKind::Response);
    assert!(bytes <= 16 * 1024, "{bytes} bytes for one key");
}

/// One step of the random model test.
#[derive(Debug, Clone)]
enum Step {
    Advance(u32),
    Record(u32, f64),
    Query(u32),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            (0u32..90_000).prop_map(Step::Advance),
            (0u32..120_000, 0.01f64..10_000.0).prop_map(|(back, v)| Step::Record(back, v)),
            (1u32..400).prop_map(Step::Query),
        ],
        1..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The windowed store against a naive model that keeps every timestamped sample
    /// and filters by the covered epochs: counts, min and max exact; quantiles within
    /// the sketch bound.
    #[test]
    fn windowed_store_matches_a_naive_model(steps in steps()) {
        let width_ms = 60_000u64;
        let mut window = WindowedSketch::new(WindowConfig::default(), TDigest::default());
        let mut kept: Vec<(u64, f64)> = Vec::new();
        let mut now_ms = 0u64;
        let mut newest_epoch = 0u64;
        for step in steps {
            match step {
                Step::Advance(ms) => {
                    now_ms += u64::from(ms);
                    window.advance(Timestamp::from_nanos(now_ms * 1_000_000));
                }
                Step::Record(back_ms, v) => {
                    let at_ms = now_ms.saturating_sub(u64::from(back_ms));
                    let at = Timestamp::from_nanos(at_ms * 1_000_000);
                    let epoch = at_ms / width_ms;
                    let accepted = window.record(at, v).is_ok();
                    prop_assert_eq!(accepted, epoch + 5 > newest_epoch);
                    if accepted {
                        kept.push((at_ms, v));
                        newest_epoch = newest_epoch.max(epoch);
                    }
                }
                Step::Query(seconds) => {
                    let now = Timestamp::from_nanos(now_ms * 1_000_000);
                    let span = Duration::from_secs(u64::from(seconds));
                    let got = window.merged(now, span).sketch;
                    let open = now_ms / width_ms;
                    let covered = (u64::from(seconds) * 1000).div_ceil(width_ms).clamp(1, 5);
                    let oldest = (open + 1).saturating_sub(covered);
                    let expected: Vec<f64> = kept
                        .iter()
                        .filter(|(t, _)| (oldest..=open).contains(&(t / width_ms)))
                        .map(|&(_, v)| v)
                        .collect();
                    prop_assert_eq!(got.count(), expected.len() as u64);
                    if expected.is_empty() {
                        continue;
                    }
                    let exact = ExactQuantiles::new(expected);
                    prop_assert_eq!(got.min(), exact.sorted().first().copied());
                    prop_assert_eq!(got.max(), exact.sorted().last().copied());
                    let median = got.quantile(0.5).unwrap();
                    let reach = 0.04 + 1.0 / exact.sorted().len() as f64;
                    let low = exact.quantile((0.5 - reach).max(0.0)) * (1.0 - 1e-6);
                    let high = exact.quantile((0.5 + reach).min(1.0)) * (1.0 + 1e-6);
                    prop_assert!(low <= median && median <= high);
                }
            }
        }
    }
}
