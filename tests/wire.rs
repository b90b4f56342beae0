//! The native wire format: round trips, size, hostile input, limits, and the
//! hierarchical merge (workers → managers → gates).

use std::time::Duration;

use slo_router::engine::Engine;
use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, ScaleFunction, TDigest};
use slo_router::window::{LatencyKind, ManualClock, Timestamp};
use slo_router::wire::{DecodeError, DecodeLimits, NodeSummary, SummaryEntry, WireFormat};
use slo_router::workload::{ExactQuantiles, Stream};

const QS: [f64; 9] = [0.0, 0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];

fn filled<S: QuantileSketch>(mut sketch: S, values: &[f64]) -> S {
    values.iter().for_each(|&v| sketch.add(v));
    sketch
}

/// Decoding gives a sketch that answers exactly as the original and re-encodes to the
/// same bytes.
fn assert_round_trip<S: QuantileSketch + WireFormat>(sketch: &S) {
    let bytes = sketch.encode();
    let back = S::decode(&bytes).unwrap_or_else(|e| panic!("decode: {e}"));
    assert_eq!(back.count(), sketch.count());
    assert_eq!(back.rejected(), sketch.rejected());
    assert_eq!(back.min(), sketch.min());
    assert_eq!(back.max(), sketch.max());
    assert_eq!(back.sum().to_bits(), sketch.sum().to_bits());
    for q in QS {
        assert_eq!(back.quantile(q), sketch.quantile(q), "q = {q}");
    }
    for v in [0.5, 20.0, 50.0, 400.0] {
        assert_eq!(back.cdf(v), sketch.cdf(v), "cdf({v})");
    }
    assert_eq!(back.encode(), bytes);
}

#[test]
fn every_sketch_round_trips_on_every_stream() {
    for (i, stream) in Stream::ALL.into_iter().enumerate() {
        let values = stream.generate(50_000, 7 + i as u64);
        let mut digest = filled(TDigest::default(), &values);
        digest.add(f64::NAN);
        assert_round_trip(&digest); // with values pending
        digest.compress();
        assert_round_trip(&digest);
        for scale in [ScaleFunction::K1, ScaleFunction::K2, ScaleFunction::K3] {
            assert_round_trip(&filled(TDigest::with_scale(250.0, scale).unwrap(), &values));
        }
        let mut dd = filled(DDSketch::default(), &values);
        dd.add(-3.0);
        dd.add(0.0);
        assert_round_trip(&dd);
        assert_round_trip(&filled(DDSketch::with_max_bins(0.02, 16).unwrap(), &values));
        let mut hdr = filled(HdrSketch::default(), &values);
        hdr.add(1e10); // clamped
        assert_round_trip(&hdr);
    }
}

#[test]
fn empty_and_tiny_sketches_round_trip() {
    assert_round_trip(&TDigest::default());
    assert_round_trip(&DDSketch::default());
    assert_round_trip(&HdrSketch::default());
    let mut d = TDigest::default();
    d.add(-0.0);
    d.add(0.0);
    d.add(f64::from(f32::MAX));
    assert_round_trip(&d);
}

#[test]
fn a_default_digest_of_a_million_samples_fits_in_1_2_kib() {
    for (i, stream) in Stream::ALL.into_iter().enumerate() {
        let values = stream.generate(1_000_000, 100 + i as u64);
        let digest = filled(TDigest::default(), &values);
        let len = digest.encode().len();
        println!("{:>18}: {len} bytes", stream.name());
        assert!(len <= 1228, "{}: {len} bytes", stream.name());
    }
}

/// The native layout, written by hand from the format description: a golden encoding.
#[test]
fn a_small_digest_encodes_to_the_documented_bytes() {
    let mut digest = TDigest::default();
    for v in [1.0, 2.0, 3.0] {
        digest.add(v);
    }
    let mut expected = b"SLRW\x01\x01".to_vec(); // magic, version 1, kind 1 (TDigest)
    expected.extend_from_slice(&100f64.to_le_bytes()); // compression
    expected.push(3); // scale function: hybrid
    expected.extend_from_slice(&[3, 0]); // count 3, rejected 0
    for f in [6.0f64, 1.0, 3.0] {
        expected.extend_from_slice(&f.to_le_bytes()); // sum, min, max
    }
    expected.push(3); // three centroids
    let key = |v: f32| v.to_bits() ^ 0x8000_0000; // order-preserving key of a positive mean
    let deltas = [key(1.0), key(2.0) - key(1.0), key(3.0) - key(2.0)];
    for mut d in deltas {
        while d >= 0x80 {
            expected.push(d as u8 | 0x80);
            d >>= 7;
        }
        expected.push(d as u8);
    }
    expected.extend_from_slice(&[1, 1, 1]); // weights
    assert_eq!(digest.encode(), expected);
    let back = TDigest::decode(&expected).unwrap();
    assert_eq!(
        back.centroids().collect::<Vec<_>>(),
        [(1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]
    );
}

/// A hand-built digest body after the header: compression 100, hybrid scale, the given
/// totals and centroids (keys as absolute values, delta-coded here).
fn digest_bytes(count: u64, sum: f64, min: f64, max: f64, centroids: &[(f32, u64)]) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = b"SLRW\x01\x01".to_vec();
    out.extend_from_slice(&100f64.to_le_bytes());
    out.push(3);
    varint(&mut out, count);
    varint(&mut out, 0);
    for f in [sum, min, max] {
        out.extend_from_slice(&f.to_le_bytes());
    }
    varint(&mut out, centroids.len() as u64);
    let mut previous = 0u32;
    for &(mean, _) in centroids {
        let key = if mean.is_sign_negative() {
            !mean.to_bits()
        } else {
            mean.to_bits() ^ 0x8000_0000
        };
        varint(&mut out, u64::from(key.wrapping_sub(previous)));
        previous = key;
    }
    for &(_, w) in centroids {
        varint(&mut out, w);
    }
    out
}

#[test]
fn hostile_digests_are_refused_with_the_problem_named() {
    let good = digest_bytes(3, 6.0, 1.0, 3.0, &[(1.0, 1), (2.0, 1), (3.0, 1)]);
    assert_eq!(TDigest::decode(&good).unwrap().count(), 3);

    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (
            digest_bytes(3, 6.0, 1.0, 3.0, &[(1.0, 1), (2.0, 0), (3.0, 2)]),
            DecodeError::InvalidWeight { index: 1 },
        ),
        (
            digest_bytes(4, 6.0, 1.0, 3.0, &[(1.0, 1), (2.0, 1), (3.0, 1)]),
            DecodeError::Inconsistent {
                what: "centroid weights do not add up to the count",
            },
        ),
        (
            digest_bytes(3, 6.0, f64::NAN, 3.0, &[(1.0, 1), (2.0, 1), (3.0, 1)]),
            DecodeError::NonFinite { what: "min" },
        ),
        (
            digest_bytes(3, f64::NAN, 1.0, 3.0, &[(1.0, 1), (2.0, 1), (3.0, 1)]),
            DecodeError::NonFinite { what: "sum" },
        ),
        (
            digest_bytes(2, 6.0, 1.0, 3.0, &[(1.0, 1), (f32::NAN, 1)]),
            DecodeError::NonFinite {
                what: "centroid mean",
            },
        ),
        (
            // A mean below the previous one: the key delta wraps past u32.
            digest_bytes(2, 3.0, 1.0, 2.0, &[(2.0, 1), (1.0, 1)]),
            DecodeError::Unsorted {
                what: "centroid means",
                index: 1,
            },
        ),
        (
            digest_bytes(1, 9.0, 1.0, 3.0, &[(9.0, 1)]),
            DecodeError::Inconsistent {
                what: "centroid means outside [min, max]",
            },
        ),
        (
            digest_bytes(3, 6.0, 3.0, 1.0, &[(1.0, 1), (2.0, 1), (3.0, 1)]),
            DecodeError::Inconsistent {
                what: "min above max",
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(TDigest::decode(&bytes).unwrap_err(), expected);
    }

    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    assert_eq!(
        TDigest::decode(&bad_magic).unwrap_err(),
        DecodeError::BadMagic
    );
    let mut future = good.clone();
    future[4] = 2;
    assert_eq!(
        TDigest::decode(&future).unwrap_err(),
        DecodeError::UnsupportedVersion(2)
    );
    assert_eq!(
        DDSketch::decode(&good).unwrap_err(),
        DecodeError::WrongKind {
            expected: 2,
            found: 1
        }
    );
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        TDigest::decode(&trailing).unwrap_err(),
        DecodeError::TrailingBytes(1)
    );
    let mut nan_compression = good.clone();
    nan_compression[6..14].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        TDigest::decode(&nan_compression).unwrap_err(),
        DecodeError::Config(e) if e.field() == "compression"
    ));
}

#[test]
fn a_huge_length_is_refused_before_allocating() {
    // Claims u32::MAX centroids in a 40-byte input.
    let mut bytes = digest_bytes(1, 1.0, 1.0, 1.0, &[]);
    bytes.pop();
    bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(matches!(
        TDigest::decode(&bytes).unwrap_err(),
        DecodeError::TooLarge {
            what: "centroids",
            len: 4_294_967_295,
            ..
        }
    ));
    let mut dd = DDSketch::default();
    (1..=1000).for_each(|v| dd.add(v as f64));
    let strict = DecodeLimits {
        max_bins: 100,
        ..DecodeLimits::default()
    };
    assert!(matches!(
        DDSketch::decode_with_limits(&dd.encode(), &strict).unwrap_err(),
        DecodeError::TooLarge { what: "bins", .. }
    ));
    let wide = HdrSketch::new(1, u64::MAX / 4, 5).unwrap();
    assert!(matches!(
        HdrSketch::decode(&wide.encode()).unwrap_err(),
        DecodeError::TooLarge {
            what: "HdrHistogram counters",
            ..
        }
    ));
}

/// Every prefix and every single-byte corruption of valid encodings: an error or a
/// sane sketch, never a panic.
fn assert_corruption_is_safe<S: QuantileSketch + WireFormat>(sketch: &S) {
    let bytes = sketch.encode();
    for len in 0..bytes.len() {
        assert!(S::decode(&bytes[..len]).is_err(), "prefix of {len} bytes");
    }
    for i in 0..bytes.len() {
        for flip in [0xff, 0x80, 0x01] {
            let mut corrupt = bytes.clone();
            corrupt[i] ^= flip;
            if let Ok(decoded) = S::decode(&corrupt) {
                for q in QS {
                    let v = decoded.quantile(q);
                    assert!(v.is_some_and(|v| !v.is_nan()) || decoded.count() == 0);
                }
            }
        }
    }
}

#[test]
fn truncated_and_corrupted_encodings_never_panic() {
    let values = Stream::Bimodal.generate(5_000, 3);
    assert_corruption_is_safe(&filled(TDigest::default(), &values));
    let mut dd = filled(DDSketch::default(), &values[..500]);
    dd.add(-4.0);
    dd.add(0.0);
    assert_corruption_is_safe(&dd);
    assert_corruption_is_safe(&filled(HdrSketch::default(), &values[..500]));
}

const WORKERS_PER_MANAGER: usize = 16;
const MANAGERS: usize = 8;
const SAMPLES_PER_WORKER: usize = 2_000;
const TARGETS: [&str; 2] = ["dc-east", "dc-west"];

/// One worker: an engine that recorded its share of samples, exported as bytes.
fn worker_summary(worker: usize, samples: &mut Vec<(usize, f64)>) -> Vec<u8> {
    let clock = ManualClock::default();
    let engine = Engine::builder().manual(clock.clone()).build().unwrap();
    let ids = TARGETS.map(|name| engine.register_target(name).unwrap());
    let mut recorder = engine.recorder();
    // Workers see different streams: the merge must not depend on them being alike.
    let stream = Stream::ALL[worker % Stream::ALL.len()];
    for (i, ms) in stream
        .generate(SAMPLES_PER_WORKER, worker as u64)
        .into_iter()
        .enumerate()
    {
        let target = i % TARGETS.len();
        recorder
            .record_ms(ids[target], LatencyKind::Response, ms)
            .unwrap();
        // What the engine stores: single-precision milliseconds.
        samples.push((target, f64::from(ms as f32)));
        if i % 500 == 499 {
            engine
                .tick(Timestamp::from_duration(Duration::from_millis(i as u64)))
                .unwrap();
        }
    }
    engine
        .tick(Timestamp::from_duration(Duration::from_secs(1)))
        .unwrap();
    let snapshot = engine.snapshot();
    snapshot.summary(&format!("worker-{worker}")).encode()
}

fn merged(node: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut summary = NodeSummary::<TDigest>::new(node);
    for bytes in parts {
        summary.merge(&NodeSummary::decode(bytes).unwrap());
    }
    summary.encode()
}

#[test]
fn a_gate_over_managers_over_workers_matches_one_sketch_of_everything() {
    let mut samples = Vec::new();
    let workers: Vec<Vec<u8>> = (0..MANAGERS * WORKERS_PER_MANAGER)
        .map(|w| worker_summary(w, &mut samples))
        .collect();
    let managers: Vec<Vec<u8>> = workers
        .chunks(WORKERS_PER_MANAGER)
        .enumerate()
        .map(|(m, chunk)| merged(&format!("manager-{m}"), chunk))
        .collect();
    let gate = NodeSummary::<TDigest>::decode(&merged("gate", &managers)).unwrap();
    // Another order and grouping: all workers straight into one node, last first.
    let reversed: Vec<Vec<u8>> = workers.iter().rev().cloned().collect();
    let flat = NodeSummary::<TDigest>::decode(&merged("flat", &reversed)).unwrap();

    assert_eq!(gate.entries().len(), TARGETS.len());
    for (t, name) in TARGETS.iter().enumerate() {
        let values: Vec<f64> = samples.iter().filter(|s| s.0 == t).map(|s| s.1).collect();
        let exact = ExactQuantiles::new(values.clone());
        let single = filled(TDigest::default(), &values);
        for summary in [&gate, &flat] {
            let sketch = &summary.entry(name, LatencyKind::Response).unwrap().sketch;
            assert_eq!(sketch.count(), values.len() as u64, "{name}");
            assert_eq!(sketch.min(), single.min(), "{name}");
            assert_eq!(sketch.max(), single.max(), "{name}");
            for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
                let estimate = sketch.quantile(q).unwrap();
                let rank_error = exact.rank_error(q, estimate);
                let single_error = exact.rank_error(q, single.quantile(q).unwrap());
                // The single-sketch bound, with room for the merge tree's extra passes.
                assert!(
                    rank_error <= 0.005_f64.max(2.0 * single_error),
                    "{name} q={q}: rank error {rank_error} (single sketch {single_error})"
                );
            }
        }
    }
    assert_eq!(gate.node(), "gate");
}

#[cfg(feature = "serde")]
#[test]
fn serde_carries_the_wire_encoding() {
    let mut digest = TDigest::default();
    (1..=5_000).for_each(|v| digest.add(v as f64));
    let json = serde_json::to_string(&digest).unwrap();
    let back: TDigest = serde_json::from_str(&json).unwrap();
    assert_eq!(back.encode(), digest.encode());

    let mut summary = NodeSummary::<TDigest>::new("worker");
    summary.merge(&NodeSummary::decode(&summary.encode()).unwrap());
    let json = serde_json::to_string(&summary).unwrap();
    let back: NodeSummary = serde_json::from_str(&json).unwrap();
    assert_eq!(back.node(), "worker");

    // Corrupt bytes fail deserialization with the decode error's message.
    let err = serde_json::from_str::<TDigest>("[83, 76, 82, 87, 1, 9]").unwrap_err();
    assert!(err.to_string().contains("wrong kind"), "{err}");
}

/// The smallest valid entries: empty sketches under empty names, the bound that limits
/// entry counts before allocating must not refuse them.
#[test]
fn summaries_of_the_smallest_entries_round_trip() {
    fn entries<S: QuantileSketch + WireFormat>(empty: S) {
        let mut summary = NodeSummary::<S>::new("");
        for kind in LatencyKind::ALL {
            summary.insert(SummaryEntry {
                target: String::new(),
                kind,
                window_start: Timestamp::ZERO,
                window_end: Timestamp::ZERO,
                newest_sample: Timestamp::ZERO,
                sketch: empty.clone(),
            });
        }
        let bytes = summary.encode();
        let back = NodeSummary::<S>::decode(&bytes).unwrap();
        assert_eq!(back.entries().len(), 4);
        assert_eq!(back.encode(), bytes);
    }
    entries(TDigest::default());
    entries(DDSketch::default());
    entries(HdrSketch::new(1, 2, 0).unwrap());
}
