//! End-to-end attribution: one request's dispatch, response and end-to-end latencies.

use std::fmt;
use std::time::Duration;

use super::Timestamp;
use crate::target::TargetId;

/// The timestamps of one request to one target: started, dispatched, responded.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::target::TargetId;
/// use slo_router::window::{RequestSpan, Timestamp};
///
/// let ms = |n| Timestamp::from_duration(Duration::from_millis(n));
/// let span = RequestSpan::new(TargetId::from_index(0), ms(100), ms(112), ms(160));
/// let latencies = span.latencies()?;
/// assert_eq!(latencies.dispatch, Duration::from_millis(12));
/// assert_eq!(latencies.response, Duration::from_millis(48));
/// assert_eq!(latencies.end_to_end, Duration::from_millis(60));
///
/// let backwards = RequestSpan::new(TargetId::from_index(0), ms(100), ms(90), ms(160));
/// assert!(backwards.latencies().is_err());
/// # Ok::<(), slo_router::window::SpanError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestSpan {
    /// The target the request went to.
    pub target: TargetId,
    /// When the request started.
    pub started: Timestamp,
    /// When it was dispatched to the target.
    pub dispatched: Timestamp,
    /// When the target's response arrived.
    pub responded: Timestamp,
}

/// The three latencies of a [`RequestSpan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanLatencies {
    /// `dispatched − started`.
    pub dispatch: Duration,
    /// `responded − dispatched`.
    pub response: Duration,
    /// `responded − started`.
    pub end_to_end: Duration,
}

/// A span whose timestamps are out of order: it is refused, never recorded as a
/// negative or huge latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanError {
    /// `dispatched` is before `started`.
    DispatchedBeforeStart,
    /// `responded` is before `dispatched`.
    RespondedBeforeDispatch,
}

impl fmt::Display for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpanError::DispatchedBeforeStart => "request span dispatched before it started",
            SpanError::RespondedBeforeDispatch => "request span responded before dispatch",
        })
    }
}

impl std::error::Error for SpanError {}

impl RequestSpan {
    /// A span from its three timestamps.
    pub fn new(
        target: TargetId,
        started: Timestamp,
        dispatched: Timestamp,
        responded: Timestamp,
    ) -> Self {
        RequestSpan {
            target,
            started,
            dispatched,
            responded,
        }
    }

    /// The span's latencies, or which timestamps are out of order.
    pub fn latencies(&self) -> Result<SpanLatencies, SpanError> {
        let dispatch = self
            .dispatched
            .checked_since(self.started)
            .ok_or(SpanError::DispatchedBeforeStart)?;
        let response = self
            .responded
            .checked_since(self.dispatched)
            .ok_or(SpanError::RespondedBeforeDispatch)?;
        Ok(SpanLatencies {
            dispatch,
            response,
            end_to_end: dispatch + response,
        })
    }
}
