//! Windowed latency sketches for many (target, kind) keys, with SLO compliance.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{
    Clock, Coverage, LatencyKind, RequestSpan, SpanError, Timestamp, WindowConfig, WindowedSketch,
};
use crate::error::ConfigError;
use crate::sketch::{QuantileSketch, TDigest};
use crate::slo::{LatencyObservation, LatencySlo, SloCompliance, SloFactorConfig, SloPolicy};
use crate::target::{TargetId, TargetRegistry};

/// Settings of a [`LatencyTracker`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerConfig {
    /// The sub-window ring of every key (default 5 × 60 s).
    pub window: WindowConfig,
    /// An observation whose newest sample is older than this is stale and yields no
    /// compliance (default 300 s).
    pub max_age: Duration,
    /// Latencies above this are refused (default 1 hour).
    pub max_latency: Duration,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            window: WindowConfig::default(),
            max_age: Duration::from_secs(300),
            max_latency: Duration::from_secs(3600),
        }
    }
}

/// Why a sample was not recorded. Refused samples never reach a sketch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// The target is not registered, or was removed.
    UnknownTarget(TargetId),
    /// The latency is NaN, infinite, negative, or above the configured maximum.
    InvalidLatency,
    /// The sample is older than the window ring.
    Expired,
    /// A request span's timestamps are out of order.
    Span(SpanError),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::UnknownTarget(id) => write!(f, "unknown target {id}"),
            RecordError::InvalidLatency => {
                f.write_str("latency is not finite, negative, or above the maximum")
            }
            RecordError::Expired => f.write_str("sample is older than the window ring"),
            RecordError::Span(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RecordError {}

/// The sketches of one target: one ring per latency kind, created on first use.
type TargetStores<S> = [Option<Box<WindowedSketch<S>>>; 4];

/// Windowed latency sketches per (target, kind), the SLO policy, and compliance.
///
/// Single-threaded by design (queries take `&self` and never lock, so there is nothing
/// to deadlock on): the engine's merger thread owns one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::window::{LatencyKind, LatencyTracker, ManualClock, TrackerConfig};
///
/// let clock = ManualClock::default();
/// let mut tracker = LatencyTracker::new(TrackerConfig::default(), clock.clone())?;
/// let east = tracker.register_target("dc-east")?;
/// for i in 0..1000 {
///     tracker.record(east, LatencyKind::Response, Duration::from_millis(40 + i % 20))?;
/// }
/// clock.advance(Duration::from_secs(1));
/// let observation = tracker.observation(east, LatencyKind::Response, Duration::from_secs(300)).unwrap();
/// assert_eq!(observation.count, 1000);
/// let compliance = tracker.compliance(east, LatencyKind::Response, None).unwrap();
/// assert!(compliance.routing_factor < 1.0); // well within 50 / 200 / 500 ms
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LatencyTracker<S: QuantileSketch = TDigest> {
    config: TrackerConfig,
    /// `config.max_latency` in milliseconds, for the per-sample check (NaN fails it).
    max_latency_ms: f64,
    clock: Arc<dyn Clock>,
    targets: TargetRegistry,
    stores: Vec<TargetStores<S>>,
    template: S,
    policy: SloPolicy,
    factor: SloFactorConfig,
}

impl<S: QuantileSketch> fmt::Debug for LatencyTracker<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatencyTracker")
            .field("config", &self.config)
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

impl LatencyTracker<TDigest> {
    /// A tracker of default T-Digests.
    pub fn new(config: TrackerConfig, clock: impl Clock) -> Result<Self, ConfigError> {
        Self::with_sketch(config, clock, TDigest::default())
    }
}

impl<S: QuantileSketch> LatencyTracker<S> {
    /// A tracker whose sketches are clones of `template` (emptied).
    pub fn with_sketch(
        config: TrackerConfig,
        clock: impl Clock,
        template: S,
    ) -> Result<Self, ConfigError> {
        Self::with_shared_clock(config, Arc::new(clock), template)
    }

    /// A tracker reading time from a clock shared with others (the engine's).
    pub fn with_shared_clock(
        config: TrackerConfig,
        clock: Arc<dyn Clock>,
        template: S,
    ) -> Result<Self, ConfigError> {
        if config.max_age.is_zero() {
            return Err(ConfigError::new(
                "max_age",
                "0s",
                "a duration longer than zero",
            ));
        }
        if config.max_latency.is_zero() {
            return Err(ConfigError::new(
                "max_latency",
                "0s",
                "a duration longer than zero",
            ));
        }
        Ok(LatencyTracker {
            max_latency_ms: config.max_latency.as_secs_f64() * 1e3,
            config,
            clock,
            targets: TargetRegistry::default(),
            stores: Vec::new(),
            template,
            policy: SloPolicy::default(),
            factor: SloFactorConfig::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// The current time of the tracker's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Registers (or finds) a target by name.
    pub fn register_target(&mut self, name: &str) -> Result<TargetId, ConfigError> {
        let id = self.targets.register(name)?;
        if self.stores.len() <= id.index() {
            self.stores.resize_with(id.index() + 1, Default::default);
        }
        Ok(id)
    }

    /// Removes a target, its sketches and its SLO override. `false` if unknown.
    pub fn remove_target(&mut self, id: TargetId) -> bool {
        if !self.targets.remove(id) {
            return false;
        }
        self.stores[id.index()] = Default::default();
        self.policy.clear_target_slo(id);
        true
    }

    /// The registered targets.
    pub fn targets(&self) -> &TargetRegistry {
        &self.targets
    }

    /// The SLO policy (default SLO and per-target overrides).
    pub fn policy(&self) -> &SloPolicy {
        &self.policy
    }

    /// Changes the SLO policy.
    pub fn policy_mut(&mut self) -> &mut SloPolicy {
        &mut self.policy
    }

    /// The routing-factor configuration used for compliance.
    pub fn factor_config(&self) -> &SloFactorConfig {
        &self.factor
    }

    /// Sets the routing-factor configuration (the router's).
    pub fn set_factor_config(&mut self, factor: SloFactorConfig) {
        self.factor = factor;
    }

    /// Records a latency now.
    pub fn record(
        &mut self,
        target: TargetId,
        kind: LatencyKind,
        latency: Duration,
    ) -> Result<(), RecordError> {
        let now = self.clock.now();
        self.record_at(target, kind, latency, now)
    }

    /// Records a latency observed at `at`.
    pub fn record_at(
        &mut self,
        target: TargetId,
        kind: LatencyKind,
        latency: Duration,
        at: Timestamp,
    ) -> Result<(), RecordError> {
        if latency > self.config.max_latency {
            return Err(RecordError::InvalidLatency);
        }
        self.record_ms_at(target, kind, latency.as_secs_f64() * 1e3, at)
    }

    /// Records a latency in milliseconds observed at `at`, refusing NaN, infinite,
    /// negative and too-large values.
    pub fn record_ms_at(
        &mut self,
        target: TargetId,
        kind: LatencyKind,
        ms: f64,
        at: Timestamp,
    ) -> Result<(), RecordError> {
        if !(ms >= 0.0 && ms <= self.max_latency_ms) {
            return Err(RecordError::InvalidLatency);
        }
        if !self.targets.contains(target) {
            return Err(RecordError::UnknownTarget(target));
        }
        let (window, template) = (self.config.window, &self.template);
        let store = self.stores[target.index()][kind.index()]
            .get_or_insert_with(|| Box::new(WindowedSketch::new(window, template.clone())));
        store.record(at, ms)
    }

    /// Records a request's dispatch, response and end-to-end latencies, stamped with its
    /// response time. Out-of-order timestamps are refused and nothing is recorded.
    pub fn record_span(&mut self, span: &RequestSpan) -> Result<(), RecordError> {
        let latencies = span.latencies().map_err(RecordError::Span)?;
        for (kind, latency) in [
            (LatencyKind::Dispatch, latencies.dispatch),
            (LatencyKind::Response, latencies.response),
            (LatencyKind::EndToEnd, latencies.end_to_end),
        ] {
            self.record_at(span.target, kind, latency, span.responded)?;
        }
        Ok(())
    }

    /// Pre-merges closed sub-windows up to the clock's current epoch. Call it
    /// periodically (the engine's merger does, each tick); queries are correct without
    /// it, only slower after an epoch change.
    pub fn advance(&mut self) {
        let now = self.clock.now();
        for store in self.stores.iter_mut().flatten().flatten() {
            store.advance(now);
        }
    }

    fn store(&self, target: TargetId, kind: LatencyKind) -> Option<&WindowedSketch<S>> {
        self.stores.get(target.index())?[kind.index()].as_deref()
    }

    fn coverage(
        &self,
        target: TargetId,
        kind: LatencyKind,
        window: Duration,
    ) -> Option<Coverage<S>> {
        let coverage = self.store(target, kind)?.merged(self.clock.now(), window);
        (coverage.sketch.count() > 0).then_some(coverage)
    }

    /// Every sample of `target`'s `kind` over `window`, merged: any quantile, the CDF.
    pub fn sketch(&self, target: TargetId, kind: LatencyKind, window: Duration) -> Option<S> {
        let mut coverage = self.coverage(target, kind, window)?;
        coverage.sketch.compact();
        Some(coverage.sketch)
    }

    /// The observation of `target`'s `kind` over `window`, ending now. `None` without
    /// samples in the window.
    pub fn observation(
        &self,
        target: TargetId,
        kind: LatencyKind,
        window: Duration,
    ) -> Option<LatencyObservation> {
        self.observation_and_sketch(target, kind, window)
            .map(|(observation, _)| observation)
    }

    /// The observation of `target`'s `kind` over `window` together with the merged
    /// sketch it was read from: one merge for both. The sketch may hold the merged
    /// sub-windows side by side rather than re-clustered (queries handle both), which
    /// spares a merge pass per key and publish.
    pub fn observation_and_sketch(
        &self,
        target: TargetId,
        kind: LatencyKind,
        window: Duration,
    ) -> Option<(LatencyObservation, S)> {
        let coverage = self.coverage(target, kind, window)?;
        let s = &coverage.sketch;
        let mut pxx = [None; 3];
        s.quantiles(&[0.5, 0.95, 0.99], &mut pxx);
        let observation = LatencyObservation {
            target,
            kind,
            p50: pxx[0]?,
            p95: pxx[1]?,
            p99: pxx[2]?,
            mean: s.mean()?,
            count: s.count(),
            window_start: coverage.start,
            window_end: self.clock.now(),
            newest_sample: coverage.newest?,
        };
        Some((observation, coverage.sketch))
    }

    /// The observations of every target for `kind` over `window`.
    pub fn observations(&self, kind: LatencyKind, window: Duration) -> Vec<LatencyObservation> {
        self.targets
            .ids()
            .filter_map(|id| self.observation(id, kind, window))
            .collect()
    }

    /// The compliance of `target`'s `kind` against the SLO that applies (the job's own
    /// when given, else the target's, else the default), over that SLO's window. `None`
    /// without samples or when the newest sample is older than `max_age`.
    pub fn compliance(
        &self,
        target: TargetId,
        kind: LatencyKind,
        job: Option<&LatencySlo>,
    ) -> Option<SloCompliance> {
        let slo = self.policy.resolve(target, job);
        let observation = self.observation(target, kind, slo.evaluation_window())?;
        if observation.is_stale(self.config.max_age, self.clock.now()) {
            return None;
        }
        SloCompliance::evaluate(&observation, slo, &self.factor)
    }

    /// The share of `target`'s `kind` samples over `window` at or under `threshold`:
    /// the SLO read as "95 % of requests under 200 ms".
    pub fn fraction_within(
        &self,
        target: TargetId,
        kind: LatencyKind,
        threshold: Duration,
        window: Duration,
    ) -> Option<f64> {
        let sketch = self.sketch(target, kind, window)?;
        sketch.cdf(threshold.as_secs_f64() * 1e3)
    }

    /// Bytes held for one (target, kind) key, 0 when it has no sketches.
    pub fn key_memory_bytes(&self, target: TargetId, kind: LatencyKind) -> usize {
        self.store(target, kind)
            .map_or(0, WindowedSketch::memory_bytes)
    }
}
