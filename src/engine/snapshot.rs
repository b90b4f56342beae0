//! Immutable snapshots and wait-free readers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, Cache};

use crate::sketch::{QuantileSketch, TDigest};
use crate::slo::{LatencyObservation, LatencySlo, SloCompliance, SloFactorConfig};
use crate::target::TargetId;
use crate::window::{LatencyKind, Timestamp};

/// What the snapshot knows about one (target, kind) key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KeyState {
    pub(crate) observation: LatencyObservation,
    pub(crate) compliance: Option<SloCompliance>,
}

/// An immutable view of every target's latencies and compliance, as of one publish.
///
/// Built by the merger, swapped in atomically, read by any number of threads: a reader
/// never sees a half-built snapshot, and holding an old one never blocks the merger.
/// Lookups index a dense table: no hashing, no allocation.
pub struct Snapshot<S = TDigest> {
    pub(crate) sequence: u64,
    pub(crate) published_at: Timestamp,
    /// Indexed by `target × 4 + kind`.
    pub(crate) keys: Vec<Option<KeyState>>,
    /// The merged digest over each key's evaluation window (shared between snapshots
    /// while the key is unchanged).
    pub(crate) sketches: Vec<Option<Arc<S>>>,
    pub(crate) names: Arc<Vec<Option<Box<str>>>>,
    pub(crate) factor: SloFactorConfig,
    pub(crate) max_age: Duration,
}

impl<S> fmt::Debug for Snapshot<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("sequence", &self.sequence)
            .field("published_at", &self.published_at)
            .field("keys", &self.keys.iter().flatten().count())
            .finish_non_exhaustive()
    }
}

#[inline]
fn slot(target: TargetId, kind: LatencyKind) -> usize {
    target.index() * 4 + kind.index()
}

impl<S: QuantileSketch> Snapshot<S> {
    pub(crate) fn empty(factor: SloFactorConfig, max_age: Duration) -> Self {
        Snapshot {
            sequence: 0,
            published_at: Timestamp::ZERO,
            keys: Vec::new(),
            sketches: Vec::new(),
            names: Arc::new(Vec::new()),
            factor,
            max_age,
        }
    }

    /// How many snapshots were published before this one (0 for the initial, empty one).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// When the merger published this snapshot (engine clock).
    pub fn published_at(&self) -> Timestamp {
        self.published_at
    }

    /// How old this snapshot is at `now`.
    pub fn age(&self, now: Timestamp) -> Duration {
        now.saturating_since(self.published_at)
    }

    /// The observation of `target`'s `kind` over its SLO's evaluation window.
    #[inline]
    pub fn observation(&self, target: TargetId, kind: LatencyKind) -> Option<&LatencyObservation> {
        self.keys
            .get(slot(target, kind))?
            .as_ref()
            .map(|k| &k.observation)
    }

    /// The compliance of `target`'s `kind` against the target's SLO (its override, or the
    /// default). `None` without samples or when the observation is stale.
    #[inline]
    pub fn compliance(&self, target: TargetId, kind: LatencyKind) -> Option<&SloCompliance> {
        self.keys
            .get(slot(target, kind))?
            .as_ref()?
            .compliance
            .as_ref()
    }

    /// The compliance of the published observation against a job's own SLO, for one
    /// decision. `None` without samples or when the observation is stale at the publish.
    pub fn compliance_for(
        &self,
        target: TargetId,
        kind: LatencyKind,
        job: &LatencySlo,
    ) -> Option<SloCompliance> {
        let observation = self.observation(target, kind)?;
        if observation.is_stale(self.max_age, self.published_at) {
            return None;
        }
        SloCompliance::evaluate(observation, job, &self.factor)
    }

    /// The merged digest of `target`'s `kind` over its evaluation window: any quantile,
    /// the CDF.
    pub fn sketch(&self, target: TargetId, kind: LatencyKind) -> Option<&S> {
        self.sketches.get(slot(target, kind))?.as_deref()
    }

    /// The name `target` was registered with, if it was live at the publish.
    pub fn target_name(&self, target: TargetId) -> Option<&str> {
        self.names.get(target.index())?.as_deref()
    }

    /// The routing-factor configuration compliance was computed with.
    pub fn factor_config(&self) -> &SloFactorConfig {
        &self.factor
    }

    /// Every (target, kind) with an observation.
    pub fn observations(&self) -> impl Iterator<Item = &LatencyObservation> + '_ {
        self.keys.iter().flatten().map(|k| &k.observation)
    }
}

/// A per-thread handle for reading the latest snapshot.
///
/// [`snapshot`](Reader::snapshot) is wait-free on the steady path and allocation-free:
/// it checks a cached pointer against the published one and only reloads when the
/// merger has published since.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::engine::Engine;
/// use slo_router::window::{LatencyKind, ManualClock, Timestamp};
///
/// let clock = ManualClock::default();
/// let engine = Engine::builder().manual(clock.clone()).build()?;
/// let east = engine.register_target("dc-east")?;
/// let mut recorder = engine.recorder();
/// recorder.record(east, LatencyKind::Dispatch, Duration::from_millis(42));
/// engine.tick(Timestamp::from_duration(Duration::from_secs(1)))?;
///
/// let mut reader = engine.reader();
/// let snapshot = reader.snapshot();
/// assert_eq!(snapshot.observation(east, LatencyKind::Dispatch).unwrap().count, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader<S = TDigest> {
    cache: Cache<Arc<ArcSwap<Snapshot<S>>>, Arc<Snapshot<S>>>,
}

impl<S> fmt::Debug for Reader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl<S: QuantileSketch> Reader<S> {
    pub(crate) fn new(published: Arc<ArcSwap<Snapshot<S>>>) -> Self {
        Reader {
            cache: Cache::new(published),
        }
    }

    /// The latest published snapshot.
    #[inline]
    pub fn snapshot(&mut self) -> &Arc<Snapshot<S>> {
        self.cache.load()
    }
}
