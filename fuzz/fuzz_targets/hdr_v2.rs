//! `HdrSketch::from_v2` (HdrHistogram V2 and V2 + DEFLATE) on arbitrary bytes: never
//! panics, never allocates beyond the limits; and V2 written from the input reads back.

#![no_main]

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use libfuzzer_sys::fuzz_target;
use slo_router::sketch::{HdrSketch, QuantileSketch};

#[path = "wire_common.rs"]
mod common;
use common::{LIMITS, PeakTracking, assert_sane, latencies, peak_bytes};

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

fn deflated(inner: &[u8]) -> Vec<u8> {
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    zlib.write_all(inner).expect("in memory");
    let compressed = zlib.finish().expect("in memory");
    let mut out = 0x1c84_9314u32.to_be_bytes().to_vec();
    out.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
    out.extend_from_slice(&compressed);
    out
}

fuzz_target!(|data: &[u8]| {
    // Inputs starting with 0xDF are wrapped in a valid DEFLATE envelope, so the inner
    // validation also sees arbitrary contents on the compressed path.
    let wrapped = data.strip_prefix(&[0xDF]).map(deflated);
    let input = wrapped.as_deref().unwrap_or(data);
    let (decoded, peak) = peak_bytes(|| HdrSketch::from_v2_with_limits(input, &LIMITS));
    // The inflated bytes and the zlib state, our validated range's counters and the
    // deserializer's histogram and payload copy.
    let bound = 2 * LIMITS.max_inflated_bytes + 16 * LIMITS.max_hdr_counts + (64 << 10);
    assert!(peak <= bound, "{peak} bytes");
    if let Ok(sketch) = decoded {
        assert_sane(&sketch);
        let again = HdrSketch::from_v2(&sketch.to_v2().expect("serializable")).expect("valid");
        assert_eq!(again.histogram(), sketch.histogram());
    }

    let mut x = HdrSketch::new(1, 100_000_000, 2).expect("valid");
    latencies(data).for_each(|v| x.add(v));
    for bytes in [x.to_v2().expect("v2"), x.to_v2_deflate().expect("deflate")] {
        let back = HdrSketch::from_v2(&bytes).expect("valid");
        assert_eq!(back.histogram(), x.histogram());
        assert_eq!(back.count(), x.count());
    }
});
