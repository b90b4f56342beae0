//! Vivaldi network coordinates: the `rtt_ucb_ms` and `coordinate_quality` inputs of the
//! routing score.
//!
//! Each node keeps a [`Coordinate`] (8 Euclidean dimensions, a height for the access
//! link, an adjustment term and an error estimate) and moves it a little toward
//! consistency with every RTT it measures to a peer, following HashiCorp Serf's
//! well-tested implementation and defaults ([`VivaldiConfig`]). [`VivaldiClient`] adds
//! Serf's per-peer latency filter, adjustment window and gravity, and turns a peer's
//! coordinate into an upper confidence bound on the RTT plus a quality in [0, 1].
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use slo_router::vivaldi::VivaldiClient;
//!
//! let mut a = VivaldiClient::new(1);
//! let mut b = VivaldiClient::new(2);
//! for _ in 0..40 {
//!     let (ca, cb) = (*a.coordinate(), *b.coordinate());
//!     a.update(2, &cb, Duration::from_millis(50))?;
//!     b.update(1, &ca, Duration::from_millis(50))?;
//! }
//! let estimate = a.coordinate().estimate_rtt(b.coordinate());
//! assert!((estimate.as_secs_f64() * 1e3 - 50.0).abs() < 1.0);
//! # Ok::<(), slo_router::vivaldi::VivaldiError>(())
//! ```

mod client;
mod coordinate;

pub use client::{RttEstimate, VivaldiClient, quality};
pub use coordinate::{Coordinate, DIMENSIONS, VivaldiConfig, VivaldiError};
