//! The data plane: lock-free recording, one merger thread, wait-free snapshot reads.
//!
//! ```text
//!  any thread                merger (one thread)                     any thread
//!  Recorder::record ──► per-recorder queue ──► drain ─► windowed ─► Snapshot ─► Reader::snapshot
//!  no lock, no alloc        (lock-free, bounded)        sketches     (arc-swap)   wait-free
//! ```
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use slo_router::engine::Engine;
//! use slo_router::window::LatencyKind;
//!
//! let engine = Engine::builder().merge_interval(Duration::from_millis(100)).build()?;
//! let east = engine.register_target("dc-east")?;
//! let mut recorder = engine.recorder(); // one per thread
//! recorder.record(east, LatencyKind::Dispatch, Duration::from_micros(145_300));
//! engine.flush()?; // everything recorded so far is in the published snapshot
//!
//! let mut reader = engine.reader(); // one per thread
//! let snapshot = reader.snapshot(); // wait-free
//! let observation = snapshot.observation(east, LatencyKind::Dispatch).unwrap();
//! assert!((observation.p50 - 145.3).abs() < 0.01);
//! let compliance = snapshot.compliance(east, LatencyKind::Dispatch); // against the target's SLO
//! assert!(compliance.is_some());
//! engine.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod live;
mod merger;
mod recorder;
mod shard;
mod snapshot;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;

pub use builder::EngineBuilder;
pub use recorder::{Recorder, Refused};
pub use snapshot::{Reader, Snapshot};

use crate::error::ConfigError;
use crate::sketch::{QuantileSketch, TDigest};
use crate::slo::LatencySlo;
use crate::target::TargetId;
use crate::window::{Clock, ManualClock, Timestamp};
use live::LiveTargets;
use merger::MergerCore;
use shard::Shard;

/// Why an engine operation could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineError {
    /// `tick` needs an engine built in manual mode.
    NotManual,
    /// The merger panicked earlier: publishing stopped. Recorders still count what they
    /// drop; readers keep the last snapshot.
    MergerFailed,
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineError::NotManual => "tick needs an engine built in manual mode",
            EngineError::MergerFailed => "the merger failed earlier; publishing stopped",
        })
    }
}

impl std::error::Error for EngineError {}

/// Counters of everything that went through the engine.
///
/// At rest (recorders idle, after [`Engine::flush`]) they account for every sample:
/// `recorded = merged + refused + dropped + queued`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineStats {
    /// Every sample offered to a recorder.
    pub recorded: u64,
    /// Samples merged into the windowed sketches.
    pub merged: u64,
    /// Samples refused: unknown or removed target, invalid latency.
    pub refused: u64,
    /// Samples dropped because a recorder's queue was full.
    pub dropped: u64,
    /// Samples waiting in queues.
    pub queued: u64,
    /// Snapshots published.
    pub publishes: u64,
    /// How long the last publish (drain, merge, build) took.
    pub last_publish: Duration,
    /// How old the current snapshot is.
    pub snapshot_age: Duration,
    /// The merger thread is running (always `false` in manual mode).
    pub merger_running: bool,
    /// The merger panicked: publishing stopped.
    pub merger_failed: bool,
}

/// State shared by the engine, its recorders, readers and the merger thread.
pub(crate) struct Shared<S: QuantileSketch> {
    pub(crate) live: Arc<LiveTargets>,
    pub(crate) shards: Mutex<Vec<Arc<Shard>>>,
    pub(crate) core: Mutex<MergerCore<S>>,
    pub(crate) published: Arc<ArcSwap<Snapshot<S>>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) merged: AtomicU64,
    pub(crate) refused_by_merger: AtomicU64,
    /// Counters of shards whose recorders are gone.
    retired_refused: AtomicU64,
    retired_dropped: AtomicU64,
    pub(crate) publishes: AtomicU64,
    pub(crate) last_publish_nanos: AtomicU64,
    pub(crate) stop: AtomicBool,
    pub(crate) merger_running: AtomicBool,
    pub(crate) merger_failed: AtomicBool,
    pub(crate) queue_capacity: usize,
    max_latency: Duration,
    #[cfg(test)]
    pub(crate) fail_next_tick: AtomicBool,
}

impl<S: QuantileSketch> Shared<S> {
    fn retire(&self, shard: &Shard) {
        self.retired_refused
            .fetch_add(shard.refused.load(Ordering::Acquire), Ordering::Relaxed);
        self.retired_dropped
            .fetch_add(shard.dropped.load(Ordering::Acquire), Ordering::Relaxed);
    }

    fn lock_core(&self) -> Result<std::sync::MutexGuard<'_, MergerCore<S>>, EngineError> {
        self.core.lock().map_err(|_| EngineError::MergerFailed)
    }
}

/// The SLO-routing data plane: register targets, hand out recorders and readers.
///
/// See the [module documentation](self) for an example. Built with
/// [`Engine::builder`]; in manual mode ([`EngineBuilder::manual`]) there is no thread
/// and [`tick`](Engine::tick) drives it, deterministically.
///
/// Dropping the engine shuts it down: the merger drains every shard and publishes once
/// more. Management calls (`register_target`, `remove_target`, SLO changes, `flush`)
/// take the merger's lock and may wait for a tick in progress; recorders and readers
/// never do.
pub struct Engine<S: QuantileSketch = TDigest> {
    shared: Arc<Shared<S>>,
    merger: Option<JoinHandle<()>>,
    manual: Option<ManualClock>,
}

impl<S: QuantileSketch> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("manual", &self.manual.is_some())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Engine<TDigest> {
    /// A builder with the defaults: 100 ms merge interval, T-Digest δ 100, 5 × 60 s
    /// windows, the default SLO.
    pub fn builder() -> EngineBuilder<TDigest> {
        EngineBuilder::new(TDigest::default())
    }
}

impl<S: QuantileSketch> Engine<S> {
    /// Registers (or finds) a target by name.
    pub fn register_target(&self, name: &str) -> Result<TargetId, ConfigError> {
        let mut core = self
            .shared
            .lock_core()
            .map_err(|_| ConfigError::new("engine", "merger failed", "a running engine"))?;
        let id = core.tracker.register_target(name)?;
        if id.index() >= self.shared.live.capacity() {
            core.tracker.remove_target(id);
            return Err(ConfigError::new(
                "max_targets",
                self.shared.live.capacity(),
                "room for another target (raise EngineBuilder::max_targets)",
            ));
        }
        self.shared.live.set(id, true);
        core.changed = true;
        Ok(id)
    }

    /// Removes a target: recorders refuse it from now on, queued samples for it are
    /// refused at the next drain, and the next snapshot no longer has it.
    pub fn remove_target(&self, id: TargetId) -> bool {
        let Ok(mut core) = self.shared.lock_core() else {
            return false;
        };
        self.shared.live.set(id, false);
        core.changed = true;
        core.tracker.remove_target(id)
    }

    /// Sets `target`'s own SLO (from the next publish).
    pub fn set_target_slo(&self, target: TargetId, slo: LatencySlo) -> Result<(), EngineError> {
        let mut core = self.shared.lock_core()?;
        core.tracker.policy_mut().set_target_slo(target, slo);
        core.changed = true;
        Ok(())
    }

    /// Sets the default SLO (from the next publish).
    pub fn set_default_slo(&self, slo: LatencySlo) -> Result<(), EngineError> {
        let mut core = self.shared.lock_core()?;
        core.tracker.policy_mut().set_default_slo(slo);
        core.changed = true;
        Ok(())
    }

    /// A recorder for the calling thread, with its own queue.
    pub fn recorder(&self) -> Recorder {
        let shard = Arc::new(Shard::new(self.shared.queue_capacity));
        self.shared
            .shards
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::clone(&shard));
        Recorder::new(
            shard,
            Arc::clone(&self.shared.live),
            self.shared.max_latency,
        )
    }

    /// A reader for the calling thread.
    pub fn reader(&self) -> Reader<S> {
        Reader::new(Arc::clone(&self.shared.published))
    }

    /// The latest snapshot (a reader's [`snapshot`](Reader::snapshot) is cheaper in a
    /// loop).
    pub fn snapshot(&self) -> Arc<Snapshot<S>> {
        self.shared.published.load_full()
    }

    /// The engine clock's current time.
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// Merges everything recorded so far and publishes it.
    pub fn flush(&self) -> Result<(), EngineError> {
        let mut core = self.shared.lock_core()?;
        let now = self.shared.clock.now();
        core.tick(&self.shared, now);
        Ok(())
    }

    /// Manual mode: moves the clock to `now` (never backwards) and runs one merger tick
    /// (drain, merge, publish).
    pub fn tick(&self, now: Timestamp) -> Result<(), EngineError> {
        let clock = self.manual.as_ref().ok_or(EngineError::NotManual)?;
        clock.set(now);
        self.flush()
    }

    /// Counters, and the age of the current snapshot.
    pub fn stats(&self) -> EngineStats {
        let shared = &self.shared;
        let (mut refused, mut dropped, mut queued) = (
            shared.retired_refused.load(Ordering::Acquire),
            shared.retired_dropped.load(Ordering::Acquire),
            0u64,
        );
        for shard in shared
            .shards
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            refused += shard.refused.load(Ordering::Acquire);
            dropped += shard.dropped.load(Ordering::Acquire);
            queued += shard.queue.len() as u64;
        }
        refused += shared.refused_by_merger.load(Ordering::Acquire);
        let merged = shared.merged.load(Ordering::Acquire);
        EngineStats {
            recorded: merged + refused + dropped + queued,
            merged,
            refused,
            dropped,
            queued,
            publishes: shared.publishes.load(Ordering::Acquire),
            last_publish: Duration::from_nanos(shared.last_publish_nanos.load(Ordering::Acquire)),
            snapshot_age: shared.published.load().age(shared.clock.now()),
            merger_running: shared.merger_running.load(Ordering::Acquire),
            merger_failed: shared.merger_failed.load(Ordering::Acquire),
        }
    }

    /// Stops the merger, drains every shard, publishes once more. Nothing recorded
    /// before the call is lost. Fails if the merger had failed earlier.
    pub fn shutdown(mut self) -> Result<(), EngineError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), EngineError> {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(merger) = self.merger.take() {
            merger.thread().unpark();
            let _ = merger.join();
        }
        if self.shared.merger_failed.load(Ordering::Acquire) {
            return Err(EngineError::MergerFailed);
        }
        self.flush()
    }
}

impl<S: QuantileSketch> Drop for Engine<S> {
    fn drop(&mut self) {
        if !self.shared.stop.load(Ordering::Acquire) {
            let _ = self.stop();
        }
    }
}

#[cfg(test)]
mod tests;
