//! The latency SLO: targets, weights, confidence and window.

use std::time::Duration;

use crate::error::{ConfigError, positive_finite};

/// A latency SLO: p50, p95 and p99 targets in milliseconds, the weight of each in the
/// composite score, the sample count needed for full confidence, and the window over
/// which it is judged.
///
/// Built only through [`LatencySlo::builder`] (or [`Default`]), which validates every
/// field: targets finite and > 0, weights ≥ 0 summing to 1 within 0.001, a minimum
/// sample count ≥ 1 and a window > 0.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::slo::LatencySlo;
///
/// let slo = LatencySlo::builder()
///     .p95_target_ms(150.0)
///     .evaluation_window(Duration::from_secs(120))
///     .build()?;
/// assert_eq!(slo.p95_target_ms(), 150.0);
/// assert_eq!(slo.p50_target_ms(), 50.0); // defaults for the rest
///
/// let bad = LatencySlo::builder().weights(0.5, 0.5, 0.5).build().unwrap_err();
/// assert_eq!(bad.field(), "weights");
/// # Ok::<(), slo_router::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySlo {
    p50_target_ms: f64,
    p95_target_ms: f64,
    p99_target_ms: f64,
    p50_weight: f64,
    p95_weight: f64,
    p99_weight: f64,
    min_sample_count: u64,
    evaluation_window: Duration,
}

impl Default for LatencySlo {
    /// 50 / 200 / 500 ms, weights 0.2 / 0.5 / 0.3, 100 samples, 300 s.
    fn default() -> Self {
        LatencySlo {
            p50_target_ms: 50.0,
            p95_target_ms: 200.0,
            p99_target_ms: 500.0,
            p50_weight: 0.2,
            p95_weight: 0.5,
            p99_weight: 0.3,
            min_sample_count: 100,
            evaluation_window: Duration::from_secs(300),
        }
    }
}

impl LatencySlo {
    /// A builder starting from the defaults.
    pub fn builder() -> LatencySloBuilder {
        LatencySloBuilder {
            slo: LatencySlo::default(),
        }
    }

    /// The p50 target, in milliseconds.
    pub fn p50_target_ms(&self) -> f64 {
        self.p50_target_ms
    }

    /// The p95 target, in milliseconds.
    pub fn p95_target_ms(&self) -> f64 {
        self.p95_target_ms
    }

    /// The p99 target, in milliseconds.
    pub fn p99_target_ms(&self) -> f64 {
        self.p99_target_ms
    }

    /// The weights of the p50, p95 and p99 ratios in the composite score.
    pub fn weights(&self) -> (f64, f64, f64) {
        (self.p50_weight, self.p95_weight, self.p99_weight)
    }

    /// The sample count at which confidence reaches 1.
    pub fn min_sample_count(&self) -> u64 {
        self.min_sample_count
    }

    /// The window over which the SLO is judged.
    pub fn evaluation_window(&self) -> Duration {
        self.evaluation_window
    }
}

/// Builds a validated [`LatencySlo`]; see [`LatencySlo::builder`].
#[derive(Debug, Clone)]
pub struct LatencySloBuilder {
    slo: LatencySlo,
}

impl LatencySloBuilder {
    /// Sets the p50 target in milliseconds.
    pub fn p50_target_ms(mut self, ms: f64) -> Self {
        self.slo.p50_target_ms = ms;
        self
    }

    /// Sets the p95 target in milliseconds.
    pub fn p95_target_ms(mut self, ms: f64) -> Self {
        self.slo.p95_target_ms = ms;
        self
    }

    /// Sets the p99 target in milliseconds.
    pub fn p99_target_ms(mut self, ms: f64) -> Self {
        self.slo.p99_target_ms = ms;
        self
    }

    /// Sets the weights of the p50, p95 and p99 ratios (≥ 0, summing to 1).
    pub fn weights(mut self, p50: f64, p95: f64, p99: f64) -> Self {
        self.slo.p50_weight = p50;
        self.slo.p95_weight = p95;
        self.slo.p99_weight = p99;
        self
    }

    /// Sets the sample count at which confidence reaches 1 (≥ 1).
    pub fn min_sample_count(mut self, count: u64) -> Self {
        self.slo.min_sample_count = count;
        self
    }

    /// Sets the evaluation window (> 0).
    pub fn evaluation_window(mut self, window: Duration) -> Self {
        self.slo.evaluation_window = window;
        self
    }

    /// Validates and returns the SLO, or the first refused field.
    pub fn build(self) -> Result<LatencySlo, ConfigError> {
        let s = self.slo;
        positive_finite("p50_target_ms", s.p50_target_ms)?;
        positive_finite("p95_target_ms", s.p95_target_ms)?;
        positive_finite("p99_target_ms", s.p99_target_ms)?;
        for (field, weight) in [
            ("p50_weight", s.p50_weight),
            ("p95_weight", s.p95_weight),
            ("p99_weight", s.p99_weight),
        ] {
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(ConfigError::new(field, weight, "a finite weight >= 0"));
            }
        }
        let sum = s.p50_weight + s.p95_weight + s.p99_weight;
        if (sum - 1.0).abs() > 0.001 {
            return Err(ConfigError::new(
                "weights",
                format!(
                    "{} + {} + {} = {sum}",
                    s.p50_weight, s.p95_weight, s.p99_weight
                ),
                "weights summing to 1 within 0.001",
            ));
        }
        if s.min_sample_count == 0 {
            return Err(ConfigError::new("min_sample_count", 0, "at least 1"));
        }
        if s.evaluation_window.is_zero() {
            return Err(ConfigError::new(
                "evaluation_window",
                "0s",
                "a window longer than zero",
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_specified_ones() {
        let slo = LatencySlo::default();
        assert_eq!(
            (
                slo.p50_target_ms(),
                slo.p95_target_ms(),
                slo.p99_target_ms()
            ),
            (50.0, 200.0, 500.0)
        );
        assert_eq!(slo.weights(), (0.2, 0.5, 0.3));
        assert_eq!(slo.min_sample_count(), 100);
        assert_eq!(slo.evaluation_window(), Duration::from_secs(300));
        assert_eq!(LatencySlo::builder().build(), Ok(slo));
    }

    #[test]
    fn every_field_is_validated_and_named() {
        let cases = [
            (LatencySlo::builder().p50_target_ms(0.0), "p50_target_ms"),
            (
                LatencySlo::builder().p95_target_ms(f64::NAN),
                "p95_target_ms",
            ),
            (
                LatencySlo::builder().p99_target_ms(f64::INFINITY),
                "p99_target_ms",
            ),
            (LatencySlo::builder().weights(-0.1, 0.6, 0.5), "p50_weight"),
            (
                LatencySlo::builder().weights(0.2, f64::NAN, 0.3),
                "p95_weight",
            ),
            (LatencySlo::builder().weights(0.2, 0.5, 0.31), "weights"),
            (
                LatencySlo::builder().min_sample_count(0),
                "min_sample_count",
            ),
            (
                LatencySlo::builder().evaluation_window(Duration::ZERO),
                "evaluation_window",
            ),
        ];
        for (builder, field) in cases {
            assert_eq!(builder.build().unwrap_err().field(), field);
        }
        assert!(
            LatencySlo::builder()
                .weights(0.2, 0.5, 0.3005)
                .build()
                .is_ok()
        );
    }
}
