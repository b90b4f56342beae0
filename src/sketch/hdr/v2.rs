//! HdrHistogram's V2 and V2 + DEFLATE encodings, written by the `hdrhistogram` crate's
//! serializers and read by its deserializer after this module has validated the input:
//! the crate trusts its header (it allocates what the header asks for) and can panic on
//! some hostile payloads, so nothing reaches it unchecked.

use std::io::Read as _;

use flate2::read::ZlibDecoder;
use hdrhistogram::serialization::{
    Deserializer, Serializer, V2DeflateSerializeError, V2DeflateSerializer, V2SerializeError,
    V2Serializer,
};

use super::wire::{bounded_sketch, counts_len};
use super::{HdrSketch, MICROS_PER_MILLI};
use crate::sketch::Totals;
use crate::wire::{self, DecodeError, DecodeLimits};

const V2_COOKIE: u32 = 0x1c84_9313;
const V2_DEFLATE_COOKIE: u32 = 0x1c84_9314;
const V2_HEADER_BYTES: usize = 40;

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn be_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// At least `len` bytes, or the wire format's truncation error.
fn need(bytes: &[u8], len: usize) -> Result<(), DecodeError> {
    wire::take(&mut &bytes[..], len).map(drop)
}

/// One count or run of zeros of the V2 payload: a zig-zag LEB128 of at most 9 bytes,
/// the ninth carrying a full 8 bits.
fn payload_number(payload: &mut &[u8]) -> Result<i64, DecodeError> {
    let mut raw = 0u64;
    for i in 0..9 {
        let &byte = payload.get(i).ok_or(DecodeError::Truncated {
            needed: 1,
            remaining: 0,
        })?;
        if i == 8 {
            raw |= u64::from(byte) << 56;
            *payload = &payload[9..];
            break;
        }
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            *payload = &payload[i + 1..];
            break;
        }
    }
    Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
}

/// Inflates a zlib stream into at most `max` bytes, growing the buffer geometrically but
/// never past `max`, so a decompression bomb cannot make it allocate more.
fn inflate(compressed: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    let corrupt = |_| DecodeError::OutOfRange {
        what: "DEFLATE stream",
    };
    let mut decoder = ZlibDecoder::new(compressed);
    let mut out = Vec::new();
    let mut filled = 0;
    loop {
        if filled == out.len() {
            if filled == max {
                // Full: one more byte means the stream is larger than allowed.
                return match decoder.read(&mut [0u8; 1]).map_err(corrupt)? {
                    0 => Ok(out),
                    _ => Err(DecodeError::TooLarge {
                        what: "inflated V2 histogram",
                        len: max as u64 + 1,
                        max: max as u64,
                    }),
                };
            }
            let grow = filled.max(4096).min(max - filled);
            out.reserve_exact(grow);
            out.resize(filled + grow, 0);
        }
        match decoder.read(&mut out[filled..]).map_err(corrupt)? {
            0 => {
                out.truncate(filled);
                return Ok(out);
            }
            n => filled += n,
        }
    }
}

/// Checks an uncompressed V2 histogram completely; returns its sketch (empty, with the
/// encoded range) when the `hdrhistogram` deserializer can safely read it.
fn validate_v2(bytes: &[u8], limits: &DecodeLimits) -> Result<HdrSketch, DecodeError> {
    need(bytes, V2_HEADER_BYTES)?;
    if be_u32(bytes, 0) != V2_COOKIE {
        return Err(DecodeError::BadMagic);
    }
    let payload_len = be_u32(bytes, 4) as usize;
    if be_u32(bytes, 8) != 0 {
        return Err(DecodeError::OutOfRange {
            what: "normalizing index offset",
        });
    }
    let figures = u8::try_from(be_u32(bytes, 12)).map_err(|_| DecodeError::OutOfRange {
        what: "significant figures",
    })?;
    let (lowest, highest) = (be_u64(bytes, 16), be_u64(bytes, 24));
    if f64::from_bits(be_u64(bytes, 32)) != 1.0 {
        return Err(DecodeError::OutOfRange {
            what: "integer to double conversion ratio",
        });
    }
    let sketch = bounded_sketch(lowest, highest, figures, limits)?;
    let len = counts_len(lowest, highest, figures).unwrap_or(0);
    let rest = &bytes[V2_HEADER_BYTES..];
    need(rest, payload_len)?;
    if rest.len() > payload_len {
        return Err(DecodeError::TrailingBytes(rest.len() - payload_len));
    }
    let mut payload = rest;
    let (mut index, mut total) = (0usize, 0u64);
    while !payload.is_empty() {
        let number = payload_number(&mut payload)?;
        if number < 0 {
            let zeros = number.checked_neg().and_then(|z| usize::try_from(z).ok());
            index = zeros
                .and_then(|z| index.checked_add(z))
                .filter(|&i| i <= len)
                .ok_or(DecodeError::OutOfRange {
                    what: "V2 run of zeros",
                })?;
        } else {
            if number > 0 && index >= len {
                return Err(DecodeError::OutOfRange {
                    what: "V2 count index",
                });
            }
            total = total
                .checked_add(number as u64)
                .ok_or(DecodeError::Inconsistent {
                    what: "V2 counts overflow",
                })?;
            index += 1;
        }
    }
    Ok(sketch)
}

impl HdrSketch {
    /// The HdrHistogram V2 encoding of the underlying histogram (integer microseconds),
    /// readable by every HdrHistogram implementation.
    ///
    /// # Examples
    ///
    /// ```
    /// use slo_router::sketch::{HdrSketch, QuantileSketch};
    ///
    /// let mut sketch = HdrSketch::default();
    /// (1..=100).for_each(|ms| sketch.add(ms as f64));
    /// let bytes = sketch.to_v2_deflate()?;
    /// let back = HdrSketch::from_v2(&bytes)?;
    /// assert_eq!(back.count(), 100);
    /// assert_eq!(back.quantile(0.9), sketch.quantile(0.9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_v2(&self) -> Result<Vec<u8>, V2SerializeError> {
        let mut out = Vec::new();
        V2Serializer::new().serialize(&self.histogram, &mut out)?;
        Ok(out)
    }

    /// The HdrHistogram V2 + DEFLATE (compressed) encoding.
    pub fn to_v2_deflate(&self) -> Result<Vec<u8>, V2DeflateSerializeError> {
        let mut out = Vec::new();
        V2DeflateSerializer::new().serialize(&self.histogram, &mut out)?;
        Ok(out)
    }

    /// Reads a V2 or V2 + DEFLATE histogram of integer microseconds, with the default
    /// [`DecodeLimits`].
    ///
    /// V2 carries bucket counts only: count is exact, while min, max and sum are
    /// estimated from the buckets (within the histogram's precision).
    pub fn from_v2(bytes: &[u8]) -> Result<HdrSketch, DecodeError> {
        Self::from_v2_with_limits(bytes, &DecodeLimits::default())
    }

    /// [`from_v2`](Self::from_v2) with explicit limits.
    pub fn from_v2_with_limits(
        bytes: &[u8],
        limits: &DecodeLimits,
    ) -> Result<HdrSketch, DecodeError> {
        need(bytes, 8)?;
        let inflated;
        let plain = match be_u32(bytes, 0) {
            V2_COOKIE => bytes,
            V2_DEFLATE_COOKIE => {
                let compressed = &bytes[8..];
                let len = be_u32(bytes, 4) as usize;
                need(compressed, len)?;
                if compressed.len() > len {
                    return Err(DecodeError::TrailingBytes(compressed.len() - len));
                }
                inflated = inflate(compressed, limits.max_inflated_bytes)?;
                &inflated[..]
            }
            _ => return Err(DecodeError::BadMagic),
        };
        let mut sketch = validate_v2(plain, limits)?;
        let histogram = Deserializer::new()
            .deserialize::<u64, _>(&mut &plain[..])
            .map_err(|_| DecodeError::OutOfRange {
                what: "V2 histogram payload",
            })?;
        let count = histogram.len();
        if count > 0 {
            sketch.totals = Totals {
                count,
                sum: histogram.mean() * count as f64 / MICROS_PER_MILLI,
                min: histogram.min() as f64 / MICROS_PER_MILLI,
                max: histogram.max() as f64 / MICROS_PER_MILLI,
                rejected: 0,
            };
        }
        sketch.histogram = histogram;
        Ok(sketch)
    }
}
