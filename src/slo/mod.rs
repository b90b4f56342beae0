//! Latency SLOs and compliance scoring.
//!
//! A [`LatencySlo`] sets p50/p95/p99 targets; a [`LatencyObservation`] is what a target
//! actually did over a window; [`SloCompliance::evaluate`] turns the two into a composite
//! ratio, a [`ComplianceLevel`] and a routing factor, using the asymmetric confidence
//! rule of SPEC section 3 (low confidence shrinks a bonus, never hides a penalty).
//! [`SloPolicy`] picks the SLO that applies: a job's own, a target's override, or the
//! default.

mod compliance;
mod latency_slo;
mod observation;
mod policy;

pub use compliance::{ComplianceLevel, SloCompliance, SloFactorConfig};
pub use latency_slo::{LatencySlo, LatencySloBuilder};
pub use observation::LatencyObservation;
pub use policy::SloPolicy;
