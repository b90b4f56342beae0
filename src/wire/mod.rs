//! Binary encodings for hierarchical merging (workers → managers → gates) and interop.
//!
//! # The native format
//!
//! Every value starts with a 6-byte header — the magic `SLRW`, a version byte (1) and a
//! kind byte — followed by a little-endian body of fixed-width floats and LEB128
//! varints:
//!
//! | kind | type | body |
//! |---|---|---|
//! | 1 | [`TDigest`] | compression, scale, totals, centroids (delta-coded means, integer weights) |
//! | 2 | [`DDSketch`] | accuracy, bin limit, zero count, totals, one run of bins per sign |
//! | 3 | [`HdrSketch`] | range, precision, clamped, totals, (value, count) runs |
//! | 4 | [`NodeSummary`] | node, publish time, sketch kind, per (target, kind) entries |
//!
//! "Totals" are the exact count, rejected count, sum, min and max. A digest is encoded
//! in its merged state (pending values are merged into a copy first), so
//! `decode(encode(x))` answers every query exactly as `x` does; a default digest of a
//! million samples takes about a kilobyte.
//!
//! Decoding is safe on hostile input: every length is checked against the bytes left
//! and against [`DecodeLimits`] before anything is allocated, and NaN or infinite
//! values, unsorted means, zero weights and totals that do not add up are refused
//! with a [`DecodeError`] naming the problem. Decoding never panics.
//!
//! # Interop
//!
//! [`TDigest::to_reference_bytes`] / [`TDigest::from_reference_bytes`] read and write
//! the reference (JVM) t-digest layouts, and [`HdrSketch::to_v2`] /
//! [`HdrSketch::from_v2`] the HdrHistogram V2 and V2 + DEFLATE encodings.
//!
//! # Examples
//!
//! ```
//! use slo_router::sketch::{QuantileSketch, TDigest};
//! use slo_router::wire::WireFormat;
//!
//! let mut digest = TDigest::default();
//! (1..=10_000).for_each(|v| digest.add(v as f64));
//! let bytes = digest.encode();
//! let decoded = TDigest::decode(&bytes)?;
//! assert_eq!(decoded.count(), 10_000);
//! assert_eq!(decoded.quantile(0.99), digest.quantile(0.99));
//! assert!(TDigest::decode(&bytes[..bytes.len() - 1]).is_err());
//! # Ok::<(), slo_router::wire::DecodeError>(())
//! ```

mod codec;
mod error;
#[cfg(feature = "serde")]
mod serde;
mod summary;

pub use error::DecodeError;
pub use summary::{NodeSummary, SummaryEntry};

pub(crate) use codec::{
    VarintWriter, Varints, get_f64, get_finite, get_len, get_signed, get_str, get_u8, get_varint,
    put_f64, put_signed, put_str, put_varint, take,
};

#[cfg(doc)]
use crate::sketch::{DDSketch, HdrSketch, TDigest};

/// The first bytes of every native encoding.
pub const MAGIC: [u8; 4] = *b"SLRW";
/// The format version this build writes and reads.
pub const VERSION: u8 = 1;

/// The kind byte of each native encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum WireKind {
    /// A [`TDigest`].
    TDigest = 1,
    /// A [`DDSketch`].
    DDSketch = 2,
    /// An [`HdrSketch`].
    HdrSketch = 3,
    /// A [`NodeSummary`].
    NodeSummary = 4,
}

/// Upper bounds a decoder enforces before allocating, so hostile input cannot make it
/// allocate more than these allow.
///
/// # Examples
///
/// ```
/// use slo_router::sketch::{QuantileSketch, TDigest};
/// use slo_router::wire::{DecodeError, DecodeLimits, WireFormat};
///
/// let mut digest = TDigest::default();
/// (0..1000).for_each(|v| digest.add(v as f64));
/// let bytes = digest.encode();
/// let strict = DecodeLimits { max_centroids: 10, ..DecodeLimits::default() };
/// assert!(matches!(
///     TDigest::decode_with_limits(&bytes, &strict),
///     Err(DecodeError::TooLarge { what: "centroids", .. })
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most centroids in one digest (8 bytes each in memory). Default 65,536.
    pub max_centroids: usize,
    /// Most bins in one DDSketch store (8 bytes each). Default 65,536.
    pub max_bins: usize,
    /// Most counters in one HdrHistogram (8 bytes each). Default 1,048,576.
    pub max_hdr_counts: usize,
    /// Most entries in one node summary. Default 65,536.
    pub max_entries: usize,
    /// Longest node or target name, in bytes. Default 1,024.
    pub max_name_bytes: usize,
    /// Most bytes a DEFLATE payload may inflate to. Default 16 MiB.
    pub max_inflated_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_centroids: 1 << 16,
            max_bins: 1 << 16,
            max_hdr_counts: 1 << 20,
            max_entries: 1 << 16,
            max_name_bytes: 1024,
            max_inflated_bytes: 16 << 20,
        }
    }
}

pub(crate) mod sealed {
    use super::{DecodeError, DecodeLimits, WireKind};

    /// The body codec behind [`WireFormat`](super::WireFormat); sealed so the format
    /// stays under this crate's control.
    #[allow(unreachable_pub)] // reachable only as a supertrait, by design
    pub trait Body: Sized {
        const KIND: WireKind;
        /// The fewest bytes any body takes: bounds counts of nested values before
        /// anything is allocated for them.
        const MIN_BODY_BYTES: usize;
        fn encode_body(&self, out: &mut Vec<u8>);
        fn decode_body(input: &mut &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError>;
    }
}

/// A type with a native binary encoding: [`TDigest`], [`DDSketch`], [`HdrSketch`] and
/// [`NodeSummary`].
pub trait WireFormat: sealed::Body {
    /// Appends the encoding of `self` to `out` (reusing its allocation).
    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(Self::KIND as u8);
        self.encode_body(out);
    }

    /// The encoding of `self`.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Decodes a value with the default [`DecodeLimits`]. The whole input must be one
    /// value.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_with_limits(bytes, &DecodeLimits::default())
    }

    /// Decodes a value, refusing anything larger than `limits` allow.
    fn decode_with_limits(bytes: &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        let mut input = bytes;
        if take(&mut input, MAGIC.len())? != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = get_u8(&mut input)?;
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let kind = get_u8(&mut input)?;
        if kind != Self::KIND as u8 {
            return Err(DecodeError::WrongKind {
                expected: Self::KIND as u8,
                found: kind,
            });
        }
        let value = Self::decode_body(&mut input, limits)?;
        if !input.is_empty() {
            return Err(DecodeError::TrailingBytes(input.len()));
        }
        Ok(value)
    }
}

impl<T: sealed::Body> WireFormat for T {}
