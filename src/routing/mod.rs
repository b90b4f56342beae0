//! Routing: health buckets and a multi-factor score in which SLO compliance is one
//! factor.
//!
//! `score = rtt_ucb_ms × load_factor × quality_penalty × slo_factor × preference`,
//! lower is better, compared only inside a health bucket (Healthy > Busy > Degraded;
//! Unhealthy is never routed to). [`Router::rank`] orders every candidate (the best
//! non-empty bucket first, then the fallback chain); [`Router::pick`] chooses one target
//! per request without herding.
//!
//! Beyond the seed, [`ScoringConfig::slo_demotion`] ranks a target that misses its SLO
//! in the Degraded bucket, and a [`Prober`] keeps sending it an occasional request so
//! its recovery is noticed: the simulation in the README shows why the SLO factor alone
//! cannot steer traffic away from a near target that misses its SLO.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use slo_router::engine::Engine;
//! use slo_router::routing::{Candidate, HealthBucket, PickRng, Router, ScoringConfig};
//! use slo_router::window::{LatencyKind, ManualClock, Timestamp};
//!
//! let engine = Engine::builder().manual(ManualClock::default()).build()?;
//! let east = engine.register_target("dc-east")?;
//! let west = engine.register_target("dc-west")?;
//! let mut recorder = engine.recorder();
//! for _ in 0..500 {
//!     recorder.record(east, LatencyKind::EndToEnd, Duration::from_millis(40));  // meets the SLO
//!     recorder.record(west, LatencyKind::EndToEnd, Duration::from_millis(900)); // critical
//! }
//! engine.tick(Timestamp::from_duration(Duration::from_secs(1)))?;
//!
//! let router = Router::new(ScoringConfig::default());
//! let candidates = [
//!     Candidate::new(east, HealthBucket::Healthy, 30.0),
//!     Candidate::new(west, HealthBucket::Healthy, 20.0), // nearer, but violating
//! ];
//! let snapshot = engine.snapshot();
//! let ranking = router.rank(&candidates, &snapshot, None)?;
//! assert_eq!(ranking.order[0].target, east);
//! let mut rng = PickRng::new(7);
//! assert_eq!(router.pick(&candidates, &snapshot, None, &mut rng)?.target, east);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod candidate;
mod config;
mod probe;
mod rng;
mod scorer;

pub use candidate::{Candidate, HealthBucket};
pub use config::ScoringConfig;
pub use probe::Prober;
pub use rng::PickRng;
pub use scorer::{Exclusion, Ranking, RouteError, Router, RoutingScore};
