//! The kinds of latency tracked per target.

use std::fmt;

/// Which latency a sample measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LatencyKind {
    /// Time to dispatch a request to the target.
    Dispatch,
    /// Time for the target to respond once dispatched.
    Response,
    /// From the start of a request to its response.
    EndToEnd,
    /// Pure network round trip (for example from coordinate probes).
    Network,
}

impl LatencyKind {
    /// Every kind, in index order.
    pub const ALL: [LatencyKind; 4] = [
        LatencyKind::Dispatch,
        LatencyKind::Response,
        LatencyKind::EndToEnd,
        LatencyKind::Network,
    ];

    /// A dense index in `0..4`, for tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// A short lowercase name.
    pub const fn name(self) -> &'static str {
        match self {
            LatencyKind::Dispatch => "dispatch",
            LatencyKind::Response => "response",
            LatencyKind::EndToEnd => "end-to-end",
            LatencyKind::Network => "network",
        }
    }
}

impl fmt::Display for LatencyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
