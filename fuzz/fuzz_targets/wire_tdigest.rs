//! `TDigest::decode` on arbitrary bytes: never panics, never allocates beyond the
//! limits; and `decode(encode(x)) == x` for digests built from the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use slo_router::sketch::{QuantileSketch, ScaleFunction, TDigest};
use slo_router::wire::WireFormat;

#[path = "wire_common.rs"]
mod common;
use common::{LIMITS, PeakTracking, assert_round_trip, assert_sane, latencies, peak_bytes};

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

fuzz_target!(|data: &[u8]| {
    let (decoded, peak) = peak_bytes(|| TDigest::decode_with_limits(data, &LIMITS));
    // The centroid array (8 bytes each) is the only allocation.
    assert!(peak <= 8 * LIMITS.max_centroids, "{peak} bytes");
    if let Ok(digest) = decoded {
        assert_sane(&digest);
        assert_round_trip(&digest);
    }

    let scale = [
        ScaleFunction::K1,
        ScaleFunction::K2,
        ScaleFunction::K3,
        ScaleFunction::Hybrid,
    ][usize::from(data.first().copied().unwrap_or(0) % 4)];
    let mut x = TDigest::with_scale(20.0, scale).expect("valid");
    let mut other = TDigest::with_scale(20.0, scale).expect("valid");
    for (i, v) in latencies(data).enumerate() {
        match i % 5 {
            0 => other.add(v),
            1 => x.add_weighted(v, i as u64 % 7),
            _ => x.add(v),
        }
        if i % 97 == 0 {
            x.merge(&other);
        }
    }
    assert_round_trip(&x);
});
