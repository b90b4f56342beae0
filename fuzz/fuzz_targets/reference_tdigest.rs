//! `TDigest::from_reference_bytes` (the JVM `asBytes` / `asSmallBytes` layouts) on
//! arbitrary bytes: never panics, never allocates beyond the limits; and what
//! `to_reference_bytes` writes reads back to the same answers.

#![no_main]

use libfuzzer_sys::fuzz_target;
use slo_router::sketch::{QuantileSketch, TDigest};

#[path = "wire_common.rs"]
mod common;
use common::{LIMITS, PeakTracking, assert_sane, latencies, peak_bytes};

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

fuzz_target!(|data: &[u8]| {
    let (decoded, peak) = peak_bytes(|| TDigest::from_reference_bytes_with_limits(data, &LIMITS));
    // The points read (16 bytes each), and when re-clustering, their merged copy (16)
    // and the new centroids (8).
    assert!(peak <= 40 * LIMITS.max_centroids, "{peak} bytes");
    if let Ok(digest) = decoded {
        assert_sane(&digest);
        let again = TDigest::from_reference_bytes(&digest.to_reference_bytes()).expect("valid");
        assert_eq!(again.count(), digest.count());
    }

    let mut x = TDigest::new(20.0).expect("valid");
    latencies(data).for_each(|v| x.add(v));
    for bytes in [Some(x.to_reference_bytes()), x.to_reference_small_bytes()]
        .into_iter()
        .flatten()
    {
        let back = TDigest::from_reference_bytes(&bytes).expect("valid");
        assert_eq!(
            (back.count(), back.min(), back.max()),
            (x.count(), x.min(), x.max())
        );
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert_eq!(back.quantile(q), x.quantile(q));
        }
    }
});
