//! Clocks: a monotonic real clock and a manual clock for tests and simulation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A point in time: nanoseconds since the clock's origin.
///
/// Sub-windows are aligned to multiples of their width from this origin, never to the
/// first sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The clock's origin.
    pub const ZERO: Timestamp = Timestamp(0);

    /// A timestamp `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// A timestamp `duration` after the origin (saturating at `u64::MAX` nanoseconds).
    pub fn from_duration(duration: Duration) -> Self {
        Timestamp(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// The time elapsed from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_since(self, earlier: Timestamp) -> Option<Duration> {
        self.0.checked_sub(earlier.0).map(Duration::from_nanos)
    }

    /// `self + duration`, saturating.
    pub fn saturating_add(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(Timestamp::from_duration(duration).0))
    }

    /// `self − duration`, saturating at the origin.
    pub fn saturating_sub(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(Timestamp::from_duration(duration).0))
    }
}

/// A source of monotonic time.
pub trait Clock: Send + Sync + 'static {
    /// The current time. Never goes backwards.
    fn now(&self) -> Timestamp;
}

/// The real monotonic clock, with its origin at construction.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl Default for MonotonicClock {
    fn default() -> Self {
        MonotonicClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }
}

/// A clock that moves only when told to: deterministic tests and simulations. Clones
/// share the same time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::window::{Clock, ManualClock, Timestamp};
///
/// let clock = ManualClock::default();
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(shared.now(), Timestamp::from_duration(Duration::from_secs(90)));
/// clock.set(Timestamp::ZERO); // ignored: time never goes backwards
/// assert_eq!(shared.now().as_nanos(), 90_000_000_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = Timestamp::from_duration(by).as_nanos();
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Moves time to `to`, if that is not in the past.
    pub fn set(&self, to: Timestamp) {
        self.nanos.fetch_max(to.as_nanos(), Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.nanos.load(Ordering::Acquire))
    }
}
