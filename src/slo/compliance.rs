//! Compliance of an observation against an SLO, and the routing factor it yields.

use super::{LatencyObservation, LatencySlo};
use crate::error::ConfigError;

/// How well a target meets its SLO, by composite ratio (observed / target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComplianceLevel {
    /// Composite below 0.8: well within the SLO.
    Exceeding,
    /// Composite in [0.8, 1.0).
    Meeting,
    /// Composite in [1.0, 1.2): at or just past the targets.
    Warning,
    /// Composite in [1.2, 1.5).
    Violating,
    /// Composite 1.5 or more.
    Critical,
}

impl ComplianceLevel {
    /// The level of a composite ratio.
    pub fn of(composite: f64) -> Self {
        if composite < 0.8 {
            ComplianceLevel::Exceeding
        } else if composite < 1.0 {
            ComplianceLevel::Meeting
        } else if composite < 1.2 {
            ComplianceLevel::Warning
        } else if composite < 1.5 {
            ComplianceLevel::Violating
        } else {
            ComplianceLevel::Critical
        }
    }
}

/// How strongly SLO compliance moves a routing score: `factor = clamp(1 + a_slo ×
/// (composite − 1), factor_min, factor_max)`. One config, shared by compliance scoring
/// and the router, so the two never disagree.
///
/// # Examples
///
/// ```
/// use slo_router::slo::SloFactorConfig;
///
/// let config = SloFactorConfig::default();
/// assert_eq!(config.factor(1.0), 1.0);
/// assert_eq!(config.factor(10.0), 3.0); // capped
/// assert!(SloFactorConfig::new(0.4, 2.0, 1.0).is_err()); // min above max
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloFactorConfig {
    a_slo: f64,
    factor_min: f64,
    factor_max: f64,
}

impl Default for SloFactorConfig {
    /// `a_slo` 0.4, factor clamped to [0.5, 3.0].
    fn default() -> Self {
        SloFactorConfig {
            a_slo: 0.4,
            factor_min: 0.5,
            factor_max: 3.0,
        }
    }
}

impl SloFactorConfig {
    /// Validates `a_slo ≥ 0` and `0 < factor_min ≤ 1 ≤ factor_max`, all finite.
    pub fn new(a_slo: f64, factor_min: f64, factor_max: f64) -> Result<Self, ConfigError> {
        if !(a_slo.is_finite() && a_slo >= 0.0) {
            return Err(ConfigError::new("a_slo", a_slo, "a finite value >= 0"));
        }
        if !(factor_min.is_finite() && factor_min > 0.0 && factor_min <= 1.0) {
            return Err(ConfigError::new(
                "factor_min",
                factor_min,
                "a value in (0, 1]",
            ));
        }
        if !(factor_max.is_finite() && factor_max >= 1.0) {
            return Err(ConfigError::new(
                "factor_max",
                factor_max,
                "a finite value >= 1",
            ));
        }
        Ok(SloFactorConfig {
            a_slo,
            factor_min,
            factor_max,
        })
    }

    /// The weight of the composite's distance from 1.
    pub fn a_slo(&self) -> f64 {
        self.a_slo
    }

    /// The lowest factor (the largest bonus).
    pub fn factor_min(&self) -> f64 {
        self.factor_min
    }

    /// The highest factor (the largest penalty).
    pub fn factor_max(&self) -> f64 {
        self.factor_max
    }

    /// The routing factor for a composite ratio.
    pub fn factor(&self, composite: f64) -> f64 {
        (1.0 + self.a_slo * (composite - 1.0)).clamp(self.factor_min, self.factor_max)
    }
}

/// The compliance of one observation against one SLO.
///
/// # Examples
///
/// The seed's worked example: dc-east against 50 / 200 / 500 ms.
///
/// ```
/// use slo_router::slo::{ComplianceLevel, LatencyObservation, LatencySlo, SloCompliance, SloFactorConfig};
/// use slo_router::target::TargetId;
/// use slo_router::window::{LatencyKind, Timestamp};
///
/// let observation = LatencyObservation {
///     target: TargetId::from_index(0),
///     kind: LatencyKind::Dispatch,
///     p50: 45.0, p95: 180.0, p99: 420.0, mean: 60.0, count: 1523,
///     window_start: Timestamp::ZERO, window_end: Timestamp::ZERO, newest_sample: Timestamp::ZERO,
/// };
/// let c = SloCompliance::evaluate(&observation, &LatencySlo::default(), &SloFactorConfig::default())
///     .unwrap();
/// assert!((c.composite - 0.882).abs() < 1e-9);
/// assert_eq!(c.level, ComplianceLevel::Meeting);
/// assert!((c.routing_factor - 0.9528).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloCompliance {
    /// Observed p50 over its target.
    pub p50_ratio: f64,
    /// Observed p95 over its target.
    pub p95_ratio: f64,
    /// Observed p99 over its target.
    pub p99_ratio: f64,
    /// The weighted sum of the ratios, before the confidence adjustment.
    pub raw_composite: f64,
    /// The composite after the confidence adjustment: what the level and factor use.
    pub composite: f64,
    /// `min(1, count / min_sample_count)`.
    pub confidence: f64,
    /// The level of `composite`.
    pub level: ComplianceLevel,
    /// The factor applied to a routing score: below 1 a bonus, above 1 a penalty.
    pub routing_factor: f64,
}

impl SloCompliance {
    /// Judges `observation` against `slo`. `None` when the observation has no samples:
    /// the router then uses a neutral factor of 1.
    ///
    /// Low confidence shrinks a bonus toward neutral (`composite × confidence + 1 −
    /// confidence` when the composite is below 1) but never hides a penalty (a composite
    /// of 1 or more is kept as it is).
    pub fn evaluate(
        observation: &LatencyObservation,
        slo: &LatencySlo,
        factor: &SloFactorConfig,
    ) -> Option<Self> {
        if observation.count == 0 {
            return None;
        }
        let p50_ratio = observation.p50 / slo.p50_target_ms();
        let p95_ratio = observation.p95 / slo.p95_target_ms();
        let p99_ratio = observation.p99 / slo.p99_target_ms();
        let (w50, w95, w99) = slo.weights();
        let raw_composite = w50 * p50_ratio + w95 * p95_ratio + w99 * p99_ratio;
        let confidence = (observation.count as f64 / slo.min_sample_count() as f64).min(1.0);
        let composite = if raw_composite < 1.0 {
            raw_composite * confidence + (1.0 - confidence)
        } else {
            raw_composite
        };
        Some(SloCompliance {
            p50_ratio,
            p95_ratio,
            p99_ratio,
            raw_composite,
            composite,
            confidence,
            level: ComplianceLevel::of(composite),
            routing_factor: factor.factor(composite),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetId;
    use crate::window::{LatencyKind, Timestamp};

    fn observation(p50: f64, p95: f64, p99: f64, count: u64) -> LatencyObservation {
        LatencyObservation {
            target: TargetId::from_index(0),
            kind: LatencyKind::Response,
            p50,
            p95,
            p99,
            mean: p50,
            count,
            window_start: Timestamp::ZERO,
            window_end: Timestamp::ZERO,
            newest_sample: Timestamp::ZERO,
        }
    }

    fn evaluate(o: &LatencyObservation) -> SloCompliance {
        SloCompliance::evaluate(o, &LatencySlo::default(), &SloFactorConfig::default()).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn seed_worked_example_dc_east_meets() {
        let c = evaluate(&observation(45.0, 180.0, 420.0, 1523));
        assert!(close(c.p50_ratio, 0.9) && close(c.p95_ratio, 0.9) && close(c.p99_ratio, 0.84));
        assert!(close(c.composite, 0.882));
        assert_eq!(c.confidence, 1.0);
        assert_eq!(c.level, ComplianceLevel::Meeting);
        assert!(close(c.routing_factor, 1.0 + 0.4 * (0.882 - 1.0)));
        assert!((c.routing_factor - 0.953).abs() < 0.001);
    }

    #[test]
    fn seed_worked_example_dc_west_is_critical() {
        let c = evaluate(&observation(80.0, 350.0, 800.0, 1523));
        assert!(close(c.p50_ratio, 1.6) && close(c.p95_ratio, 1.75) && close(c.p99_ratio, 1.6));
        assert!(close(c.composite, 1.675));
        assert_eq!(c.level, ComplianceLevel::Critical);
        assert!(close(c.routing_factor, 1.27));
    }

    #[test]
    fn level_boundaries() {
        let cases = [
            (0.0, ComplianceLevel::Exceeding),
            (0.799_999, ComplianceLevel::Exceeding),
            (0.8, ComplianceLevel::Meeting),
            (0.999_999, ComplianceLevel::Meeting),
            (1.0, ComplianceLevel::Warning),
            (1.199_999, ComplianceLevel::Warning),
            (1.2, ComplianceLevel::Violating),
            (1.499_999, ComplianceLevel::Violating),
            (1.5, ComplianceLevel::Critical),
            (100.0, ComplianceLevel::Critical),
        ];
        for (composite, level) in cases {
            assert_eq!(
                ComplianceLevel::of(composite),
                level,
                "composite {composite}"
            );
        }
    }

    #[test]
    fn confidence_shrinks_a_bonus_but_keeps_a_penalty() {
        // Half the targets everywhere: composite 0.5.
        let full = evaluate(&observation(25.0, 100.0, 250.0, 100));
        assert_eq!(full.confidence, 1.0);
        assert!(close(full.composite, 0.5));
        let partial = evaluate(&observation(25.0, 100.0, 250.0, 25));
        assert!(close(partial.confidence, 0.25));
        assert!(close(partial.composite, 0.5 * 0.25 + 0.75));
        let zero_confidence_limit = evaluate(&observation(25.0, 100.0, 250.0, 1));
        assert!(close(zero_confidence_limit.composite, 0.5 * 0.01 + 0.99));
        // Double the targets: the penalty stays whatever the confidence.
        let penalty = evaluate(&observation(100.0, 400.0, 1000.0, 5));
        assert!(close(penalty.confidence, 0.05));
        assert!(close(penalty.composite, 2.0));
        assert_eq!(penalty.level, ComplianceLevel::Critical);
    }

    #[test]
    fn no_samples_means_no_compliance() {
        let o = observation(25.0, 100.0, 250.0, 0);
        let c = SloCompliance::evaluate(&o, &LatencySlo::default(), &SloFactorConfig::default());
        assert_eq!(c, None);
    }

    #[test]
    fn factor_clamps_and_uses_the_configured_slope() {
        let config = SloFactorConfig::default();
        assert_eq!(config.factor(-10.0), 0.5);
        assert_eq!(config.factor(100.0), 3.0);
        let steep = SloFactorConfig::new(1.0, 0.5, 3.0).unwrap();
        assert!(close(steep.factor(1.675), 1.675));
        let c = SloCompliance::evaluate(
            &observation(80.0, 350.0, 800.0, 1523),
            &LatencySlo::default(),
            &steep,
        )
        .unwrap();
        assert!(close(c.routing_factor, 1.675));
    }

    #[test]
    fn factor_config_is_validated() {
        assert_eq!(
            SloFactorConfig::new(-0.1, 0.5, 3.0).unwrap_err().field(),
            "a_slo"
        );
        assert_eq!(
            SloFactorConfig::new(0.4, 0.0, 3.0).unwrap_err().field(),
            "factor_min"
        );
        assert_eq!(
            SloFactorConfig::new(0.4, 0.5, 0.9).unwrap_err().field(),
            "factor_max"
        );
        assert_eq!(
            SloFactorConfig::new(0.4, f64::NAN, 3.0)
                .unwrap_err()
                .field(),
            "factor_min"
        );
    }
}
