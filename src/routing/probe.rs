//! Probes: an occasional request to each target demoted for its SLO, so that its
//! observation stays current and its recovery is noticed.

use std::time::Duration;

use super::{Candidate, HealthBucket, Router};
use crate::engine::Snapshot;
use crate::error::ConfigError;
use crate::sketch::QuantileSketch;
use crate::slo::LatencySlo;
use crate::target::TargetId;
use crate::window::Timestamp;

/// Chooses, now and then, a target that [`slo_demotion`](super::ScoringConfig::slo_demotion)
/// took out of rotation, so it keeps getting a trickle of requests.
///
/// Without probes a demoted target receives no traffic, its observation empties once
/// the evaluation window passes, and it returns with a neutral factor whether it
/// recovered or not: traffic flaps. With one probe per interval its observation stays
/// current, and it returns once its compliance does. One `Prober` per routing thread,
/// like [`PickRng`](super::PickRng).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::engine::Engine;
/// use slo_router::routing::{Candidate, HealthBucket, PickRng, Prober, Router, ScoringConfig};
/// use slo_router::window::{LatencyKind, ManualClock, Timestamp};
///
/// let engine = Engine::builder().manual(ManualClock::default()).build()?;
/// let east = engine.register_target("dc-east")?;
/// let west = engine.register_target("dc-west")?;
/// let mut recorder = engine.recorder();
/// for _ in 0..200 {
///     recorder.record(east, LatencyKind::EndToEnd, Duration::from_millis(900)); // past the SLO
///     recorder.record(west, LatencyKind::EndToEnd, Duration::from_millis(40));
/// }
/// let now = Timestamp::from_duration(Duration::from_secs(1));
/// engine.tick(now)?;
///
/// let router = Router::new(ScoringConfig { slo_demotion: Some(1.0), ..ScoringConfig::default() });
/// let candidates = [
///     Candidate::new(east, HealthBucket::Healthy, 5.0),
///     Candidate::new(west, HealthBucket::Healthy, 50.0),
/// ];
/// let snapshot = engine.snapshot();
/// let mut prober = Prober::new(Duration::from_secs(1))?;
/// let mut rng = PickRng::new(1);
/// // The demoted east gets one probe a second; every other request goes to west.
/// assert_eq!(prober.due(&router, &candidates, &snapshot, None, now), Some(east));
/// assert_eq!(prober.due(&router, &candidates, &snapshot, None, now), None);
/// assert_eq!(router.pick(&candidates, &snapshot, None, &mut rng)?.target, west);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Prober {
    interval_ns: u64,
    /// When each target (by index) was last probed.
    last: Vec<Option<Timestamp>>,
}

impl Prober {
    /// A prober sending at most one request per `interval` to each demoted target.
    /// Refuses a zero interval.
    pub fn new(interval: Duration) -> Result<Prober, ConfigError> {
        Self::with_capacity(interval, 0)
    }

    /// Like [`new`](Self::new), with room for targets of index below `targets`:
    /// [`due`](Self::due) then never allocates for them.
    pub fn with_capacity(interval: Duration, targets: usize) -> Result<Prober, ConfigError> {
        if interval.is_zero() {
            return Err(ConfigError::new(
                "probe_interval",
                "0s",
                "a duration longer than zero",
            ));
        }
        Ok(Prober {
            interval_ns: u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX),
            last: vec![None; targets],
        })
    }

    /// The first demoted candidate not probed for an interval, marked as probed at
    /// `now`; `None` when no probe is due (then route with [`Router::pick`]). Allocates
    /// only the first time it sees a target index beyond its capacity.
    pub fn due<S: QuantileSketch>(
        &mut self,
        router: &Router,
        candidates: &[Candidate],
        snapshot: &Snapshot<S>,
        job: Option<&LatencySlo>,
        now: Timestamp,
    ) -> Option<TargetId> {
        for candidate in candidates {
            if candidate.health >= HealthBucket::Degraded || candidate.invalid_field().is_some() {
                continue;
            }
            let index = candidate.target.index();
            let probed_recently = self.last.get(index).copied().flatten().is_some_and(|at| {
                now.saturating_since(at).as_nanos() < u128::from(self.interval_ns)
            });
            if probed_recently || router.bucket(candidate, snapshot, job) != HealthBucket::Degraded
            {
                continue;
            }
            if index >= self.last.len() {
                self.last.resize(index + 1, None);
            }
            self.last[index] = Some(now);
            return Some(candidate.target);
        }
        None
    }
}
