//! Why a decode failed.

use std::fmt;

use crate::error::ConfigError;

/// Why bytes could not be decoded. Every variant names the problem; decoding never
/// panics and never allocates more than its [`DecodeLimits`](super::DecodeLimits) allow.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended early: `needed` more bytes were required, `remaining` were left.
    Truncated {
        /// Bytes required by the next field.
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// The input does not start with this format's magic bytes.
    BadMagic,
    /// The format version is not one this build reads.
    UnsupportedVersion(u8),
    /// The kind byte names another type than the one asked for.
    WrongKind {
        /// The kind the caller asked for.
        expected: u8,
        /// The kind in the input.
        found: u8,
    },
    /// A length or count is larger than the input can hold or the limits allow.
    TooLarge {
        /// Which length.
        what: &'static str,
        /// The length in the input.
        len: u64,
        /// The most accepted here.
        max: u64,
    },
    /// A value that must be finite is NaN or infinite.
    NonFinite {
        /// Which value.
        what: &'static str,
    },
    /// Values that must be sorted are not (`index` is the first out of order).
    Unsorted {
        /// Which values.
        what: &'static str,
        /// The position of the first value out of order.
        index: usize,
    },
    /// A weight or count that must be positive is zero, negative or fractional.
    InvalidWeight {
        /// The position of the weight.
        index: usize,
    },
    /// Fields contradict each other (for example, weights that do not add up to the count).
    Inconsistent {
        /// What does not add up.
        what: &'static str,
    },
    /// A field is out of its valid range.
    OutOfRange {
        /// Which field.
        what: &'static str,
    },
    /// A configuration field (compression, accuracy, range) is invalid.
    Config(ConfigError),
    /// Bytes were left after the encoded value.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { needed, remaining } => write!(
                f,
                "input truncated: {needed} more bytes needed, {remaining} left"
            ),
            DecodeError::BadMagic => f.write_str("not this encoding: bad magic bytes"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            DecodeError::WrongKind { expected, found } => {
                write!(f, "wrong kind: expected {expected}, found {found}")
            }
            DecodeError::TooLarge { what, len, max } => {
                write!(f, "{what} is {len}, more than the {max} accepted")
            }
            DecodeError::NonFinite { what } => write!(f, "{what} is NaN or infinite"),
            DecodeError::Unsorted { what, index } => {
                write!(f, "{what} out of order at position {index}")
            }
            DecodeError::InvalidWeight { index } => {
                write!(f, "weight at position {index} is not a positive integer")
            }
            DecodeError::Inconsistent { what } => write!(f, "inconsistent input: {what}"),
            DecodeError::OutOfRange { what } => write!(f, "{what} is out of range"),
            DecodeError::Config(e) => write!(f, "invalid configuration: {e}"),
            DecodeError::TrailingBytes(n) => write!(f, "{n} bytes left after the value"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for DecodeError {
    fn from(e: ConfigError) -> Self {
        DecodeError::Config(e)
    }
}
