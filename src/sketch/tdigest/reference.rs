//! The reference (JVM) t-digest byte layouts of `MergingDigest.asBytes` and
//! `asSmallBytes`, both big-endian.

use super::wire::rounding_slack;
use super::{Centroid, Point, ScaleFunction, TDigest, Totals, accepts};
use crate::wire::{self, DecodeError, DecodeLimits};

/// `asBytes`: doubles throughout.
const VERBOSE: i32 = 1;
/// `asSmallBytes`: floats and shorts.
const SMALL: i32 = 2;

/// 2⁵³: the largest weight every integer below which a double holds exactly.
const MAX_EXACT_WEIGHT: f64 = 9_007_199_254_740_992.0;

/// A big-endian reader over the rest of the input.
struct BigEndian<'a>(&'a [u8]);

impl BigEndian<'_> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(wire::take(&mut self.0, N)?.try_into().expect("N bytes"))
    }
    fn i16(&mut self) -> Result<i16, DecodeError> {
        self.bytes().map(i16::from_be_bytes)
    }
    fn i32(&mut self) -> Result<i32, DecodeError> {
        self.bytes().map(i32::from_be_bytes)
    }
    fn f32(&mut self) -> Result<f64, DecodeError> {
        self.bytes().map(|b| f64::from(f32::from_be_bytes(b)))
    }
    fn f64(&mut self) -> Result<f64, DecodeError> {
        self.bytes().map(f64::from_be_bytes)
    }
}

impl TDigest {
    /// The reference t-digest's `asBytes` layout (big-endian): `i32 1 | f64 min |
    /// f64 max | f64 compression | i32 n | n × (f64 weight, f64 mean)`, of the merged
    /// centroids. An empty digest writes min = +∞ and max = −∞, as the reference does.
    ///
    /// # Examples
    ///
    /// ```
    /// use slo_router::sketch::{QuantileSketch, TDigest};
    ///
    /// let mut digest = TDigest::default();
    /// (1..=1000).for_each(|v| digest.add(v as f64));
    /// let bytes = digest.to_reference_bytes();
    /// assert_eq!(bytes[..4], 1i32.to_be_bytes());
    /// let back = TDigest::from_reference_bytes(&bytes)?;
    /// assert_eq!(back.count(), 1000);
    /// assert_eq!(back.quantile(0.5), digest.quantile(0.5));
    /// # Ok::<(), slo_router::wire::DecodeError>(())
    /// ```
    pub fn to_reference_bytes(&self) -> Vec<u8> {
        let merged = self.merged_copy();
        let centroids = &merged.as_ref().unwrap_or(self).centroids;
        let mut out = Vec::with_capacity(32 + 16 * centroids.len());
        out.extend_from_slice(&VERBOSE.to_be_bytes());
        self.put_reference_header(&mut out);
        out.extend_from_slice(&self.compression.to_be_bytes());
        out.extend_from_slice(&(centroids.len() as i32).to_be_bytes());
        for c in centroids {
            out.extend_from_slice(&f64::from(c.weight).to_be_bytes());
            out.extend_from_slice(&f64::from(c.mean).to_be_bytes());
        }
        out
    }

    /// The reference t-digest's `asSmallBytes` layout (big-endian): `i32 2 | f64 min |
    /// f64 max | f32 compression | i16 capacity | i16 buffer size | i16 n | n × (f32
    /// weight, f32 mean)`. Centroids are stored in single precision here too, so nothing
    /// is lost. `None` when the digest has more than 32,767 centroids, which the
    /// layout's 16-bit counts cannot describe (only at compressions above about 10,000).
    pub fn to_reference_small_bytes(&self) -> Option<Vec<u8>> {
        let merged = self.merged_copy();
        let centroids = &merged.as_ref().unwrap_or(self).centroids;
        let n = i16::try_from(centroids.len()).ok()?;
        // The reference sizes its arrays from these fields when reading: never below n.
        let capacity = i16::try_from(self.max_centroids())
            .unwrap_or(i16::MAX)
            .max(n);
        let buffer = i16::try_from(self.weighted_capacity).unwrap_or(i16::MAX);
        let mut out = Vec::with_capacity(30 + 8 * centroids.len());
        out.extend_from_slice(&SMALL.to_be_bytes());
        self.put_reference_header(&mut out);
        out.extend_from_slice(&(self.compression as f32).to_be_bytes());
        for field in [capacity, buffer, n] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        for c in centroids {
            out.extend_from_slice(&c.weight.to_be_bytes());
            out.extend_from_slice(&c.mean.to_be_bytes());
        }
        Some(out)
    }

    /// Reads either reference layout (told apart by its first field) with the default
    /// [`DecodeLimits`].
    ///
    /// The reference carries neither the exact sum nor a rejected count: the sum is
    /// estimated from the centroids. Weights must be positive integers and means
    /// finite, sorted, within single precision and within `[min, max]`. The
    /// compression is clamped to `[10, 100000]`; a digest with more centroids than
    /// this crate's bound for that compression is re-clustered.
    pub fn from_reference_bytes(bytes: &[u8]) -> Result<TDigest, DecodeError> {
        Self::from_reference_bytes_with_limits(bytes, &DecodeLimits::default())
    }

    /// [`from_reference_bytes`](Self::from_reference_bytes) with explicit limits.
    pub fn from_reference_bytes_with_limits(
        bytes: &[u8],
        limits: &DecodeLimits,
    ) -> Result<TDigest, DecodeError> {
        let mut input = BigEndian(bytes);
        let small = match input.i32()? {
            VERBOSE => false,
            SMALL => true,
            _ => {
                return Err(DecodeError::OutOfRange {
                    what: "reference t-digest encoding",
                });
            }
        };
        let min = input.f64()?;
        let max = input.f64()?;
        let compression = if small { input.f32()? } else { input.f64()? };
        if !compression.is_finite() {
            return Err(DecodeError::NonFinite {
                what: "compression",
            });
        }
        let (len, record) = if small {
            // Capacity and buffer size only size the reference's own arrays.
            input.i16()?;
            input.i16()?;
            (i64::from(input.i16()?), 8)
        } else {
            (i64::from(input.i32()?), 16)
        };
        let fits = (input.0.len() / record).min(limits.max_centroids);
        if len < 0 || len > fits as i64 {
            return Err(DecodeError::TooLarge {
                what: "centroids",
                len: len as u64,
                max: fits as u64,
            });
        }
        let len = len as usize;
        if input.0.len() != len * record {
            return Err(DecodeError::TrailingBytes(input.0.len() - len * record));
        }
        let mut digest =
            TDigest::with_scale(compression.clamp(10.0, 100_000.0), ScaleFunction::default())?;
        if len == 0 {
            return Ok(digest);
        }
        if !(min.is_finite() && max.is_finite()) {
            return Err(DecodeError::NonFinite { what: "min or max" });
        }
        if min > max {
            return Err(DecodeError::Inconsistent {
                what: "min above max",
            });
        }
        let mut points = Vec::with_capacity(len);
        let mut totals = Totals {
            count: 0,
            sum: 0.0,
            min,
            max,
            rejected: 0,
        };
        for index in 0..len {
            let (weight, mean) = if small {
                (input.f32()?, input.f32()?)
            } else {
                (input.f64()?, input.f64()?)
            };
            // Integral and exact in a double: what integer adds produce.
            if !((1.0..=MAX_EXACT_WEIGHT).contains(&weight) && weight.fract() == 0.0) {
                return Err(DecodeError::InvalidWeight { index });
            }
            if !accepts(mean) {
                return Err(DecodeError::NonFinite {
                    what: "centroid mean",
                });
            }
            if points.last().is_some_and(|p: &Point| p.mean > mean) {
                return Err(DecodeError::Unsorted {
                    what: "centroid means",
                    index,
                });
            }
            // Our own means are single precision: one rounding outside is allowed.
            if mean < min - rounding_slack(min) || mean > max + rounding_slack(max) {
                return Err(DecodeError::Inconsistent {
                    what: "centroid means outside [min, max]",
                });
            }
            totals.count =
                totals
                    .count
                    .checked_add(weight as u64)
                    .ok_or(DecodeError::Inconsistent {
                        what: "total weight overflows",
                    })?;
            totals.sum += weight * mean;
            points.push(Point { mean, weight });
        }
        digest.totals = totals;
        if len <= digest.max_centroids() {
            digest.centroids = points.into_iter().map(Centroid::from).collect();
        } else {
            digest.weighted_buffer = points;
            digest.compress();
        }
        Ok(digest)
    }

    fn put_reference_header(&self, out: &mut Vec<u8>) {
        let (min, max) = match (self.totals.min(), self.totals.max()) {
            (Some(min), Some(max)) => (min, max),
            _ => (f64::INFINITY, f64::NEG_INFINITY),
        };
        out.extend_from_slice(&min.to_be_bytes());
        out.extend_from_slice(&max.to_be_bytes());
    }

    /// A merged copy when values are pending, so encoders see every value.
    pub(super) fn merged_copy(&self) -> Option<TDigest> {
        self.has_pending().then(|| {
            let mut merged = self.clone();
            merged.compress();
            merged
        })
    }
}
