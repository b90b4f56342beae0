//! A loom model of the shard hand-off protocol between a recorder and the merger.
//!
//! The real code uses `crossbeam_queue::ArrayQueue`, which loom cannot instrument; the
//! model stands a mutex-guarded queue in for it (the same linearizable push and pop)
//! and keeps the parts that are ours exactly: the recorder's single-writer counters
//! (load, then release store), the `closed` flag set after the recorder's last push,
//! and the merger's rule "read `closed` first, drain, retire only if `closed` was set
//! and the queue is empty". Loom explores every interleaving and checks that a retired
//! shard has handed over every sample and every count.

use std::collections::VecDeque;

use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

struct Shard {
    queue: Mutex<VecDeque<u64>>,
    capacity: usize,
    dropped: AtomicU64,
    closed: AtomicBool,
}

impl Shard {
    /// The recorder side: push, or count a drop (single writer: load then store).
    fn record(&self, sample: u64) {
        let mut queue = self.queue.lock().unwrap();
        if queue.len() < self.capacity {
            queue.push_back(sample);
        } else {
            drop(queue);
            let n = self.dropped.load(Ordering::Relaxed);
            self.dropped.store(n + 1, Ordering::Release);
        }
    }
}

/// The merger side: one drain pass; `Some((drained, dropped))` when it retires the
/// shard.
fn drain(shard: &Shard, merged: &mut Vec<u64>) -> Option<u64> {
    let closed = shard.closed.load(Ordering::Acquire);
    let queued = shard.queue.lock().unwrap().len();
    for _ in 0..queued {
        if let Some(sample) = shard.queue.lock().unwrap().pop_front() {
            merged.push(sample);
        }
    }
    let empty = shard.queue.lock().unwrap().is_empty();
    (closed && empty).then(|| shard.dropped.load(Ordering::Acquire))
}

#[test]
fn a_retired_shard_has_handed_over_every_sample_and_count() {
    loom::model(|| {
        let shard = Arc::new(Shard {
            queue: Mutex::new(VecDeque::new()),
            capacity: 1,
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        });
        let recorder = {
            let shard = Arc::clone(&shard);
            thread::spawn(move || {
                for sample in 0..3 {
                    shard.record(sample);
                }
                // Dropping the recorder: after its last push.
                shard.closed.store(true, Ordering::Release);
            })
        };
        let mut merged = Vec::new();
        let mut retired = None;
        // The merger keeps draining until it retires the shard.
        while retired.is_none() {
            retired = drain(&shard, &mut merged);
            if retired.is_none() {
                thread::yield_now();
            }
        }
        recorder.join().unwrap();
        let dropped = retired.unwrap();
        // Every sample offered was merged or counted as dropped, none twice.
        assert_eq!(merged.len() as u64 + dropped, 3);
        let mut sorted = merged.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), merged.len());
        // Nothing is left behind after retirement.
        assert!(shard.queue.lock().unwrap().is_empty());
    });
}
