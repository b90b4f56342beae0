//! `HdrSketch::decode` on arbitrary bytes: never panics, never allocates beyond the
//! limits; and `decode(encode(x)) == x` for sketches built from the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use slo_router::sketch::{HdrSketch, QuantileSketch};
use slo_router::wire::WireFormat;

#[path = "wire_common.rs"]
mod common;
use common::{LIMITS, PeakTracking, assert_round_trip, assert_sane, latencies, peak_bytes};

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

fuzz_target!(|data: &[u8]| {
    let (decoded, peak) = peak_bytes(|| HdrSketch::decode_with_limits(data, &LIMITS));
    // One counter array of at most `max_hdr_counts` (8 bytes each), plus the
    // histogram's small fixed parts.
    assert!(peak <= 8 * LIMITS.max_hdr_counts + 1024, "{peak} bytes");
    if let Ok(sketch) = decoded {
        assert_sane(&sketch);
        assert_round_trip(&sketch);
    }

    let figures = data.first().copied().unwrap_or(0) % 4;
    let mut x = HdrSketch::new(1, 10_000_000, figures).expect("valid");
    for (i, v) in latencies(data).enumerate() {
        match i % 4 {
            0 => x.add_weighted(v, i as u64 % 9),
            _ => x.add(v),
        }
    }
    assert_round_trip(&x);
});
