//! Time: clocks, latency kinds, and sliding windows of sketches.
//!
//! A [`WindowedSketch`] is a ring of sub-window sketches aligned to fixed epochs (by
//! default 5 × 60 s); a [`LatencyTracker`] keeps one per (target, kind) and answers
//! observations and compliance. Samples expire a whole sub-window at a time, at the
//! sub-window edges: a query for window `W` covers the `⌈W / width⌉` most recent
//! sub-windows, the open one included.

mod clock;
mod kind;
mod span;
mod store;
mod tracker;

pub use clock::{Clock, ManualClock, MonotonicClock, Timestamp};
pub use kind::LatencyKind;
pub use span::{RequestSpan, SpanError, SpanLatencies};
pub use store::{Coverage, WindowConfig, WindowedSketch};
pub use tracker::{LatencyTracker, RecordError, TrackerConfig};
