//! Building an engine: validated settings, threaded or manual.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use super::live::LiveTargets;
use super::merger::{self, MergerCore};
use super::shard::MAX_TARGETS;
use super::snapshot::Snapshot;
use super::{Engine, Shared};
use crate::error::ConfigError;
use crate::sketch::QuantileSketch;
use crate::slo::{LatencySlo, SloFactorConfig};
use crate::window::{
    Clock, LatencyTracker, ManualClock, MonotonicClock, TrackerConfig, WindowConfig,
};

/// Settings for an [`Engine`]; every one is validated by [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct EngineBuilder<S> {
    merge_interval: Duration,
    queue_capacity: usize,
    max_targets: usize,
    tracker: TrackerConfig,
    default_slo: LatencySlo,
    factor: SloFactorConfig,
    sketch: S,
    manual: Option<ManualClock>,
}

impl<S: QuantileSketch> EngineBuilder<S> {
    pub(crate) fn new(sketch: S) -> Self {
        EngineBuilder {
            merge_interval: Duration::from_millis(100),
            queue_capacity: 1 << 16,
            max_targets: 4096,
            tracker: TrackerConfig::default(),
            default_slo: LatencySlo::default(),
            factor: SloFactorConfig::default(),
            sketch,
            manual: None,
        }
    }

    /// How often the merger publishes a snapshot (default 100 ms, at least 1 ms). It
    /// drains the queues more often: every 2 ms (sooner under load), or every interval
    /// if shorter.
    pub fn merge_interval(mut self, interval: Duration) -> Self {
        self.merge_interval = interval;
        self
    }

    /// Samples each recorder's queue holds before dropping (default 65,536: 512 KiB).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// The most targets ever registered (default 4,096).
    pub fn max_targets(mut self, max: usize) -> Self {
        self.max_targets = max;
        self
    }

    /// Latencies above this are refused (default 1 hour).
    pub fn max_latency(mut self, max: Duration) -> Self {
        self.tracker.max_latency = max;
        self
    }

    /// The sub-window ring of every key (default 5 × 60 s).
    pub fn window(mut self, window: WindowConfig) -> Self {
        self.tracker.window = window;
        self
    }

    /// An observation older than this yields no compliance (default 300 s).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.tracker.max_age = max_age;
        self
    }

    /// The default SLO (default: 50 / 200 / 500 ms).
    pub fn default_slo(mut self, slo: LatencySlo) -> Self {
        self.default_slo = slo;
        self
    }

    /// The SLO routing-factor configuration (the router's).
    pub fn slo_factor(mut self, factor: SloFactorConfig) -> Self {
        self.factor = factor;
        self
    }

    /// The sketch every key uses (its configuration is cloned; default T-Digest δ 100).
    pub fn sketch<T: QuantileSketch>(self, sketch: T) -> EngineBuilder<T> {
        EngineBuilder {
            merge_interval: self.merge_interval,
            queue_capacity: self.queue_capacity,
            max_targets: self.max_targets,
            tracker: self.tracker,
            default_slo: self.default_slo,
            factor: self.factor,
            sketch,
            manual: self.manual,
        }
    }

    /// Manual mode: no merger thread; time is `clock`, and [`Engine::tick`] drains,
    /// merges and publishes. Deterministic, for tests and simulation.
    pub fn manual(mut self, clock: ManualClock) -> Self {
        self.manual = Some(clock);
        self
    }

    /// Validates the settings and starts the engine (and its merger thread, unless
    /// manual).
    pub fn build(self) -> Result<Engine<S>, ConfigError> {
        if self.merge_interval < Duration::from_millis(1) {
            return Err(ConfigError::new(
                "merge_interval",
                format!("{:?}", self.merge_interval),
                "at least 1 ms",
            ));
        }
        if !(16..=1 << 24).contains(&self.queue_capacity) {
            return Err(ConfigError::new(
                "queue_capacity",
                self.queue_capacity,
                "16 to 2^24",
            ));
        }
        if !(1..=MAX_TARGETS).contains(&self.max_targets) {
            return Err(ConfigError::new(
                "max_targets",
                self.max_targets,
                "1 to 2^30",
            ));
        }
        let clock: Arc<dyn Clock> = match &self.manual {
            Some(manual) => Arc::new(manual.clone()),
            None => Arc::new(MonotonicClock::default()),
        };
        let mut tracker =
            LatencyTracker::with_shared_clock(self.tracker, Arc::clone(&clock), self.sketch)?;
        tracker.policy_mut().set_default_slo(self.default_slo);
        tracker.set_factor_config(self.factor);
        let empty = Snapshot::empty(self.factor, self.tracker.max_age);
        let shared = Arc::new(Shared {
            live: Arc::new(LiveTargets::new(self.max_targets)),
            shards: Mutex::new(Vec::new()),
            core: Mutex::new(MergerCore::new(tracker)),
            published: Arc::new(ArcSwap::from_pointee(empty)),
            clock,
            merged: AtomicU64::new(0),
            refused_by_merger: AtomicU64::new(0),
            retired_refused: AtomicU64::new(0),
            retired_dropped: AtomicU64::new(0),
            publishes: AtomicU64::new(0),
            last_publish_nanos: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            merger_running: AtomicBool::new(self.manual.is_none()),
            merger_failed: AtomicBool::new(false),
            queue_capacity: self.queue_capacity,
            max_latency: self.tracker.max_latency,
            #[cfg(test)]
            fail_next_tick: AtomicBool::new(false),
        });
        let merger = match self.manual {
            Some(_) => None,
            None => {
                let thread_shared = Arc::clone(&shared);
                let interval = self.merge_interval;
                let handle = std::thread::Builder::new()
                    .name("slo-router-merger".into())
                    .spawn(move || merger::run(thread_shared, interval))
                    .map_err(|e| {
                        ConfigError::new("merger thread", e, "a thread the OS can start")
                    })?;
                Some(handle)
            }
        };
        Ok(Engine {
            shared,
            merger,
            manual: self.manual,
        })
    }
}
