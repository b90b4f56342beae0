//! The merger: drains the shards into the windowed sketches and publishes snapshots.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Shared;
use super::shard::unpack;
use super::snapshot::{KeyState, Snapshot};
use crate::sketch::QuantileSketch;
use crate::slo::SloCompliance;
use crate::target::TargetId;
use crate::window::{LatencyKind, LatencyTracker, Timestamp};

/// What only the merger (or a caller of `flush`/`tick`, under the same lock) touches.
pub(crate) struct MergerCore<S: QuantileSketch> {
    pub(crate) tracker: LatencyTracker<S>,
    keys: Vec<Option<KeyState>>,
    sketches: Vec<Option<Arc<S>>>,
    /// Keys that received samples since the last publish.
    dirty: Vec<bool>,
    last_epoch: Option<u64>,
    sequence: u64,
    names: Arc<Vec<Option<Box<str>>>>,
    /// Targets or SLOs changed since the last publish: rebuild every key.
    pub(crate) changed: bool,
}

impl<S: QuantileSketch> MergerCore<S> {
    pub(crate) fn new(tracker: LatencyTracker<S>) -> Self {
        MergerCore {
            tracker,
            keys: Vec::new(),
            sketches: Vec::new(),
            dirty: Vec::new(),
            last_epoch: None,
            sequence: 0,
            names: Arc::new(Vec::new()),
            changed: true,
        }
    }

    /// Moves every queued sample into the sketches, stamped `now`. Returns how many.
    pub(crate) fn drain(&mut self, shared: &Shared<S>, now: Timestamp) -> u64 {
        let mut merged = 0;
        let mut refused = 0;
        let mut shards = shared.shards.lock().unwrap_or_else(|p| p.into_inner());
        shards.retain(|shard| {
            // Read `closed` first: a closed shard receives nothing after it.
            let closed = shard.closed.load(Ordering::Acquire);
            // Bounded: what is queued now, not what producers add meanwhile.
            for _ in 0..shard.queue.len() {
                let Some(word) = shard.queue.pop() else { break };
                let (target, kind, ms) = unpack(word);
                match self.tracker.record_ms_at(target, kind, ms, now) {
                    Ok(()) => {
                        merged += 1;
                        let slot = target.index() * 4 + kind.index();
                        if let Some(d) = self.dirty.get_mut(slot) {
                            *d = true;
                        }
                    }
                    // The target was removed after the sample was queued.
                    Err(_) => refused += 1,
                }
            }
            if closed && shard.queue.is_empty() {
                shared.retire(shard);
                return false;
            }
            true
        });
        drop(shards);
        shared.merged.fetch_add(merged, Ordering::Relaxed);
        shared
            .refused_by_merger
            .fetch_add(refused, Ordering::Relaxed);
        merged
    }

    /// Drains, then builds and publishes a snapshot.
    pub(crate) fn tick(&mut self, shared: &Shared<S>, now: Timestamp) {
        #[cfg(test)]
        if shared.fail_next_tick.swap(false, Ordering::AcqRel) {
            panic!("injected merger failure");
        }
        let started = Instant::now();
        self.drain(shared, now);
        self.tracker.advance();
        let snapshot = self.build(now);
        shared.published.store(Arc::new(snapshot));
        shared.publishes.fetch_add(1, Ordering::Relaxed);
        shared.last_publish_nanos.store(
            u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn build(&mut self, now: Timestamp) -> Snapshot<S> {
        let width = self.tracker.config().window.width();
        let epoch = now.as_nanos() / u64::try_from(width.as_nanos()).unwrap_or(u64::MAX).max(1);
        let rebuild_all = self.changed || self.last_epoch != Some(epoch);
        let slots = self.tracker.targets().capacity() * 4;
        self.keys.resize(slots, None);
        self.sketches.resize(slots, None);
        self.dirty.resize(slots, false);
        if self.changed {
            let names = (0..self.tracker.targets().capacity())
                .map(|i| {
                    let id = TargetId::from_index(i as u32);
                    self.tracker.targets().name(id).map(Box::from)
                })
                .collect();
            self.names = Arc::new(names);
        }
        let max_age = self.tracker.config().max_age;
        for index in 0..self.tracker.targets().capacity() {
            let id = TargetId::from_index(index as u32);
            let live = self.tracker.targets().contains(id);
            let slo = *self.tracker.policy().resolve(id, None);
            for kind in LatencyKind::ALL {
                let slot = index * 4 + kind.index();
                if !live {
                    self.keys[slot] = None;
                    self.sketches[slot] = None;
                    continue;
                }
                if rebuild_all || self.dirty[slot] {
                    match self
                        .tracker
                        .observation_and_sketch(id, kind, slo.evaluation_window())
                    {
                        Some((observation, sketch)) => {
                            self.keys[slot] = Some(KeyState {
                                observation,
                                compliance: None,
                            });
                            self.sketches[slot] = Some(Arc::new(sketch));
                        }
                        None => {
                            self.keys[slot] = None;
                            self.sketches[slot] = None;
                        }
                    }
                    self.dirty[slot] = false;
                }
                // Compliance is cheap and depends on the time (staleness): always fresh.
                if let Some(state) = &mut self.keys[slot] {
                    state.compliance = if state.observation.is_stale(max_age, now) {
                        None
                    } else {
                        SloCompliance::evaluate(
                            &state.observation,
                            &slo,
                            self.tracker.factor_config(),
                        )
                    };
                }
            }
        }
        self.changed = false;
        self.last_epoch = Some(epoch);
        self.sequence += 1;
        Snapshot {
            sequence: self.sequence,
            published_at: now,
            keys: self.keys.clone(),
            sketches: self.sketches.clone(),
            names: Arc::clone(&self.names),
            factor: *self.tracker.factor_config(),
            max_age,
        }
    }
}

/// The merger thread: drains every `drain_period` (sooner while the queues fill fast),
/// publishes every `interval`, until told to stop. A panic inside a tick ends the thread
/// and is reported in the stats; recorders keep going and readers keep the last
/// snapshot.
pub(crate) fn run<S: QuantileSketch>(shared: Arc<Shared<S>>, interval: Duration) {
    let drain_period = interval.min(Duration::from_millis(2));
    let busy = (shared.queue_capacity / 8) as u64;
    let mut next_publish = shared.clock.now().saturating_add(interval);
    while !shared.stop.load(Ordering::Acquire) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut core = shared.core.lock().ok()?;
            let now = shared.clock.now();
            let drained_before = shared.merged.load(Ordering::Relaxed);
            if now >= next_publish {
                core.tick(&shared, now);
                next_publish = now.saturating_add(interval);
            } else {
                core.drain(&shared, now);
            }
            Some(shared.merged.load(Ordering::Relaxed) - drained_before)
        }));
        let Ok(Some(drained)) = outcome else {
            shared.merger_failed.store(true, Ordering::Release);
            break;
        };
        // A drain that found an eighth of a queue's worth means producers are fast:
        // come back sooner so the queues never fill.
        let pause = if drained >= busy {
            Duration::from_micros(200)
        } else {
            drain_period
        };
        std::thread::park_timeout(pause);
    }
    shared.merger_running.store(false, Ordering::Release);
}
