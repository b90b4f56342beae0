//! What the router knows about one candidate target.

use crate::target::TargetId;
use crate::vivaldi::RttEstimate;

/// Capacity-based health, best first: the router only falls back to a lower bucket
/// when every better one is empty, and never routes to `Unhealthy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthBucket {
    /// Serving normally.
    Healthy,
    /// Serving, but loaded.
    Busy,
    /// Serving poorly; a last resort.
    Degraded,
    /// Never routed to.
    Unhealthy,
}

/// One routing candidate: its health, load, network distance and preference.
///
/// # Examples
///
/// ```
/// use slo_router::routing::{Candidate, HealthBucket};
/// use slo_router::target::TargetId;
///
/// let c = Candidate {
///     total_cores: 8,
///     available_cores: 4,
///     queue_depth: 8,
///     circuit_breaker_pressure: 0.5,
///     ..Candidate::new(TargetId::from_index(0), HealthBucket::Healthy, 12.5)
/// };
/// assert_eq!(c.coordinate_quality, 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The target this candidate routes to.
    pub target: TargetId,
    /// Its health bucket.
    pub health: HealthBucket,
    /// Cores in total (0 counts as fully utilised).
    pub total_cores: u32,
    /// Cores free; at most `total_cores`.
    pub available_cores: u32,
    /// Requests waiting.
    pub queue_depth: u32,
    /// Circuit-breaker pressure in [0, 1].
    pub circuit_breaker_pressure: f64,
    /// Upper confidence bound on the RTT, in milliseconds (from Vivaldi).
    pub rtt_ucb_ms: f64,
    /// Trust in the coordinates behind `rtt_ucb_ms`, in [0, 1].
    pub coordinate_quality: f64,
    /// The caller prefers this target (score × the preference multiplier).
    pub preferred: bool,
}

impl Candidate {
    /// An idle candidate (1 of 1 cores free, empty queue, no pressure, full quality,
    /// not preferred) at `rtt_ucb_ms`.
    pub fn new(target: TargetId, health: HealthBucket, rtt_ucb_ms: f64) -> Self {
        Candidate {
            target,
            health,
            total_cores: 1,
            available_cores: 1,
            queue_depth: 0,
            circuit_breaker_pressure: 0.0,
            rtt_ucb_ms,
            coordinate_quality: 1.0,
            preferred: false,
        }
    }

    /// Takes `rtt_ucb_ms` and `coordinate_quality` from a Vivaldi estimate.
    pub fn with_rtt(mut self, estimate: &RttEstimate) -> Self {
        self.rtt_ucb_ms = estimate.rtt_ucb_ms;
        self.coordinate_quality = estimate.quality;
        self
    }

    /// The first field that makes this candidate unusable, if any: NaN, infinite or
    /// negative numbers, pressure or quality outside [0, 1], more cores free than exist.
    pub fn invalid_field(&self) -> Option<&'static str> {
        if !(self.rtt_ucb_ms.is_finite() && self.rtt_ucb_ms >= 0.0) {
            return Some("rtt_ucb_ms");
        }
        if !(0.0..=1.0).contains(&self.coordinate_quality) {
            return Some("coordinate_quality");
        }
        if !(0.0..=1.0).contains(&self.circuit_breaker_pressure) {
            return Some("circuit_breaker_pressure");
        }
        if self.available_cores > self.total_cores {
            return Some("available_cores");
        }
        None
    }
}
