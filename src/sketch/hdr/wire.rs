//! The native wire body of an [`HdrSketch`]: range, precision, clamped count, totals,
//! then the recorded buckets as (delta-coded value, count) pairs.

use super::HdrSketch;
use crate::sketch::Totals;
use crate::wire::sealed::Body;
use crate::wire::{self, DecodeError, DecodeLimits};

/// The number of counters an HdrHistogram over `lowest ..= highest` with `figures`
/// significant figures allocates (the layout of the `hdrhistogram` crate), computed
/// without allocating so hostile ranges are refused first. `None` for unsupported
/// parameters.
pub(super) fn counts_len(lowest: u64, highest: u64, figures: u8) -> Option<usize> {
    if lowest == 0 || figures > 5 || highest < lowest.saturating_mul(2) {
        return None;
    }
    let largest_single_unit = 2 * 10u64.pow(u32::from(figures));
    let sub_bucket_magnitude = 64 - (largest_single_unit - 1).leading_zeros();
    let unit_magnitude = 63 - lowest.leading_zeros();
    if unit_magnitude + sub_bucket_magnitude > 63 {
        return None;
    }
    let sub_bucket_count = 1u64 << sub_bucket_magnitude;
    let mut smallest_untrackable = sub_bucket_count << unit_magnitude;
    let mut buckets = 1u64;
    while smallest_untrackable <= highest {
        if smallest_untrackable > u64::MAX / 2 {
            buckets += 1;
            break;
        }
        smallest_untrackable <<= 1;
        buckets += 1;
    }
    usize::try_from((buckets + 1) * (sub_bucket_count / 2)).ok()
}

/// An empty sketch over the given range, refused before allocating when its counters
/// would exceed the limit.
pub(super) fn bounded_sketch(
    lowest: u64,
    highest: u64,
    figures: u8,
    limits: &DecodeLimits,
) -> Result<HdrSketch, DecodeError> {
    let len = counts_len(lowest, highest, figures).ok_or(DecodeError::OutOfRange {
        what: "HdrHistogram range or precision",
    })?;
    if len > limits.max_hdr_counts {
        return Err(DecodeError::TooLarge {
            what: "HdrHistogram counters",
            len: len as u64,
            max: limits.max_hdr_counts as u64,
        });
    }
    Ok(HdrSketch::new(lowest, highest, figures)?)
}

impl Body for HdrSketch {
    const KIND: wire::WireKind = wire::WireKind::HdrSketch;
    /// range 2, precision 1, clamped 1, totals 10, runs 1.
    const MIN_BODY_BYTES: usize = 15;

    fn encode_body(&self, out: &mut Vec<u8>) {
        let h = &self.histogram;
        wire::put_varint(out, h.low());
        wire::put_varint(out, h.high());
        out.push(h.sigfig());
        wire::put_varint(out, self.clamped);
        self.totals.encode(out);
        let recorded = h.iter_recorded().count();
        wire::put_varint(out, recorded as u64);
        let mut previous = 0;
        for bucket in h.iter_recorded() {
            let value = bucket.value_iterated_to();
            wire::put_varint(out, value - previous);
            wire::put_varint(out, bucket.count_at_value());
            previous = value;
        }
    }

    fn decode_body(input: &mut &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        let lowest = wire::get_varint(input)?;
        let highest = wire::get_varint(input)?;
        let figures = wire::get_u8(input)?;
        let mut sketch = bounded_sketch(lowest, highest, figures, limits)?;
        let clamped = wire::get_varint(input)?;
        let totals = Totals::decode(input)?;
        let max = counts_len(lowest, highest, figures).unwrap_or(0);
        let runs = wire::get_len(input, "HdrHistogram buckets", max, 2)?;
        let mut value = 0u64;
        for index in 0..runs {
            let delta = wire::get_varint(input)?;
            if index > 0 && delta == 0 {
                return Err(DecodeError::Unsorted {
                    what: "HdrHistogram values",
                    index,
                });
            }
            value = value.checked_add(delta).ok_or(DecodeError::OutOfRange {
                what: "HdrHistogram value",
            })?;
            let count = wire::get_varint(input)?;
            if count == 0 {
                return Err(DecodeError::InvalidWeight { index });
            }
            sketch
                .histogram
                .record_n(value, count)
                .map_err(|_| DecodeError::OutOfRange {
                    what: "HdrHistogram value",
                })?;
        }
        if sketch.histogram.len() != totals.count || clamped > totals.count {
            return Err(DecodeError::Inconsistent {
                what: "bucket counts do not add up to the count",
            });
        }
        if totals.count > 0 && totals.min < 0.0 {
            return Err(DecodeError::OutOfRange {
                what: "negative min",
            });
        }
        sketch.clamped = clamped;
        sketch.totals = totals;
        Ok(sketch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

    #[test]
    fn counts_len_matches_the_crates_layout() {
        for figures in 0..=5u8 {
            for lowest in [1u64, 2, 3, 1000, 1 << 20] {
                for highest in [2 * lowest, 3_600_000_000, 1 << 40, u64::MAX / 4, u64::MAX] {
                    let crate_len = Histogram::<u64>::new_with_bounds(lowest, highest, figures)
                        .ok()
                        .map(|h| h.distinct_values());
                    let ours = counts_len(lowest, highest, figures);
                    // Ours may refuse what the crate builds only at absurd sizes; never
                    // the other way round, and equal whenever both answer.
                    match (ours, crate_len) {
                        (Some(a), Some(b)) => {
                            assert_eq!(a, b, "{lowest}..{highest}, {figures} figures")
                        }
                        (Some(a), None) => panic!("crate refuses {lowest}..{highest} ({a})"),
                        _ => {}
                    }
                }
            }
        }
    }
}
