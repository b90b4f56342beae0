//! The hot path: recording a latency.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::live::LiveTargets;
use super::shard::{Shard, pack};
use crate::target::TargetId;
use crate::window::LatencyKind;

/// Why [`Recorder::try_record`] did not hand a sample to the merger. Every case is
/// counted in [`EngineStats`](super::EngineStats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The target is not registered, or was removed.
    UnknownTarget,
    /// The latency is NaN, negative, or above the engine's maximum.
    InvalidLatency,
    /// The shard's queue was full (the merger is behind): the sample is dropped and
    /// counted.
    QueueFull,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refused::UnknownTarget => "unknown or removed target",
            Refused::InvalidLatency => "latency is NaN, negative or above the maximum",
            Refused::QueueFull => "shard queue full: sample dropped",
        })
    }
}

impl std::error::Error for Refused {}

/// A per-thread recording handle. `Send` (move it to its thread), not `Sync`.
///
/// [`record`](Recorder::record) takes no lock, allocates nothing, makes no system call
/// and never waits: it checks the target in a bitset (one atomic load), packs the sample
/// into one word and pushes it onto this recorder's own bounded lock-free queue. When
/// the queue is full the sample is dropped and counted, never blocked on.
///
/// Samples are timestamped when the merger drains them: normally within one drain
/// period (2 ms, or the merge interval if shorter) of being recorded.
pub struct Recorder {
    shard: Arc<Shard>,
    live: Arc<LiveTargets>,
    max_latency: Duration,
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("queued", &self.shard.queue.len())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub(crate) fn new(shard: Arc<Shard>, live: Arc<LiveTargets>, max_latency: Duration) -> Self {
        Recorder {
            shard,
            live,
            max_latency,
            _not_sync: PhantomData,
        }
    }

    /// Records `latency` for `target`'s `kind`. Refusals are counted, not returned; use
    /// [`try_record`](Self::try_record) to see them.
    #[inline]
    pub fn record(&mut self, target: TargetId, kind: LatencyKind, latency: Duration) {
        let _ = self.try_record(target, kind, latency);
    }

    /// Records `latency`, or says why it was refused (and counted).
    #[inline]
    pub fn try_record(
        &mut self,
        target: TargetId,
        kind: LatencyKind,
        latency: Duration,
    ) -> Result<(), Refused> {
        if latency > self.max_latency {
            Shard::count(&self.shard.refused);
            return Err(Refused::InvalidLatency);
        }
        self.push(target, kind, latency.as_secs_f32() * 1e3)
    }

    /// Records a latency given in milliseconds; NaN, infinite and negative values are
    /// refused and counted.
    #[inline]
    pub fn record_ms(
        &mut self,
        target: TargetId,
        kind: LatencyKind,
        ms: f64,
    ) -> Result<(), Refused> {
        if !(ms >= 0.0 && ms <= self.max_latency.as_secs_f64() * 1e3) {
            Shard::count(&self.shard.refused);
            return Err(Refused::InvalidLatency);
        }
        self.push(target, kind, ms as f32)
    }

    #[inline]
    fn push(&mut self, target: TargetId, kind: LatencyKind, ms: f32) -> Result<(), Refused> {
        if !self.live.contains(target) {
            Shard::count(&self.shard.refused);
            return Err(Refused::UnknownTarget);
        }
        if self.shard.queue.push(pack(target, kind, ms)).is_err() {
            Shard::count(&self.shard.dropped);
            return Err(Refused::QueueFull);
        }
        Ok(())
    }

    /// Samples waiting in this recorder's queue.
    pub fn queued(&self) -> usize {
        self.shard.queue.len()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // The merger drains what is left, then forgets the shard.
        self.shard.closed.store(true, Ordering::Release);
    }
}
