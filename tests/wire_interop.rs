//! Interop encodings: the reference (JVM) t-digest `asBytes` / `asSmallBytes` layouts
//! and HdrHistogram V2 / V2 + DEFLATE, with golden bytes written from the layouts.

use std::io::Write;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use slo_router::sketch::{HdrSketch, QuantileSketch, TDigest};
use slo_router::wire::{DecodeError, DecodeLimits};

fn be(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn as_bytes_golden_layout() {
    let mut digest = TDigest::default();
    [1.0, 2.0, 3.0].iter().for_each(|&v| digest.add(v));
    let mut expected = be(&[
        &1i32.to_be_bytes(),
        &1f64.to_be_bytes(),
        &3f64.to_be_bytes(),
        &100f64.to_be_bytes(),
        &3i32.to_be_bytes(),
    ]);
    for mean in [1f64, 2.0, 3.0] {
        expected.extend_from_slice(&1f64.to_be_bytes());
        expected.extend_from_slice(&mean.to_be_bytes());
    }
    assert_eq!(digest.to_reference_bytes(), expected);
}

#[test]
fn as_small_bytes_golden_layout() {
    let mut digest = TDigest::default();
    [1.0, 2.0, 3.0].iter().for_each(|&v| digest.add(v));
    let mut expected = be(&[
        &2i32.to_be_bytes(),
        &1f64.to_be_bytes(),
        &3f64.to_be_bytes(),
        &100f32.to_be_bytes(),
        &(digest.max_centroids() as i16).to_be_bytes(),
        &400i16.to_be_bytes(), // the weighted buffer: 4 × compression
        &3i16.to_be_bytes(),
    ]);
    for mean in [1f32, 2.0, 3.0] {
        expected.extend_from_slice(&1f32.to_be_bytes());
        expected.extend_from_slice(&mean.to_be_bytes());
    }
    assert_eq!(digest.to_reference_small_bytes().unwrap(), expected);
}

/// Bytes as a JVM `MergingDigest(200)` would write them, built from the layout.
fn jvm_verbose(min: f64, max: f64, compression: f64, centroids: &[(f64, f64)]) -> Vec<u8> {
    let mut out = be(&[
        &1i32.to_be_bytes(),
        &min.to_be_bytes(),
        &max.to_be_bytes(),
        &compression.to_be_bytes(),
        &(centroids.len() as i32).to_be_bytes(),
    ]);
    for &(weight, mean) in centroids {
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&mean.to_be_bytes());
    }
    out
}

fn jvm_small(min: f64, max: f64, centroids: &[(f32, f32)]) -> Vec<u8> {
    let n = centroids.len() as i16;
    let mut out = be(&[
        &2i32.to_be_bytes(),
        &min.to_be_bytes(),
        &max.to_be_bytes(),
        &200f32.to_be_bytes(),
        &n.max(100).to_be_bytes(),
        &500i16.to_be_bytes(),
        &n.to_be_bytes(),
    ]);
    for &(weight, mean) in centroids {
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&mean.to_be_bytes());
    }
    out
}

#[test]
fn jvm_digests_are_read() {
    let centroids = [(1.0, 0.5), (3.0, 2.0), (2.0, 10.0), (1.0, 20.0)];
    let verbose =
        TDigest::from_reference_bytes(&jvm_verbose(0.5, 20.0, 200.0, &centroids)).unwrap();
    let small_centroids = centroids.map(|(w, m)| (w as f32, m as f32));
    let small = TDigest::from_reference_bytes(&jvm_small(0.5, 20.0, &small_centroids)).unwrap();
    for digest in [&verbose, &small] {
        assert_eq!(digest.count(), 7);
        assert_eq!(digest.compression(), 200.0);
        assert_eq!(digest.min(), Some(0.5));
        assert_eq!(digest.max(), Some(20.0));
        assert_eq!(digest.sum(), 0.5 + 6.0 + 20.0 + 20.0);
        assert_eq!(
            digest.centroids().collect::<Vec<_>>(),
            centroids.map(|(w, m)| (m, w))
        );
        assert_eq!(digest.quantile(0.0), Some(0.5));
        assert_eq!(digest.quantile(1.0), Some(20.0));
    }
    // What we write, we read back to the same centroids and answers.
    let mut digest = TDigest::default();
    (1..=100_000).for_each(|v| digest.add((v % 977) as f64 * 1.5));
    for bytes in [
        digest.to_reference_bytes(),
        digest.to_reference_small_bytes().unwrap(),
    ] {
        let back = TDigest::from_reference_bytes(&bytes).unwrap();
        assert_eq!(back.count(), digest.count());
        assert_eq!(back.min(), digest.min());
        assert_eq!(back.max(), digest.max());
        for q in [0.001, 0.5, 0.99, 0.999] {
            assert_eq!(back.quantile(q), digest.quantile(q));
        }
    }
}

#[test]
fn jvm_digests_finer_than_ours_are_reclustered() {
    // 2,000 unit centroids at compression 10: more than our bound for that compression.
    let centroids: Vec<(f64, f64)> = (0..2000).map(|i| (1.0, i as f64)).collect();
    let digest =
        TDigest::from_reference_bytes(&jvm_verbose(0.0, 1999.0, 10.0, &centroids)).unwrap();
    assert_eq!(digest.count(), 2000);
    assert!(digest.centroid_count() <= digest.max_centroids());
    let median = digest.quantile(0.5).unwrap();
    assert!((median - 999.5).abs() < 2000.0 * 0.05, "median {median}");
}

#[test]
fn hostile_reference_bytes_are_refused() {
    let ok = [(1.0, 1.0), (1.0, 2.0)];
    let cases = [
        (
            jvm_verbose(1.0, 2.0, 100.0, &[(1.0, 2.0), (1.0, 1.0)]),
            DecodeError::Unsorted {
                what: "centroid means",
                index: 1,
            },
        ),
        (
            jvm_verbose(1.0, 2.0, 100.0, &[(0.0, 1.0), (1.0, 2.0)]),
            DecodeError::InvalidWeight { index: 0 },
        ),
        (
            jvm_verbose(1.0, 2.0, 100.0, &[(1.0, 1.0), (0.5, 2.0)]),
            DecodeError::InvalidWeight { index: 1 },
        ),
        (
            jvm_verbose(1.0, 2.0, 100.0, &[(1.0, f64::NAN)]),
            DecodeError::NonFinite {
                what: "centroid mean",
            },
        ),
        (
            jvm_verbose(1.0, 2.0, f64::INFINITY, &ok),
            DecodeError::NonFinite {
                what: "compression",
            },
        ),
        (
            jvm_verbose(3.0, 2.0, 100.0, &ok),
            DecodeError::Inconsistent {
                what: "min above max",
            },
        ),
        (
            jvm_verbose(1.0, 1.5, 100.0, &ok),
            DecodeError::Inconsistent {
                what: "centroid means outside [min, max]",
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(TDigest::from_reference_bytes(&bytes).unwrap_err(), expected);
    }
    let mut unknown = jvm_verbose(1.0, 2.0, 100.0, &ok);
    unknown[3] = 7;
    assert!(matches!(
        TDigest::from_reference_bytes(&unknown),
        Err(DecodeError::OutOfRange { .. })
    ));
    // n claims 2^31 − 1 centroids: refused from the length alone.
    let mut huge = jvm_verbose(1.0, 2.0, 100.0, &ok);
    huge[28..32].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(
        TDigest::from_reference_bytes(&huge),
        Err(DecodeError::TooLarge {
            what: "centroids",
            ..
        })
    ));
    let bytes = jvm_verbose(1.0, 2.0, 100.0, &ok);
    for len in 0..bytes.len() {
        assert!(TDigest::from_reference_bytes(&bytes[..len]).is_err());
    }
    let strict = DecodeLimits {
        max_centroids: 1,
        ..DecodeLimits::default()
    };
    assert!(TDigest::from_reference_bytes_with_limits(&bytes, &strict).is_err());
}

#[test]
fn hdr_v2_golden_layout() {
    let mut sketch = HdrSketch::default(); // 1 µs to 1 h, 3 significant figures
    sketch.add(0.001); // 1 µs
    sketch.add_weighted(0.003, 2); // 3 µs, twice
    sketch.add(1.0); // 1,000 µs
    // Counts by index (values below 2,048 µs have their own counter):
    // [0]=0 [1]=1 [2]=0 [3]=2, then 996 zeros, [1000]=1. A lone zero is a count of 0; a
    // run of zeros is its negated length; all zig-zag LEB128.
    let payload = [0x00, 0x02, 0x00, 0x04, 0xC7, 0x0F, 0x02];
    let expected = be(&[
        &0x1c84_9313u32.to_be_bytes(),
        &(payload.len() as u32).to_be_bytes(),
        &0u32.to_be_bytes(),
        &3u32.to_be_bytes(),
        &1u64.to_be_bytes(),
        &3_600_000_000u64.to_be_bytes(),
        &1f64.to_be_bytes(),
        &payload,
    ]);
    assert_eq!(sketch.to_v2().unwrap(), expected);
    let back = HdrSketch::from_v2(&expected).unwrap();
    assert_eq!(back.count(), 4);
    assert_eq!(back.min(), Some(0.001));
    assert_eq!(back.max(), Some(1.0));
    assert_eq!(back.quantile(0.5), sketch.quantile(0.5));

    let compressed = sketch.to_v2_deflate().unwrap();
    assert_eq!(compressed[..4], 0x1c84_9314u32.to_be_bytes());
    assert_eq!(
        u32::from_be_bytes(compressed[4..8].try_into().unwrap()) as usize,
        compressed.len() - 8
    );
    assert_eq!(
        HdrSketch::from_v2(&compressed).unwrap().histogram(),
        back.histogram()
    );
}

#[test]
fn histograms_from_the_hdrhistogram_crate_are_read() {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 2).unwrap();
    for v in (1..200_000u64).map(|i| i * 37 % 5_000_000 + 1) {
        h.record(v).unwrap();
    }
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&h, &mut bytes)
        .unwrap();
    let sketch = HdrSketch::from_v2(&bytes).unwrap();
    assert_eq!(sketch.histogram(), &h);
    assert_eq!(sketch.count(), h.len());
    for q in [0.5, 0.99] {
        let ms = h.median_equivalent(h.value_at_quantile(q)) as f64 / 1000.0;
        assert_eq!(sketch.quantile(q), Some(ms));
    }
}

fn v2_header(payload_len: u32, figures: u32, low: u64, high: u64) -> Vec<u8> {
    be(&[
        &0x1c84_9313u32.to_be_bytes(),
        &payload_len.to_be_bytes(),
        &0u32.to_be_bytes(),
        &figures.to_be_bytes(),
        &low.to_be_bytes(),
        &high.to_be_bytes(),
        &1f64.to_be_bytes(),
    ])
}

#[test]
fn hostile_v2_input_is_refused() {
    // A range that would allocate tens of megabytes.
    assert!(matches!(
        HdrSketch::from_v2(&v2_header(0, 5, 1, u64::MAX)),
        Err(DecodeError::TooLarge { .. })
    ));
    // A payload longer than the input.
    assert!(matches!(
        HdrSketch::from_v2(&v2_header(1 << 30, 3, 1, 1 << 20)),
        Err(DecodeError::Truncated { .. })
    ));
    // A zero run of 2^63 (zig-zag of u64::MAX): the crate would negate i64::MIN.
    let mut bytes = v2_header(9, 3, 1, 1 << 20);
    bytes.extend_from_slice(&[0xff; 9]);
    assert!(matches!(
        HdrSketch::from_v2(&bytes),
        Err(DecodeError::OutOfRange { .. })
    ));
    // A count beyond the last counter.
    let mut bytes = v2_header(4, 3, 1, 1 << 20);
    bytes.extend_from_slice(&[0x81, 0x80, 0x80, 0x02]); // one count at index 2^21 + ...
    assert!(HdrSketch::from_v2(&bytes).is_err());
    // A DEFLATE bomb: far more than the limit once inflated.
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&vec![0u8; 4 << 20]).unwrap();
    let compressed = zlib.finish().unwrap();
    let mut bomb = be(&[
        &0x1c84_9314u32.to_be_bytes(),
        &(compressed.len() as u32).to_be_bytes(),
    ]);
    bomb.extend_from_slice(&compressed);
    let limits = DecodeLimits {
        max_inflated_bytes: 1 << 20,
        ..DecodeLimits::default()
    };
    assert!(matches!(
        HdrSketch::from_v2_with_limits(&bomb, &limits),
        Err(DecodeError::TooLarge {
            what: "inflated V2 histogram",
            ..
        })
    ));
    // Every prefix of a valid encoding.
    let mut sketch = HdrSketch::default();
    (1..300).for_each(|v| sketch.add(v as f64));
    let bytes = sketch.to_v2_deflate().unwrap();
    for len in 0..bytes.len() {
        assert!(HdrSketch::from_v2(&bytes[..len]).is_err(), "prefix {len}");
    }
}
