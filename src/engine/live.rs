//! Which target ids are live, readable from the hot path with one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::target::TargetId;

/// A fixed-capacity bitset of live target ids.
#[derive(Debug)]
pub(crate) struct LiveTargets {
    words: Box<[AtomicU64]>,
    capacity: usize,
}

impl LiveTargets {
    pub(crate) fn new(capacity: usize) -> Self {
        LiveTargets {
            words: (0..capacity.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
            capacity,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    #[inline]
    pub(crate) fn contains(&self, id: TargetId) -> bool {
        let index = id.index();
        self.words
            .get(index / 64)
            .is_some_and(|w| w.load(Ordering::Acquire) & (1 << (index % 64)) != 0)
    }

    pub(crate) fn set(&self, id: TargetId, live: bool) {
        let index = id.index();
        if let Some(word) = self.words.get(index / 64) {
            let bit = 1 << (index % 64);
            if live {
                word.fetch_or(bit, Ordering::AcqRel);
            } else {
                word.fetch_and(!bit, Ordering::AcqRel);
            }
        }
    }
}
