//! `DDSketch::decode` on arbitrary bytes: never panics, never allocates beyond the
//! limits; and `decode(encode(x)) == x` for sketches built from the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use slo_router::sketch::{DDSketch, QuantileSketch};
use slo_router::wire::WireFormat;

#[path = "wire_common.rs"]
mod common;
use common::{LIMITS, PeakTracking, assert_round_trip, assert_sane, latencies, peak_bytes};

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

fuzz_target!(|data: &[u8]| {
    let (decoded, peak) = peak_bytes(|| DDSketch::decode_with_limits(data, &LIMITS));
    // Two stores of at most `max_bins` counters (8 bytes each).
    assert!(peak <= 2 * 8 * LIMITS.max_bins, "{peak} bytes");
    if let Ok(sketch) = decoded {
        assert_sane(&sketch);
        assert_round_trip(&sketch);
    }

    let max_bins = 16 + usize::from(data.first().copied().unwrap_or(0));
    let mut x = DDSketch::with_max_bins(0.02, max_bins).expect("valid");
    let mut other = DDSketch::with_max_bins(0.02, max_bins).expect("valid");
    for (i, v) in latencies(data).enumerate() {
        match i % 6 {
            0 => other.add(-v),
            1 => x.add_weighted(v, i as u64 % 5),
            2 => x.add(-v),
            _ => x.add(v),
        }
        if i % 61 == 0 {
            x.merge(&other);
        }
    }
    assert_round_trip(&x);
});
