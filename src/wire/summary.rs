//! A node's latency summary: what a worker sends its manager, and a manager its gate.

use std::cmp::Ordering;
use std::time::Duration;

use super::sealed::Body;
use super::{DecodeError, DecodeLimits, WireKind};
use crate::engine::Snapshot;
use crate::sketch::{QuantileSketch, TDigest};
use crate::window::{LatencyKind, Timestamp};

/// One (target, kind) of a [`NodeSummary`]: the merged sketch over the window and the
/// window's bounds. Targets are named, since ids are local to one process.
#[derive(Debug, Clone)]
pub struct SummaryEntry<S = TDigest> {
    /// The target's registered name.
    pub target: String,
    /// Which latency.
    pub kind: LatencyKind,
    /// Start of the oldest sub-window covered.
    pub window_start: Timestamp,
    /// End of the window.
    pub window_end: Timestamp,
    /// When the newest sample was recorded.
    pub newest_sample: Timestamp,
    /// Every sample of the window: exact count, min, max, sum and rejected count, and
    /// any quantile.
    pub sketch: S,
}

impl<S> SummaryEntry<S> {
    /// The length of the window this entry covers.
    pub fn window(&self) -> Duration {
        self.window_end.saturating_since(self.window_start)
    }

    fn key(&self) -> (&str, usize) {
        (&self.target, self.kind.index())
    }
}

/// What one node knows about every (target, kind), exported from a [`Snapshot`],
/// merged up a hierarchy (workers → managers → gates) and sent with
/// [`WireFormat`](super::WireFormat).
///
/// Entries are kept sorted by (target, kind), one per key; [`merge`](Self::merge)
/// merges the sketches of equal keys and widens their windows, so counts, minima and
/// maxima never depend on the merge order.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::engine::Engine;
/// use slo_router::sketch::QuantileSketch;
/// use slo_router::window::{LatencyKind, ManualClock, Timestamp};
/// use slo_router::wire::{NodeSummary, WireFormat};
///
/// let clock = ManualClock::default();
/// let engine = Engine::builder().manual(clock.clone()).build()?;
/// let east = engine.register_target("dc-east")?;
/// let mut recorder = engine.recorder();
/// recorder.record(east, LatencyKind::Response, Duration::from_millis(42));
/// engine.tick(Timestamp::from_duration(Duration::from_secs(1)))?;
///
/// let bytes = engine.reader().snapshot().summary("worker-1").encode();
/// let mut gate: NodeSummary = NodeSummary::new("gate");
/// gate.merge(&NodeSummary::decode(&bytes)?);
/// let entry = gate.entry("dc-east", LatencyKind::Response).unwrap();
/// assert_eq!(entry.sketch.count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct NodeSummary<S = TDigest> {
    node: String,
    published_at: Timestamp,
    entries: Vec<SummaryEntry<S>>,
}

impl<S: QuantileSketch> NodeSummary<S> {
    /// An empty summary for `node`.
    pub fn new(node: &str) -> Self {
        NodeSummary {
            node: node.to_owned(),
            published_at: Timestamp::ZERO,
            entries: Vec::new(),
        }
    }

    /// The node that produced (or merged) this summary.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The newest publish time among the merged snapshots.
    pub fn published_at(&self) -> Timestamp {
        self.published_at
    }

    /// The entries, sorted by (target, kind).
    pub fn entries(&self) -> &[SummaryEntry<S>] {
        &self.entries
    }

    /// The entry for one (target, kind).
    pub fn entry(&self, target: &str, kind: LatencyKind) -> Option<&SummaryEntry<S>> {
        self.entries
            .binary_search_by(|e| e.key().cmp(&(target, kind.index())))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Adds an entry, merging it into an existing one for the same (target, kind).
    pub fn insert(&mut self, entry: SummaryEntry<S>) {
        match self.entries.binary_search_by(|e| e.key().cmp(&entry.key())) {
            Ok(i) => merge_entry(&mut self.entries[i], &entry),
            Err(i) => self.entries.insert(i, entry),
        }
    }

    /// Folds `other` in: sketches of the same (target, kind) are merged, their windows
    /// widened to cover both; new keys are added. `other` is not modified.
    pub fn merge(&mut self, other: &NodeSummary<S>) {
        self.published_at = self.published_at.max(other.published_at);
        let mine = std::mem::take(&mut self.entries);
        let mut merged = Vec::with_capacity(mine.len().max(other.entries.len()));
        let mut theirs = other.entries.iter().peekable();
        for mut entry in mine {
            while let Some(next) = theirs.next_if(|t| t.key() < entry.key()) {
                merged.push(next.clone());
            }
            if let Some(same) = theirs.next_if(|t| t.key() == entry.key()) {
                merge_entry(&mut entry, same);
            }
            merged.push(entry);
        }
        merged.extend(theirs.cloned());
        self.entries = merged;
    }
}

fn merge_entry<S: QuantileSketch>(into: &mut SummaryEntry<S>, from: &SummaryEntry<S>) {
    into.sketch.merge(&from.sketch);
    into.window_start = into.window_start.min(from.window_start);
    into.window_end = into.window_end.max(from.window_end);
    into.newest_sample = into.newest_sample.max(from.newest_sample);
}

impl<S: QuantileSketch> Snapshot<S> {
    /// This snapshot's per (target, kind) sketches and windows, as a summary of `node`
    /// to send up a merge hierarchy. Removed targets are left out.
    pub fn summary(&self, node: &str) -> NodeSummary<S> {
        let mut summary = NodeSummary::new(node);
        summary.published_at = self.published_at();
        for observation in self.observations() {
            let (target, kind) = (observation.target, observation.kind);
            let (Some(name), Some(sketch)) = (self.target_name(target), self.sketch(target, kind))
            else {
                continue;
            };
            summary.insert(SummaryEntry {
                target: name.to_owned(),
                kind,
                window_start: observation.window_start,
                window_end: observation.window_end,
                newest_sample: observation.newest_sample,
                sketch: sketch.clone(),
            });
        }
        summary
    }
}

fn put_time(out: &mut Vec<u8>, at: Timestamp) {
    super::put_varint(out, at.as_nanos());
}

fn get_time(input: &mut &[u8]) -> Result<Timestamp, DecodeError> {
    super::get_varint(input).map(Timestamp::from_nanos)
}

fn kind_from_index(index: u8) -> Result<LatencyKind, DecodeError> {
    LatencyKind::ALL
        .get(usize::from(index))
        .copied()
        .ok_or(DecodeError::OutOfRange {
            what: "latency kind",
        })
}

impl<S: QuantileSketch + Body> Body for NodeSummary<S> {
    const KIND: WireKind = WireKind::NodeSummary;
    /// Sketch kind 1, node name 1, publish time 1, entry count 1.
    const MIN_BODY_BYTES: usize = 4;

    fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(S::KIND as u8);
        super::put_str(out, &self.node);
        put_time(out, self.published_at);
        super::put_varint(out, self.entries.len() as u64);
        for entry in &self.entries {
            super::put_str(out, &entry.target);
            out.push(entry.kind.index() as u8);
            put_time(out, entry.window_start);
            put_time(out, entry.window_end);
            put_time(out, entry.newest_sample);
            entry.sketch.encode_body(out);
        }
    }

    fn decode_body(input: &mut &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        let sketch_kind = super::get_u8(input)?;
        if sketch_kind != S::KIND as u8 {
            return Err(DecodeError::WrongKind {
                expected: S::KIND as u8,
                found: sketch_kind,
            });
        }
        let node = super::get_str(input, "node name", limits.max_name_bytes)?.to_owned();
        let published_at = get_time(input)?;
        // An entry takes at least a name length, a kind, three times and a sketch body.
        let min_entry = 5 + S::MIN_BODY_BYTES;
        let len = super::get_len(input, "summary entries", limits.max_entries, min_entry)?;
        let mut entries: Vec<SummaryEntry<S>> = Vec::with_capacity(len);
        for index in 0..len {
            let target = super::get_str(input, "target name", limits.max_name_bytes)?.to_owned();
            let kind = kind_from_index(super::get_u8(input)?)?;
            let window_start = get_time(input)?;
            let window_end = get_time(input)?;
            if window_start > window_end {
                return Err(DecodeError::Inconsistent {
                    what: "window start after its end",
                });
            }
            let newest_sample = get_time(input)?;
            let sketch = S::decode_body(input, limits)?;
            let entry = SummaryEntry {
                target,
                kind,
                window_start,
                window_end,
                newest_sample,
                sketch,
            };
            if entries
                .last()
                .is_some_and(|last| last.key().cmp(&entry.key()) != Ordering::Less)
            {
                return Err(DecodeError::Unsorted {
                    what: "summary entries",
                    index,
                });
            }
            entries.push(entry);
        }
        Ok(NodeSummary {
            node,
            published_at,
            entries,
        })
    }
}
