//! Routing: buckets, the score and its caps, the SLO factor from live snapshots, the
//! fallback chain, and anti-herding picks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use slo_router::engine::{Engine, Snapshot};
use slo_router::routing::{
    Candidate, Exclusion, HealthBucket, PickRng, Prober, RouteError, Router, ScoringConfig,
};
use slo_router::slo::{ComplianceLevel, LatencySlo, SloFactorConfig};
use slo_router::target::TargetId;
use slo_router::window::{LatencyKind, ManualClock, Timestamp};

fn engine() -> Engine {
    Engine::builder()
        .manual(ManualClock::default())
        .build()
        .unwrap()
}

fn empty_snapshot() -> Arc<Snapshot> {
    engine().snapshot()
}

fn id(i: u32) -> TargetId {
    TargetId::from_index(i)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_busy_target_at_1_ms_loses_to_a_healthy_one_at_1000_ms() {
    let router = Router::new(ScoringConfig::default());
    let snapshot = empty_snapshot();
    let candidates = [
        Candidate::new(id(0), HealthBucket::Busy, 1.0),
        Candidate::new(id(1), HealthBucket::Healthy, 1000.0),
    ];
    let ranking = router.rank(&candidates, &snapshot, None).unwrap();
    assert_eq!(ranking.order[0].target, id(1));
    assert_eq!(ranking.order[1].target, id(0)); // the fallback chain keeps it
    let mut rng = PickRng::new(1);
    for _ in 0..100 {
        assert_eq!(
            router
                .pick(&candidates, &snapshot, None, &mut rng)
                .unwrap()
                .target,
            id(1)
        );
    }
}

#[test]
fn with_equal_rtt_the_idle_target_wins_and_preference_multiplies_by_0_9() {
    let router = Router::new(ScoringConfig::default());
    let snapshot = empty_snapshot();
    let idle = Candidate {
        total_cores: 8,
        available_cores: 8,
        ..Candidate::new(id(0), HealthBucket::Healthy, 20.0)
    };
    let loaded = Candidate {
        available_cores: 2,
        ..idle
    };
    let loaded = Candidate {
        target: id(1),
        ..loaded
    };
    let ranking = router.rank(&[loaded, idle], &snapshot, None).unwrap();
    assert_eq!(ranking.order[0].target, id(0));
    let plain = router.score(&idle, &snapshot, None).unwrap();
    let preferred = router
        .score(
            &Candidate {
                preferred: true,
                ..idle
            },
            &snapshot,
            None,
        )
        .unwrap();
    assert!(close(preferred.score, plain.score * 0.9));
    assert_eq!(preferred.preference, 0.9);
}

#[test]
fn load_factor_matches_the_formula() {
    let router = Router::new(ScoringConfig::default());
    let c = Candidate {
        total_cores: 8,
        available_cores: 4,
        queue_depth: 8,
        circuit_breaker_pressure: 0.5,
        ..Candidate::new(id(0), HealthBucket::Healthy, 10.0)
    };
    let s = router.score(&c, &empty_snapshot(), None).unwrap();
    let expected = 1.0 + 0.5 * 0.5 + 0.3 * 8.0 / 18.0 + 0.2 * 0.5;
    assert!(close(s.load_factor, expected));
    assert!(close(s.score, 10.0 * expected));
    assert_eq!(
        (s.quality_penalty, s.slo_factor, s.preference),
        (1.0, 1.0, 1.0)
    );
}

#[test]
fn the_caps_hold() {
    let config = ScoringConfig {
        a_util: 10.0,
        ..ScoringConfig::default()
    };
    let router = Router::with_config(config).unwrap();
    let snapshot = empty_snapshot();
    let overloaded = Candidate {
        total_cores: 0,
        available_cores: 0,
        queue_depth: u32::MAX,
        circuit_breaker_pressure: 1.0,
        coordinate_quality: 0.0,
        ..Candidate::new(id(0), HealthBucket::Healthy, 10.0)
    };
    let s = router.score(&overloaded, &snapshot, None).unwrap();
    assert_eq!(s.load_factor, 5.0);
    let harsh = Router::with_config(ScoringConfig {
        a_quality: 5.0,
        ..ScoringConfig::default()
    })
    .unwrap();
    assert_eq!(
        harsh
            .score(&overloaded, &snapshot, None)
            .unwrap()
            .quality_penalty,
        2.0
    );
    let slo = SloFactorConfig::default();
    assert_eq!((slo.factor(100.0), slo.factor(-100.0)), (3.0, 0.5));
}

/// The seed's worked example: dc-east meets its SLO (composite 0.882, factor 0.9528),
/// dc-west is nearer but Critical (composite 1.675, factor 1.27). East wins while its
/// RTT is below 1.27 / 0.9528 ≈ 1.333 times west's; beyond that, west wins.
#[test]
fn a_compliant_datacenter_beats_a_nearer_critical_one_up_to_the_crossover() {
    let engine = engine();
    let east = engine.register_target("dc-east").unwrap();
    let west = engine.register_target("dc-west").unwrap();
    let mut recorder = engine.recorder();
    // Blocks of repeated values placed so that p50, p95 and p99 fall in the middle of
    // the blocks holding the worked numbers.
    let feed = |recorder: &mut slo_router::engine::Recorder, t, p50: u64, p95: u64, p99: u64| {
        let blocks = [
            (p50 - 5, 450),
            (p50, 100),
            ((p50 + p95) / 2, 350),
            (p95, 80),
            (p99, 15),
            (p99 + 50, 5),
        ];
        for (ms, n) in blocks {
            for _ in 0..n {
                recorder.record(t, LatencyKind::EndToEnd, Duration::from_millis(ms));
            }
        }
    };
    feed(&mut recorder, east, 45, 180, 420);
    feed(&mut recorder, west, 80, 350, 800);
    engine
        .tick(Timestamp::from_duration(Duration::from_secs(1)))
        .unwrap();
    let snapshot = engine.snapshot();
    let router = Router::new(ScoringConfig::default());
    let score = |t, rtt| {
        router
            .score(
                &Candidate::new(t, HealthBucket::Healthy, rtt),
                &snapshot,
                None,
            )
            .unwrap()
    };
    let (e, w) = (score(east, 10.0), score(west, 10.0));
    assert!(
        (e.composite.unwrap() - 0.882).abs() < 0.01,
        "{:?}",
        e.composite
    );
    assert!(
        (w.composite.unwrap() - 1.675).abs() < 0.01,
        "{:?}",
        w.composite
    );
    assert_eq!(e.compliance_level, Some(ComplianceLevel::Meeting));
    assert_eq!(w.compliance_level, Some(ComplianceLevel::Critical));
    let crossover = w.slo_factor / e.slo_factor;
    assert!(
        (crossover - 1.27 / 0.9528).abs() < 0.02,
        "crossover {crossover}"
    );
    let west_rtt = 30.0;
    let order = |east_rtt: f64| {
        let candidates = [
            Candidate::new(east, HealthBucket::Healthy, east_rtt),
            Candidate::new(west, HealthBucket::Healthy, west_rtt),
        ];
        router.rank(&candidates, &snapshot, None).unwrap().order[0].target
    };
    assert_eq!(order(west_rtt * crossover * 0.99), east);
    assert_eq!(order(west_rtt * crossover * 1.01), west);
}

#[test]
fn unhealthy_targets_are_excluded_and_empty_sets_have_no_route() {
    let router = Router::new(ScoringConfig::default());
    let snapshot = empty_snapshot();
    let candidates = [
        Candidate::new(id(0), HealthBucket::Unhealthy, 1.0),
        Candidate::new(id(1), HealthBucket::Degraded, 50.0),
    ];
    let ranking = router.rank(&candidates, &snapshot, None).unwrap();
    assert_eq!(ranking.order.len(), 1);
    assert_eq!(ranking.excluded, vec![(id(0), Exclusion::Unhealthy)]);
    let mut rng = PickRng::new(3);
    assert_eq!(
        router.pick(&[], &snapshot, None, &mut rng),
        Err(RouteError::NoRoute)
    );
    assert_eq!(
        router.pick(&candidates[..1], &snapshot, None, &mut rng),
        Err(RouteError::NoRoute)
    );
    assert_eq!(
        router.rank(&candidates[..1], &snapshot, None),
        Err(RouteError::NoRoute)
    );
}

#[test]
fn invalid_candidates_are_refused_with_the_field_named() {
    let router = Router::new(ScoringConfig::default());
    let snapshot = empty_snapshot();
    let good = Candidate::new(id(0), HealthBucket::Healthy, 10.0);
    let cases = [
        (
            Candidate {
                rtt_ucb_ms: f64::NAN,
                ..good
            },
            "rtt_ucb_ms",
        ),
        (
            Candidate {
                rtt_ucb_ms: -1.0,
                ..good
            },
            "rtt_ucb_ms",
        ),
        (
            Candidate {
                rtt_ucb_ms: f64::INFINITY,
                ..good
            },
            "rtt_ucb_ms",
        ),
        (
            Candidate {
                coordinate_quality: 1.5,
                ..good
            },
            "coordinate_quality",
        ),
        (
            Candidate {
                circuit_breaker_pressure: f64::NAN,
                ..good
            },
            "circuit_breaker_pressure",
        ),
        (
            Candidate {
                available_cores: 2,
                total_cores: 1,
                ..good
            },
            "available_cores",
        ),
    ];
    let mut rng = PickRng::new(1);
    for (bad, field) in cases {
        let expected = Err(RouteError::InvalidCandidate {
            target: id(0),
            field,
        });
        assert_eq!(
            router.score(&bad, &snapshot, None).map(|s| s.score),
            expected.map(|()| 0.0)
        );
        assert_eq!(router.rank(&[bad], &snapshot, None).map(|_| ()), expected);
        assert_eq!(
            router.pick(&[bad], &snapshot, None, &mut rng).map(|_| ()),
            expected
        );
    }
    assert_eq!(
        ScoringConfig {
            pick_tolerance: 1.0,
            ..ScoringConfig::default()
        }
        .validate()
        .unwrap_err()
        .field(),
        "pick_tolerance"
    );
}

#[test]
fn ties_break_deterministically_by_target() {
    let router = Router::new(ScoringConfig::default());
    let snapshot = empty_snapshot();
    let candidates: Vec<_> = [3, 1, 2, 0]
        .into_iter()
        .map(|i| Candidate::new(id(i), HealthBucket::Healthy, 10.0))
        .collect();
    let order: Vec<_> = router
        .rank(&candidates, &snapshot, None)
        .unwrap()
        .order
        .iter()
        .map(|s| s.target.index())
        .collect();
    assert_eq!(order, vec![0, 1, 2, 3]);
}

/// Shares of 10,000 picks, each from an independent router seeded differently.
fn shares(candidates: &[Candidate], snapshot: &Snapshot) -> HashMap<TargetId, f64> {
    let router = Router::new(ScoringConfig::default());
    let mut counts = HashMap::new();
    for seed in 0..10_000u64 {
        let mut rng = PickRng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let target = router
            .pick(candidates, snapshot, None, &mut rng)
            .unwrap()
            .target;
        *counts.entry(target).or_insert(0.0) += 1.0 / 10_000.0;
    }
    counts
}

#[test]
fn independent_routers_do_not_herd() {
    let snapshot = empty_snapshot();
    let near_equal: Vec<_> = [10.0, 10.1, 10.2, 10.3]
        .into_iter()
        .enumerate()
        .map(|(i, rtt)| Candidate::new(id(i as u32), HealthBucket::Healthy, rtt))
        .collect();
    let s = shares(&near_equal, &snapshot);
    for i in 0..4 {
        let share = s.get(&id(i)).copied().unwrap_or(0.0);
        assert!((share - 0.25).abs() <= 0.05, "target {i}: {share}");
    }
    let spread: Vec<_> = [1.0, 2.0, 3.0, 4.0]
        .into_iter()
        .enumerate()
        .map(|(i, rtt)| Candidate::new(id(i as u32), HealthBucket::Healthy, rtt))
        .collect();
    let s = shares(&spread, &snapshot);
    let share = |i| s.get(&id(i)).copied().unwrap_or(0.0);
    assert!(share(0) > share(1) && share(1) > share(2) && share(2) > share(3));
    assert!(
        share(0) > 0.4,
        "the best target still gets the most: {}",
        share(0)
    );
}

#[test]
fn a_target_turning_critical_loses_traffic_and_regains_it_after_recovery() {
    let clock = ManualClock::default();
    let engine = Engine::builder().manual(clock).build().unwrap();
    let targets: Vec<_> = (0..4)
        .map(|i| engine.register_target(&format!("dc-{i}")).unwrap())
        .collect();
    let mut recorder = engine.recorder();
    let candidates: Vec<_> = targets
        .iter()
        .map(|&t| Candidate::new(t, HealthBucket::Healthy, 20.0))
        .collect();
    let mut phase = |start: u64, bad_ms: u64| {
        for second in start..start + 10 {
            for &t in &targets {
                let ms = if t == targets[0] { bad_ms } else { 40 };
                for _ in 0..50 {
                    recorder.record(t, LatencyKind::EndToEnd, Duration::from_millis(ms));
                }
            }
            engine
                .tick(Timestamp::from_duration(Duration::from_secs(second + 1)))
                .unwrap();
        }
        shares(&candidates, &engine.snapshot())
            .get(&targets[0])
            .copied()
            .unwrap_or(0.0)
    };
    let healthy = phase(0, 40);
    assert!((healthy - 0.25).abs() <= 0.05, "healthy share {healthy}");
    let critical = phase(10, 1500);
    assert!(critical < 0.01, "critical share {critical}");
    // Recovery: once the bad samples have left the 300 s window.
    let recovered = phase(320, 40);
    assert!(
        (recovered - 0.25).abs() <= 0.05,
        "recovered share {recovered}"
    );
}

#[test]
fn a_job_slo_replaces_the_default_for_one_decision() {
    let engine = engine();
    let east = engine.register_target("dc-east").unwrap();
    let west = engine.register_target("dc-west").unwrap();
    let mut recorder = engine.recorder();
    for _ in 0..500 {
        recorder.record(east, LatencyKind::EndToEnd, Duration::from_millis(150)); // steady
        for ms in [20, 20, 20, 20, 400] {
            recorder.record(west, LatencyKind::EndToEnd, Duration::from_millis(ms)); // fast median, bad tail
        }
    }
    engine
        .tick(Timestamp::from_duration(Duration::from_secs(1)))
        .unwrap();
    let snapshot = engine.snapshot();
    let router = Router::new(ScoringConfig::default());
    let candidates = [
        Candidate::new(east, HealthBucket::Healthy, 10.0),
        Candidate::new(west, HealthBucket::Healthy, 10.0),
    ];
    let default_best = router.rank(&candidates, &snapshot, None).unwrap().order[0].target;
    // A job that cares only about the median.
    let median_job = LatencySlo::builder()
        .weights(1.0, 0.0, 0.0)
        .build()
        .unwrap();
    let job_best = router
        .rank(&candidates, &snapshot, Some(&median_job))
        .unwrap()
        .order[0]
        .target;
    assert_eq!(job_best, west);
    assert_ne!(default_best, job_best);
}

/// An engine whose snapshot has `east` past the default SLO and `west` within it.
fn east_past_its_slo() -> (Engine, TargetId, TargetId) {
    let engine = engine();
    let east = engine.register_target("dc-east").unwrap();
    let west = engine.register_target("dc-west").unwrap();
    let mut recorder = engine.recorder();
    for _ in 0..200 {
        recorder.record(east, LatencyKind::EndToEnd, Duration::from_millis(400));
        recorder.record(west, LatencyKind::EndToEnd, Duration::from_millis(40));
    }
    engine
        .tick(Timestamp::from_duration(Duration::from_secs(1)))
        .unwrap();
    (engine, east, west)
}

#[test]
fn slo_demotion_ranks_a_target_past_its_slo_in_the_degraded_bucket() {
    let (engine, east, west) = east_past_its_slo();
    let snapshot = engine.snapshot();
    // East is 10× nearer: the SLO factor (at most 3) leaves it first.
    let candidates = [
        Candidate::new(east, HealthBucket::Healthy, 5.0),
        Candidate::new(west, HealthBucket::Healthy, 50.0),
    ];
    let seed = Router::new(ScoringConfig::default());
    let order = seed.rank(&candidates, &snapshot, None).unwrap().order;
    assert_eq!(order[0].target, east);
    assert!(order[0].slo_factor > 1.0 && !order[0].demoted);

    let router = Router::new(ScoringConfig {
        slo_demotion: Some(1.0),
        ..ScoringConfig::default()
    });
    let order = router.rank(&candidates, &snapshot, None).unwrap().order;
    assert_eq!(order[0].target, west);
    assert_eq!(
        (order[1].target, order[1].bucket, order[1].demoted),
        (east, HealthBucket::Degraded, true)
    );
    assert!(order[1].composite.unwrap() >= 1.0);
    assert_eq!(
        router.bucket(&candidates[0], &snapshot, None),
        HealthBucket::Degraded
    );
    let mut rng = PickRng::new(3);
    for _ in 0..200 {
        let pick = router.pick(&candidates, &snapshot, None, &mut rng).unwrap();
        assert_eq!(pick.target, west);
    }
    // Demoted but alone: still routed to, as the fallback chain's last resort.
    let only_east = &candidates[..1];
    assert_eq!(
        router
            .pick(only_east, &snapshot, None, &mut rng)
            .unwrap()
            .target,
        east
    );
    // A looser threshold, or a job SLO it meets, keeps it in rotation.
    let loose = Router::new(ScoringConfig {
        slo_demotion: Some(100.0),
        ..ScoringConfig::default()
    });
    assert_eq!(
        loose.rank(&candidates, &snapshot, None).unwrap().order[0].target,
        east
    );
    let lenient = LatencySlo::builder()
        .p50_target_ms(1000.0)
        .p95_target_ms(2000.0)
        .p99_target_ms(5000.0)
        .build()
        .unwrap();
    assert_eq!(
        router
            .rank(&candidates, &snapshot, Some(&lenient))
            .unwrap()
            .order[0]
            .target,
        east
    );
}

#[test]
fn slo_demotion_is_validated() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let config = ScoringConfig {
            slo_demotion: Some(bad),
            ..ScoringConfig::default()
        };
        assert_eq!(
            Router::with_config(config).unwrap_err().field(),
            "slo_demotion"
        );
    }
}

#[test]
fn a_prober_sends_one_request_per_interval_to_each_demoted_target() {
    let (engine, east, west) = east_past_its_slo();
    let snapshot = engine.snapshot();
    let candidates = [
        Candidate::new(west, HealthBucket::Healthy, 50.0),
        Candidate::new(east, HealthBucket::Healthy, 5.0),
    ];
    let router = Router::new(ScoringConfig {
        slo_demotion: Some(1.0),
        ..ScoringConfig::default()
    });
    let mut prober = Prober::new(Duration::from_secs(1)).unwrap();
    let at = |ms: u64| Timestamp::from_duration(Duration::from_millis(ms));
    let probes: Vec<u64> = (0..3000)
        .step_by(10)
        .filter(|&ms| {
            prober
                .due(&router, &candidates, &snapshot, None, at(ms))
                .is_some()
        })
        .collect();
    assert_eq!(probes, [0, 1000, 2000]);
    assert_eq!(
        prober.due(&router, &candidates, &snapshot, None, at(3000)),
        Some(east)
    );
    // Nothing demoted: no probes.
    let seed = Router::new(ScoringConfig::default());
    let mut idle = Prober::new(Duration::from_millis(1)).unwrap();
    assert_eq!(idle.due(&seed, &candidates, &snapshot, None, at(0)), None);
    assert!(Prober::new(Duration::ZERO).is_err());
}

#[test]
fn pick_draws_only_from_the_best_bucket_past_64_candidates() {
    let snapshot = empty_snapshot();
    let router = Router::new(ScoringConfig::default());
    for len in [8u32, 64, 65, 100] {
        // Only the last two candidates are Healthy; the rest are Busy.
        let candidates: Vec<Candidate> = (0..len)
            .map(|i| {
                let health = if i >= len - 2 {
                    HealthBucket::Healthy
                } else {
                    HealthBucket::Busy
                };
                Candidate::new(id(i), health, 10.0)
            })
            .collect();
        let mut rng = PickRng::new(u64::from(len));
        let mut seen = HashMap::new();
        for _ in 0..400 {
            let target = router
                .pick(&candidates, &snapshot, None, &mut rng)
                .unwrap()
                .target;
            *seen.entry(target).or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 2, "len {len}: {seen:?}");
        assert!(seen.keys().all(|t| t.index() >= (len - 2) as usize));
        assert!(seen.values().all(|&n| n > 100), "len {len}: {seen:?}");
    }
}
