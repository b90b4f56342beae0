//! The constants of the routing score.

use crate::error::ConfigError;
use crate::slo::SloFactorConfig;
use crate::window::LatencyKind;

/// Every constant of the routing score (SPEC section 6), validated.
///
/// * `load_factor = min(1 + a_util·utilization + a_queue·queue + a_cb·pressure,
///   load_factor_max)`, with `utilization = 1 − available/total` (1 when total is 0)
///   and `queue = depth/(depth + queue_smoothing)`;
/// * `quality_penalty = min(1 + a_quality·(1 − quality), quality_penalty_max)`;
/// * `slo_factor` from compliance of `slo_kind` latencies, via `slo` (shared with
///   compliance scoring);
/// * `preference = preference_multiplier` when preferred, else 1;
/// * `pick_tolerance`: scores within this relative distance count as equal in `pick`;
/// * `slo_demotion`: when set, a target whose compliance composite reaches it is ranked
///   in the Degraded bucket (beyond the seed; see the field).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoringConfig {
    /// Weight of utilisation (0.5).
    pub a_util: f64,
    /// Weight of the queue (0.3).
    pub a_queue: f64,
    /// Weight of circuit-breaker pressure (0.2).
    pub a_cb: f64,
    /// Queue depth at which the queue term is one half (10).
    pub queue_smoothing: f64,
    /// Cap of the load factor (5.0).
    pub load_factor_max: f64,
    /// Weight of missing coordinate quality (0.5).
    pub a_quality: f64,
    /// Cap of the quality penalty (2.0).
    pub quality_penalty_max: f64,
    /// Multiplier for preferred targets (0.9).
    pub preference_multiplier: f64,
    /// The SLO factor's slope and clamps (0.4, [0.5, 3.0]).
    pub slo: SloFactorConfig,
    /// Which latency the SLO factor judges (end-to-end).
    pub slo_kind: LatencyKind,
    /// Relative score difference under which `pick` treats two targets as equal (5 %).
    pub pick_tolerance: f64,
    /// The compliance composite at or above which a Healthy or Busy target is ranked in
    /// the Degraded bucket: `Some(1.0)` takes a target out of rotation while it misses
    /// its SLO (pair it with a [`Prober`](super::Prober) so its recovery is noticed).
    /// `None` (the default, the seed's behaviour): compliance only scales the score,
    /// whose factor of at most 3 cannot outweigh a larger RTT difference; the README's
    /// simulation measures both.
    pub slo_demotion: Option<f64>,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            a_util: 0.5,
            a_queue: 0.3,
            a_cb: 0.2,
            queue_smoothing: 10.0,
            load_factor_max: 5.0,
            a_quality: 0.5,
            quality_penalty_max: 2.0,
            preference_multiplier: 0.9,
            slo: SloFactorConfig::default(),
            slo_kind: LatencyKind::EndToEnd,
            pick_tolerance: 0.05,
            slo_demotion: None,
        }
    }
}

impl ScoringConfig {
    /// Checks every constant: weights finite and ≥ 0, smoothing > 0, caps ≥ 1,
    /// preference in (0, 1], tolerance in [0, 1), demotion composite finite and > 0.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, v) in [
            ("a_util", self.a_util),
            ("a_queue", self.a_queue),
            ("a_cb", self.a_cb),
            ("a_quality", self.a_quality),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::new(field, v, "a finite weight >= 0"));
            }
        }
        if !(self.queue_smoothing.is_finite() && self.queue_smoothing > 0.0) {
            return Err(ConfigError::new(
                "queue_smoothing",
                self.queue_smoothing,
                "a finite value > 0",
            ));
        }
        for (field, v) in [
            ("load_factor_max", self.load_factor_max),
            ("quality_penalty_max", self.quality_penalty_max),
        ] {
            if !(v.is_finite() && v >= 1.0) {
                return Err(ConfigError::new(field, v, "a finite cap >= 1"));
            }
        }
        if !(self.preference_multiplier > 0.0 && self.preference_multiplier <= 1.0) {
            return Err(ConfigError::new(
                "preference_multiplier",
                self.preference_multiplier,
                "a value in (0, 1]",
            ));
        }
        if !(0.0..1.0).contains(&self.pick_tolerance) {
            return Err(ConfigError::new(
                "pick_tolerance",
                self.pick_tolerance,
                "a value in [0, 1)",
            ));
        }
        if let Some(at) = self.slo_demotion {
            if !(at.is_finite() && at > 0.0) {
                return Err(ConfigError::new(
                    "slo_demotion",
                    at,
                    "a finite composite > 0",
                ));
            }
        }
        // Re-validate the SLO factor in case it was built field by field elsewhere.
        SloFactorConfig::new(
            self.slo.a_slo(),
            self.slo.factor_min(),
            self.slo.factor_max(),
        )?;
        Ok(())
    }
}
