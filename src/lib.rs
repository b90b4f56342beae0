//! # slo-router
//!
//! SLO-aware health routing: record latencies on hot paths, turn them into streaming,
//! mergeable percentiles, judge targets against a latency SLO, and route by a
//! multi-factor score.
//!
//! - [`sketch`]: streaming, mergeable quantile sketches (T-Digest, DDSketch, HdrHistogram).
//! - [`slo`]: latency SLOs, compliance scoring and the routing factor.
//! - [`window`]: clocks, fixed-epoch sliding windows, the per-(target, kind) tracker.
//! - [`engine`]: lock-free recorders, one merger thread, wait-free snapshot readers.
//! - [`routing`]: health buckets, the multi-factor score, ranking, anti-herding picks,
//!   SLO demotion and probes.
//! - [`vivaldi`]: network coordinates, the RTT bound and quality the score uses.
//! - [`wire`]: binary encodings for hierarchical merging, JVM t-digest and HdrHistogram
//!   interop.
//! - [`target`]: interned target names and cheap ids.
//!
//! # Examples
//!
//! ```
//! use slo_router::sketch::{QuantileSketch, TDigest};
//!
//! let mut east = TDigest::default();
//! let mut west = TDigest::default();
//! for ms in 1..=1000 {
//!     east.add(ms as f64 * 0.1);
//!     west.add(ms as f64 * 0.2);
//! }
//! // Digests from different nodes merge into one.
//! east.merge(&west);
//! assert_eq!(east.count(), 2000);
//! let p99 = east.quantile(0.99).unwrap();
//! assert!(p99 > 190.0 && p99 < 200.0);
//! ```
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

pub mod engine;
mod error;
pub mod routing;
pub mod sketch;
pub mod slo;
pub mod target;
pub mod vivaldi;
pub mod window;
pub mod wire;
#[cfg(feature = "workload")]
pub mod workload;

pub use error::ConfigError;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
