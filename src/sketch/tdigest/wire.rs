//! The native wire body of a [`TDigest`]: compression, scale function, totals, then the
//! centroids as delta-coded order-preserving keys of their means and integer weights.

use super::merge::{from_sort_key, sort_key};
use super::{Centroid, ScaleFunction, TDigest, Totals};
use crate::wire::sealed::Body;
use crate::wire::{self, DecodeError, DecodeLimits, WireKind};

fn scale_code(scale: ScaleFunction) -> u8 {
    match scale {
        ScaleFunction::K1 => 0,
        ScaleFunction::K2 => 1,
        ScaleFunction::K3 => 2,
        ScaleFunction::Hybrid => 3,
    }
}

fn scale_from_code(code: u8) -> Result<ScaleFunction, DecodeError> {
    Ok(match code {
        0 => ScaleFunction::K1,
        1 => ScaleFunction::K2,
        2 => ScaleFunction::K3,
        3 => ScaleFunction::Hybrid,
        _ => {
            return Err(DecodeError::OutOfRange {
                what: "scale function",
            });
        }
    })
}

/// How far a single-precision mean may sit outside the exact `[min, max]`: one rounding.
pub(super) fn rounding_slack(x: f64) -> f64 {
    x.abs() * f64::from(f32::EPSILON) + f64::from(f32::MIN_POSITIVE)
}

/// Checks that centroid weights add up to the exact count, allowing the rounding of
/// single-precision weights (at most one part in 2²⁴ each).
pub(super) fn check_weights(centroids: &[Centroid], totals: &Totals) -> Result<(), DecodeError> {
    let weight: f64 = centroids.iter().map(|c| f64::from(c.weight)).sum();
    let count = totals.count as f64;
    if (weight - count).abs() > count * f64::from(f32::EPSILON) {
        return Err(DecodeError::Inconsistent {
            what: "centroid weights do not add up to the count",
        });
    }
    if let (Some(first), Some(last)) = (centroids.first(), centroids.last()) {
        let (low, high) = (f64::from(first.mean), f64::from(last.mean));
        if low < totals.min - rounding_slack(totals.min)
            || high > totals.max + rounding_slack(totals.max)
        {
            return Err(DecodeError::Inconsistent {
                what: "centroid means outside [min, max]",
            });
        }
    }
    Ok(())
}

impl Body for TDigest {
    const KIND: WireKind = WireKind::TDigest;
    /// compression 8, scale 1, totals 10, count 1.
    const MIN_BODY_BYTES: usize = 20;

    fn encode_body(&self, out: &mut Vec<u8>) {
        if let Some(merged) = self.merged_copy() {
            return merged.encode_body(out);
        }
        wire::put_f64(out, self.compression);
        out.push(scale_code(self.scale));
        self.totals.encode(out);
        wire::put_varint(out, self.centroids.len() as u64);
        // Key deltas fit in 5 bytes; weights, integers below 2⁶⁴, in 10.
        let mut varints = wire::VarintWriter::new(out, 2 * self.centroids.len(), 10);
        let mut previous = 0u32;
        for c in &self.centroids {
            // Means are sorted, but a merge may order -0.0 after 0.0 (they compare
            // equal): such a -0.0 is written as 0.0.
            let key = sort_key(c.mean).max(previous);
            varints.put(u64::from(key - previous));
            previous = key;
        }
        for c in &self.centroids {
            // Weights are sums of integer weights: integral, and exact in u64.
            varints.put(c.weight as u64);
        }
    }

    fn decode_body(input: &mut &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        let compression = wire::get_f64(input)?;
        let scale = scale_from_code(wire::get_u8(input)?)?;
        let mut digest = TDigest::with_scale(compression, scale)?;
        let totals = Totals::decode(input)?;
        let max = limits.max_centroids.min(digest.max_centroids());
        // Each centroid takes at least two bytes: a key delta and a weight.
        let len = wire::get_len(input, "centroids", max, 2)?;
        if (len == 0) != (totals.count == 0) {
            return Err(DecodeError::Inconsistent {
                what: "centroids present without a count, or a count without centroids",
            });
        }
        let mut centroids = Vec::with_capacity(len);
        let mut varints = wire::Varints::new(input);
        let mut key = 0u32;
        for index in 0..len {
            let delta = varints.next()?;
            key = u32::try_from(delta)
                .ok()
                .and_then(|d| key.checked_add(d))
                .ok_or(DecodeError::Unsorted {
                    what: "centroid means",
                    index,
                })?;
            let mean = from_sort_key(key);
            if !mean.is_finite() {
                return Err(DecodeError::NonFinite {
                    what: "centroid mean",
                });
            }
            centroids.push(Centroid { mean, weight: 0.0 });
        }
        for (index, c) in centroids.iter_mut().enumerate() {
            let weight = varints.next()?;
            if weight == 0 {
                return Err(DecodeError::InvalidWeight { index });
            }
            c.weight = weight as f32;
        }
        varints.finish(input);
        check_weights(&centroids, &totals)?;
        digest.centroids = centroids;
        digest.totals = totals;
        Ok(digest)
    }
}
