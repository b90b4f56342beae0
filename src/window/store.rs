//! A ring of sub-window sketches aligned to fixed epochs.

use std::time::Duration;

use super::Timestamp;
use crate::error::ConfigError;
use crate::sketch::QuantileSketch;

/// The shape of a sliding window: `count` sub-windows of `width` each.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::window::WindowConfig;
///
/// let config = WindowConfig::new(Duration::from_secs(10), 30)?;
/// assert_eq!(config.span(), Duration::from_secs(300));
/// assert!(WindowConfig::new(Duration::ZERO, 5).is_err());
/// # Ok::<(), slo_router::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    width: Duration,
    count: usize,
}

impl Default for WindowConfig {
    /// 5 sub-windows of 60 s: the 300 s evaluation window.
    fn default() -> Self {
        WindowConfig {
            width: Duration::from_secs(60),
            count: 5,
        }
    }
}

impl WindowConfig {
    /// `count` (1 to 3,600) sub-windows of `width` (1 ms to 1 day) each.
    pub fn new(width: Duration, count: usize) -> Result<Self, ConfigError> {
        if width < Duration::from_millis(1) || width > Duration::from_secs(86_400) {
            return Err(ConfigError::new(
                "sub_window_width",
                format!("{width:?}"),
                "1 ms to 1 day",
            ));
        }
        if !(1..=3600).contains(&count) {
            return Err(ConfigError::new("sub_window_count", count, "1 to 3600"));
        }
        Ok(WindowConfig { width, count })
    }

    /// The width of one sub-window.
    pub fn width(&self) -> Duration {
        self.width
    }

    /// The number of sub-windows.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The span of the whole ring: `width × count`.
    pub fn span(&self) -> Duration {
        self.width * self.count as u32
    }
}

/// One sub-window: the epoch it holds (its start divided by the width) and its sketch.
#[derive(Debug, Clone)]
struct Slot<S> {
    epoch: Option<u64>,
    sketch: S,
    newest: Timestamp,
}

/// The sub-windows and their merge that one query covers.
#[derive(Debug, Clone)]
pub struct Coverage<S> {
    /// Every sample of the covered sub-windows.
    pub sketch: S,
    /// The start of the oldest covered sub-window.
    pub start: Timestamp,
    /// The newest sample's time (`None` when the covered sub-windows are empty).
    pub newest: Option<Timestamp>,
}

/// A ring of sketches, one per sub-window, aligned to fixed epochs: a sample at time
/// `t` lands in epoch `⌊t / width⌋`. Expired sub-windows are cleared and reused, never
/// reallocated. [`advance`](WindowedSketch::advance) pre-merges the closed sub-windows
/// once per epoch, so a full-window query costs one merge (pre-merged + open).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::sketch::{QuantileSketch, TDigest};
/// use slo_router::window::{Timestamp, WindowConfig, WindowedSketch};
///
/// let secs = |s| Timestamp::from_duration(Duration::from_secs(s));
/// let mut window = WindowedSketch::new(WindowConfig::default(), TDigest::default());
/// window.record(secs(10), 5.0)?;   // epoch 0
/// window.record(secs(130), 7.0)?;  // epoch 2
/// window.advance(secs(130));
/// assert_eq!(window.merged(secs(130), Duration::from_secs(300)).sketch.count(), 2);
/// assert_eq!(window.merged(secs(130), Duration::from_secs(60)).sketch.count(), 1);
/// // At 300 s epoch 0 has left the 5-epoch ring.
/// assert_eq!(window.merged(secs(300), Duration::from_secs(300)).sketch.count(), 1);
/// # Ok::<(), slo_router::window::RecordError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WindowedSketch<S> {
    width: u64,
    slots: Box<[Slot<S>]>,
    /// The merge of the closed sub-windows of epoch `premerged_epoch`'s ring.
    premerged: S,
    premerged_epoch: Option<u64>,
    /// An empty sketch with the configuration to clone from.
    empty: S,
    latest_epoch: Option<u64>,
    /// The last epoch located, as `(start, end, epoch, slot)`: consecutive samples
    /// almost always share it, which spares two divisions per sample.
    located: (u64, u64, u64, usize),
}

impl<S: QuantileSketch> WindowedSketch<S> {
    /// A ring shaped by `config` whose sketches are clones of `template`, emptied.
    pub fn new(config: WindowConfig, mut template: S) -> Self {
        template.clear();
        let slot = Slot {
            epoch: None,
            sketch: template.clone(),
            newest: Timestamp::ZERO,
        };
        WindowedSketch {
            width: config.width.as_nanos() as u64,
            slots: vec![slot; config.count].into_boxed_slice(),
            premerged: template.clone(),
            premerged_epoch: None,
            empty: template,
            latest_epoch: None,
            located: (1, 0, 0, 0),
        }
    }

    fn epoch(&self, at: Timestamp) -> u64 {
        at.as_nanos() / self.width
    }

    /// The epoch of `at` and the index of its slot.
    #[inline]
    fn locate(&mut self, at: Timestamp) -> (u64, usize) {
        let (start, end, epoch, index) = self.located;
        let nanos = at.as_nanos();
        if (start..end).contains(&nanos) {
            return (epoch, index);
        }
        let epoch = nanos / self.width;
        let index = (epoch % self.ring()) as usize;
        let start = epoch * self.width;
        self.located = (start, start.saturating_add(self.width), epoch, index);
        (epoch, index)
    }

    fn ring(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Records `value` at time `at`.
    pub fn record(&mut self, at: Timestamp, value: f64) -> Result<(), super::RecordError> {
        self.record_weighted(at, value, 1)
    }

    /// Records `value` with weight `weight` at time `at`. A sample older than the ring
    /// (relative to the newest epoch recorded) is refused with
    /// [`RecordError::Expired`](super::RecordError::Expired).
    pub fn record_weighted(
        &mut self,
        at: Timestamp,
        value: f64,
        weight: u64,
    ) -> Result<(), super::RecordError> {
        let (epoch, index) = self.locate(at);
        let ring = self.ring();
        if self
            .latest_epoch
            .is_some_and(|latest| epoch + ring <= latest)
        {
            return Err(super::RecordError::Expired);
        }
        let slot = &mut self.slots[index];
        match slot.epoch {
            Some(held) if held == epoch => {}
            Some(held) if held > epoch => return Err(super::RecordError::Expired),
            _ => {
                slot.sketch.clear();
                slot.epoch = Some(epoch);
                slot.newest = at;
            }
        }
        slot.sketch.add_weighted(value, weight);
        slot.newest = slot.newest.max(at);
        self.latest_epoch = Some(self.latest_epoch.map_or(epoch, |l| l.max(epoch)));
        if let Some(open) = self.premerged_epoch {
            // A late sample for a closed, pre-merged sub-window: keep the merge current.
            if epoch < open && epoch + ring > open {
                self.premerged.add_weighted(value, weight);
            }
        }
        Ok(())
    }

    /// Brings the ring up to `now`: flushes the open sub-window's buffered values, so a
    /// query merges only centroids, and once per epoch pre-merges the closed
    /// sub-windows and compacts them, since they will rarely change again.
    pub fn advance(&mut self, now: Timestamp) {
        let open = self.epoch(now);
        let ring = self.ring();
        if let Some(slot) = self.slots.get_mut((open % ring) as usize) {
            if slot.epoch == Some(open) {
                slot.sketch.flush();
            }
        }
        if self.premerged_epoch == Some(open) {
            return;
        }
        let oldest = (open + 1).saturating_sub(self.ring());
        self.premerged.clear();
        for slot in self.slots.iter_mut() {
            if let Some(epoch) = slot.epoch {
                if epoch < open {
                    slot.sketch.compact();
                }
                if (oldest..open).contains(&epoch) {
                    self.premerged.merge(&slot.sketch);
                }
            }
        }
        self.premerged.compact();
        self.premerged_epoch = Some(open);
    }

    /// Every sample of the sub-windows that a window of `window` ending at `now` covers:
    /// the `⌈window / width⌉` most recent, the open one included (at most the ring).
    pub fn merged(&self, now: Timestamp, window: Duration) -> Coverage<S> {
        let open = self.epoch(now);
        let wanted = (window.as_nanos() as u64).div_ceil(self.width);
        let covered = wanted.clamp(1, self.ring());
        let oldest = (open + 1).saturating_sub(covered);
        let use_premerged = covered == self.ring() && self.premerged_epoch == Some(open);
        let mut sketch = if use_premerged {
            self.premerged.clone()
        } else {
            self.empty.clone()
        };
        let mut newest: Option<Timestamp> = None;
        for slot in self.slots.iter() {
            let Some(epoch) = slot.epoch else { continue };
            if !(oldest..=open).contains(&epoch) || slot.sketch.count() == 0 {
                continue;
            }
            if !use_premerged || epoch == open {
                sketch.merge(&slot.sketch);
            }
            newest = Some(newest.map_or(slot.newest, |n| n.max(slot.newest)));
        }
        Coverage {
            sketch,
            start: Timestamp::from_nanos(oldest * self.width),
            newest,
        }
    }

    /// Samples held in all live sub-windows (without merging).
    pub fn count(&self) -> u64 {
        self.slots.iter().map(|s| s.sketch.count()).sum()
    }

    /// Bytes held by the ring, its pre-merged sketch and its template.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .slots
                .iter()
                .map(|s| {
                    s.sketch.memory_bytes() + std::mem::size_of::<Slot<S>>()
                        - std::mem::size_of::<S>()
                })
                .sum::<usize>()
            + self.premerged.memory_bytes()
            + self.empty.memory_bytes()
            - 2 * std::mem::size_of::<S>()
    }
}
