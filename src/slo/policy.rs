//! Which SLO applies to a decision.

use std::collections::HashMap;

use super::LatencySlo;
use crate::target::TargetId;

/// The SLOs in force: a default, per-target overrides, and (per decision) a job's own.
/// The most specific wins: job, then target, then default.
///
/// # Examples
///
/// ```
/// use slo_router::slo::{LatencySlo, SloPolicy};
/// use slo_router::target::TargetId;
///
/// let east = TargetId::from_index(0);
/// let west = TargetId::from_index(1);
/// let strict = LatencySlo::builder().p95_target_ms(100.0).build()?;
/// let job = LatencySlo::builder().p95_target_ms(50.0).build()?;
///
/// let mut policy = SloPolicy::default();
/// policy.set_target_slo(east, strict);
/// assert_eq!(policy.resolve(east, None).p95_target_ms(), 100.0);
/// assert_eq!(policy.resolve(west, None).p95_target_ms(), 200.0);
/// assert_eq!(policy.resolve(east, Some(&job)).p95_target_ms(), 50.0);
/// # Ok::<(), slo_router::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SloPolicy {
    default: LatencySlo,
    per_target: HashMap<TargetId, LatencySlo>,
}

impl SloPolicy {
    /// A policy whose default is `default`, with no overrides.
    pub fn new(default: LatencySlo) -> Self {
        SloPolicy {
            default,
            per_target: HashMap::new(),
        }
    }

    /// The default SLO.
    pub fn default_slo(&self) -> &LatencySlo {
        &self.default
    }

    /// Replaces the default SLO.
    pub fn set_default_slo(&mut self, slo: LatencySlo) {
        self.default = slo;
    }

    /// Overrides the SLO of one target.
    pub fn set_target_slo(&mut self, target: TargetId, slo: LatencySlo) {
        self.per_target.insert(target, slo);
    }

    /// Removes a target's override; it falls back to the default.
    pub fn clear_target_slo(&mut self, target: TargetId) {
        self.per_target.remove(&target);
    }

    /// The SLO for `target`, or `job` when a job brings its own.
    pub fn resolve<'a>(&'a self, target: TargetId, job: Option<&'a LatencySlo>) -> &'a LatencySlo {
        job.or_else(|| self.per_target.get(&target))
            .unwrap_or(&self.default)
    }
}
