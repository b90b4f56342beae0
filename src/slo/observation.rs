//! What a target's latencies looked like over a window.

use std::time::Duration;

use crate::target::TargetId;
use crate::window::{LatencyKind, Timestamp};

/// Observed latency percentiles (milliseconds) of one target and kind over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyObservation {
    /// The target observed.
    pub target: TargetId,
    /// Which latency.
    pub kind: LatencyKind,
    /// Median, in milliseconds.
    pub p50: f64,
    /// 95th percentile, in milliseconds.
    pub p95: f64,
    /// 99th percentile, in milliseconds.
    pub p99: f64,
    /// Mean, in milliseconds.
    pub mean: f64,
    /// Samples in the window.
    pub count: u64,
    /// Start of the oldest sub-window covered.
    pub window_start: Timestamp,
    /// End of the window (the time of the query).
    pub window_end: Timestamp,
    /// When the newest sample in the window was recorded.
    pub newest_sample: Timestamp,
}

impl LatencyObservation {
    /// `true` when the newest sample is more than `max_age` older than `now`.
    pub fn is_stale(&self, max_age: Duration, now: Timestamp) -> bool {
        now.saturating_since(self.newest_sample) > max_age
    }
}
