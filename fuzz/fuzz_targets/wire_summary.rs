//! `NodeSummary::decode` on arbitrary bytes: never panics, never allocates beyond the
//! limits; and summaries built and merged from the input round-trip.

#![no_main]

use std::mem::size_of;

use libfuzzer_sys::fuzz_target;
use slo_router::sketch::{QuantileSketch, TDigest};
use slo_router::window::{LatencyKind, Timestamp};
use slo_router::wire::{NodeSummary, SummaryEntry, WireFormat};

#[path = "wire_common.rs"]
mod common;
use common::{LIMITS, PeakTracking, assert_same_answers, assert_sane, latencies, peak_bytes};

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

fuzz_target!(|data: &[u8]| {
    let (decoded, peak) = peak_bytes(|| NodeSummary::<TDigest>::decode_with_limits(data, &LIMITS));
    // The node name, and per entry: the entry, its name and its centroids.
    let per_entry =
        size_of::<SummaryEntry<TDigest>>() + LIMITS.max_name_bytes + 8 * LIMITS.max_centroids;
    assert!(
        peak <= LIMITS.max_name_bytes + LIMITS.max_entries * per_entry,
        "{peak} bytes"
    );
    if let Ok(summary) = decoded {
        for entry in summary.entries() {
            assert_sane(&entry.sketch);
            assert!(entry.window_start <= entry.window_end);
        }
        assert_eq!(
            NodeSummary::<TDigest>::decode(&summary.encode())
                .unwrap()
                .encode(),
            summary.encode()
        );
    }

    // Two nodes' summaries from the input, merged in both orders.
    let mut nodes = [
        NodeSummary::<TDigest>::new("a"),
        NodeSummary::<TDigest>::new("b"),
    ];
    for (i, v) in latencies(data).enumerate() {
        let mut sketch = TDigest::default();
        sketch.add(v);
        nodes[i % 2].insert(SummaryEntry {
            target: format!("t{}", i % 3),
            kind: LatencyKind::ALL[i % 4],
            window_start: Timestamp::from_nanos(i as u64),
            window_end: Timestamp::from_nanos(i as u64 + 10),
            newest_sample: Timestamp::from_nanos(i as u64 + 5),
            sketch,
        });
    }
    let mut ab = nodes[0].clone();
    ab.merge(&nodes[1]);
    let mut ba = nodes[1].clone();
    ba.merge(&nodes[0]);
    let back = NodeSummary::<TDigest>::decode(&ab.encode()).expect("valid");
    assert_eq!(back.entries().len(), ab.entries().len());
    for ((x, y), z) in ab.entries().iter().zip(ba.entries()).zip(back.entries()) {
        assert_eq!(
            (x.sketch.count(), x.sketch.min(), x.sketch.max()),
            (y.sketch.count(), y.sketch.min(), y.sketch.max())
        );
        assert_eq!(
            (x.window_start, x.window_end),
            (y.window_start, y.window_end)
        );
        assert_same_answers(&x.sketch, &z.sketch);
    }
});
