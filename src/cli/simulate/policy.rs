//! The routing policies compared: round robin, PeakEWMA power-of-two-choices, and the
//! library's router with (`slo-aware`) and without (`ad36`) its SLO factor.

use std::time::Duration;

use clap::ValueEnum;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use slo_router::engine::{Engine, Reader, Recorder};
use slo_router::routing::{Candidate, HealthBucket, PickRng, Prober, Router, ScoringConfig};
use slo_router::slo::{LatencySlo, SloFactorConfig};
use slo_router::target::TargetId;
use slo_router::window::{LatencyKind, ManualClock, Timestamp, WindowConfig};

use super::scenario::Scenario;

/// A routing policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyKind {
    /// Each target in turn.
    RoundRobin,
    /// The host system's score, `rtt × load × quality × preference`, without the SLO factor.
    Ad36,
    /// Power of two choices with PeakEWMA cost `ewma_rtt × (pending + 1)` (tower, Linkerd).
    PeakEwma,
    /// The seed's formula alone: the host score times the SLO factor.
    SloFactor,
    /// This project's router: the SLO factor in the score, a target past its SLO
    /// (composite ≥ 1) demoted to the Degraded bucket, and one probe a second to it.
    SloAware,
}

impl PolicyKind {
    pub(crate) const ALL: [PolicyKind; 5] = [
        PolicyKind::RoundRobin,
        PolicyKind::Ad36,
        PolicyKind::PeakEwma,
        PolicyKind::SloFactor,
        PolicyKind::SloAware,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            PolicyKind::RoundRobin => "round-robin",
            PolicyKind::Ad36 => "ad36",
            PolicyKind::PeakEwma => "peak-ewma",
            PolicyKind::SloFactor => "slo-factor",
            PolicyKind::SloAware => "slo-aware",
        }
    }
}

/// What a policy may see of a target: its network RTT and the load it last reported.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TargetView {
    pub(crate) rtt_ms: f64,
    pub(crate) servers: u32,
    pub(crate) busy: u32,
    pub(crate) queued: u32,
    /// This client's requests sent and not yet answered.
    pub(crate) pending: u32,
}

/// PeakEWMA as in tower: a response slower than the estimate replaces it (peak); a
/// faster one is blended in with weight `1 − e^(−Δt/τ)`, Δt since the estimate was last
/// touched; every read decays the estimate towards zero the same way, so a shunned
/// target is eventually retried.
#[derive(Debug, Clone, Copy)]
struct PeakEwma {
    estimate_ms: f64,
    touched_s: f64,
}

/// τ = 10 s.
const PEAK_EWMA_DECAY_S: f64 = 10.0;
/// The estimate of a target not heard from yet.
const PEAK_EWMA_DEFAULT_MS: f64 = 30.0;

impl PeakEwma {
    /// Folds in `rtt_ms` (0 for a read) and returns the estimate.
    fn touch(&mut self, rtt_ms: f64, now_s: f64) -> f64 {
        if self.estimate_ms < rtt_ms {
            self.estimate_ms = rtt_ms;
        } else {
            let decay = (-(now_s - self.touched_s).max(0.0) / PEAK_EWMA_DECAY_S).exp();
            self.estimate_ms = self.estimate_ms * decay + rtt_ms * (1.0 - decay);
        }
        self.touched_s = now_s;
        self.estimate_ms
    }
}

/// How often a demoted target gets one request, so its observation stays current.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// The library path: record → merger tick → snapshot → pick.
struct LibraryRouter {
    engine: Engine,
    recorder: Recorder,
    reader: Reader,
    router: Router,
    ids: Vec<TargetId>,
    candidates: Vec<Candidate>,
    rng: PickRng,
    /// With SLO demotion: the probes of demoted targets.
    prober: Option<Prober>,
}

impl LibraryRouter {
    fn new(scenario: &Scenario, config: ScoringConfig, seed: u64) -> Self {
        let window = Duration::from_secs_f64(scenario.slo.window_s);
        let slo = LatencySlo::builder()
            .p50_target_ms(scenario.slo.p50_ms)
            .p95_target_ms(scenario.slo.p95_ms)
            .p99_target_ms(scenario.slo.p99_ms)
            .evaluation_window(window)
            .build()
            .expect("validated with the scenario");
        let engine = Engine::builder()
            .manual(ManualClock::default())
            .window(WindowConfig::new(window / 5, 6).expect("a positive window"))
            .default_slo(slo)
            .slo_factor(config.slo)
            .max_targets(scenario.targets.len().max(1))
            .max_latency(Duration::from_secs(7 * 86_400))
            .build()
            .expect("valid engine settings");
        let ids = scenario
            .targets
            .iter()
            .map(|t| engine.register_target(&t.name).expect("validated names"))
            .collect();
        let prober = config.slo_demotion.map(|_| {
            Prober::with_capacity(PROBE_INTERVAL, scenario.targets.len()).expect("a valid interval")
        });
        LibraryRouter {
            recorder: engine.recorder(),
            reader: engine.reader(),
            engine,
            router: Router::new(config),
            ids,
            candidates: Vec::new(),
            rng: PickRng::new(seed),
            prober,
        }
    }

    /// The targets' health reports, as of now: a saturated target with a backlog is Busy.
    fn refresh(&mut self, views: &[TargetView]) {
        self.candidates.clear();
        for (view, &id) in views.iter().zip(&self.ids) {
            let saturated = view.busy >= view.servers && view.queued >= view.servers;
            let health = if saturated {
                HealthBucket::Busy
            } else {
                HealthBucket::Healthy
            };
            let mut candidate = Candidate::new(id, health, view.rtt_ms.max(0.01));
            candidate.total_cores = view.servers;
            candidate.available_cores = view.servers.saturating_sub(view.busy);
            candidate.queue_depth = view.queued;
            self.candidates.push(candidate);
        }
    }
}

/// One policy's state through a run.
pub(crate) struct Policy {
    kind: PolicyKind,
    next: usize,
    ewma: Vec<PeakEwma>,
    rng: StdRng,
    library: Option<LibraryRouter>,
}

impl Policy {
    pub(crate) fn new(kind: PolicyKind, scenario: &Scenario, seed: u64) -> Self {
        let config = match kind {
            PolicyKind::Ad36 => Some(ScoringConfig {
                slo: SloFactorConfig::new(0.0, 1.0, 1.0).expect("a neutral factor"),
                ..ScoringConfig::default()
            }),
            PolicyKind::SloFactor => Some(ScoringConfig::default()),
            PolicyKind::SloAware => Some(ScoringConfig {
                slo_demotion: Some(1.0),
                ..ScoringConfig::default()
            }),
            PolicyKind::RoundRobin | PolicyKind::PeakEwma => None,
        };
        let library = config.map(|config| LibraryRouter::new(scenario, config, seed));
        Policy {
            kind,
            next: 0,
            ewma: vec![
                PeakEwma {
                    estimate_ms: PEAK_EWMA_DEFAULT_MS,
                    touched_s: 0.0,
                };
                scenario.targets.len()
            ],
            rng: StdRng::seed_from_u64(seed),
            library,
        }
    }

    /// The target for the next request.
    pub(crate) fn choose(&mut self, now_s: f64, views: &[TargetView]) -> usize {
        let n = views.len();
        match self.kind {
            PolicyKind::RoundRobin => {
                let target = self.next % n;
                self.next = self.next.wrapping_add(1);
                target
            }
            PolicyKind::PeakEwma => {
                if n == 1 {
                    return 0;
                }
                let a = self.rng.gen_range(0..n);
                let b = (a + self.rng.gen_range(1..n)) % n;
                let cost_a = self.ewma[a].touch(0.0, now_s) * f64::from(views[a].pending + 1);
                let cost_b = self.ewma[b].touch(0.0, now_s) * f64::from(views[b].pending + 1);
                if cost_b < cost_a { b } else { a }
            }
            PolicyKind::Ad36 | PolicyKind::SloFactor | PolicyKind::SloAware => {
                let library = self.library.as_mut().expect("router policies have one");
                let snapshot = library.reader.snapshot();
                if let Some(prober) = &mut library.prober {
                    let now = Timestamp::from_duration(Duration::from_secs_f64(now_s));
                    if let Some(target) =
                        prober.due(&library.router, &library.candidates, snapshot, None, now)
                    {
                        return target.index();
                    }
                }
                match library
                    .router
                    .pick(&library.candidates, snapshot, None, &mut library.rng)
                {
                    Ok(score) => score.target.index(),
                    // Nothing routable (every target unhealthy): spread evenly.
                    Err(_) => {
                        let target = self.next % n;
                        self.next = self.next.wrapping_add(1);
                        target
                    }
                }
            }
        }
    }

    /// A response arrived from `target` after `latency_ms`.
    pub(crate) fn on_response(&mut self, target: usize, latency_ms: f64, now_s: f64) {
        self.ewma[target].touch(latency_ms, now_s);
        if let Some(library) = &mut self.library {
            // A refusal (a latency above a week, or a recorder queue overflowing at
            // hundreds of thousands of requests per tick) is counted by the engine; the
            // simulation's own metrics keep every latency either way.
            let _ =
                library
                    .recorder
                    .record_ms(library.ids[target], LatencyKind::EndToEnd, latency_ms);
        }
    }

    /// The periodic tick: the merger publishes, health reports refresh.
    pub(crate) fn on_tick(&mut self, now_s: f64, views: &[TargetView]) {
        if let Some(library) = &mut self.library {
            library
                .engine
                .tick(Timestamp::from_duration(Duration::from_secs_f64(now_s)))
                .expect("manual engine");
            library.refresh(views);
        }
    }
}
