//! One recorder's shard: a bounded lock-free queue of packed samples and its counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;

use crate::target::TargetId;
use crate::window::LatencyKind;

/// The largest target index a packed sample can carry (30 bits).
pub(crate) const MAX_TARGETS: usize = 1 << 30;

/// A sample packed into one word: latency in milliseconds as `f32` bits (high half),
/// target index (30 bits) and kind (2 bits). One word per sample keeps the queue small
/// and the hand-off a single atomic slot write.
#[inline]
pub(crate) fn pack(target: TargetId, kind: LatencyKind, ms: f32) -> u64 {
    (u64::from(ms.to_bits()) << 32) | ((target.index() as u64) << 2) | kind.index() as u64
}

/// The inverse of [`pack`].
#[inline]
pub(crate) fn unpack(word: u64) -> (TargetId, LatencyKind, f64) {
    let ms = f32::from_bits((word >> 32) as u32);
    let target = TargetId::from_index(((word & 0xFFFF_FFFF) >> 2) as u32);
    let kind = LatencyKind::ALL[(word & 3) as usize];
    (target, kind, f64::from(ms))
}

/// What one recorder hands to the merger, and what it could not.
#[derive(Debug)]
pub(crate) struct Shard {
    pub(crate) queue: ArrayQueue<u64>,
    /// Samples refused on the hot path (unknown target, invalid latency).
    pub(crate) refused: CachePadded<AtomicU64>,
    /// Samples dropped because the queue was full.
    pub(crate) dropped: CachePadded<AtomicU64>,
    /// The recorder is gone: drain what is left, then forget the shard.
    pub(crate) closed: AtomicBool,
}

impl Shard {
    pub(crate) fn new(capacity: usize) -> Self {
        Shard {
            queue: ArrayQueue::new(capacity),
            refused: CachePadded::new(AtomicU64::new(0)),
            dropped: CachePadded::new(AtomicU64::new(0)),
            closed: AtomicBool::new(false),
        }
    }

    /// Counts one refused sample. A single writer (the recorder) updates it, so a
    /// load and a store suffice; no read-modify-write on the hot path.
    #[inline]
    pub(crate) fn count(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        for (index, kind, ms) in [
            (0, LatencyKind::Dispatch, 0.0f32),
            ((1 << 30) - 1, LatencyKind::Network, 3_600_000.0),
            (12345, LatencyKind::EndToEnd, 145.3),
        ] {
            let word = pack(TargetId::from_index(index), kind, ms);
            let (t, k, v) = unpack(word);
            assert_eq!((t.index(), k, v), (index as usize, kind, f64::from(ms)));
        }
    }
}
