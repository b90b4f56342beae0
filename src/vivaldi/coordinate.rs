//! A Vivaldi coordinate and the update rule.

use std::fmt;
use std::time::Duration;

use crate::error::ConfigError;

/// Euclidean dimensions of a coordinate (Serf's default).
pub const DIMENSIONS: usize = 8;

/// Below this, two positions (or an RTT) count as zero, as in Serf.
const ZERO_THRESHOLD: f64 = 1.0e-6;

/// Encoding: version byte, dimension byte, then 8 + 3 little-endian `f64`s.
const ENCODING_VERSION: u8 = 1;
const ENCODED_LEN: usize = 2 + 8 * (DIMENSIONS + 3);

/// Tuning of the Vivaldi update, with Serf's defaults. Distances are in seconds, as in
/// Serf; `gravity_rho` is Serf's `GravityRho` of 150 in those units (a gentle pull back
/// toward the origin that keeps the whole system from drifting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VivaldiConfig {
    /// Largest error estimate (1.5).
    pub error_max: f64,
    /// Weight of a sample in the error estimate, `ce` (0.25).
    pub ce: f64,
    /// Weight of a sample in the position update, `cc` (0.25).
    pub cc: f64,
    /// Samples in the adjustment window (20).
    pub adjustment_window: usize,
    /// Smallest height, in seconds (10 µs).
    pub height_min: f64,
    /// RTT samples per peer whose median is used (3; at most 16).
    pub latency_filter: usize,
    /// Gravity ρ, in seconds (150).
    pub gravity_rho: f64,
    /// `k` in `rtt_ucb = estimate + k·σ` (2).
    pub k_sigma: f64,
}

impl Default for VivaldiConfig {
    fn default() -> Self {
        VivaldiConfig {
            error_max: 1.5,
            ce: 0.25,
            cc: 0.25,
            adjustment_window: 20,
            height_min: 10.0e-6,
            latency_filter: 3,
            gravity_rho: 150.0,
            k_sigma: 2.0,
        }
    }
}

impl VivaldiConfig {
    /// Checks every field: finite, in range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("error_max", self.error_max),
            ("height_min", self.height_min),
            ("gravity_rho", self.gravity_rho),
        ];
        for (field, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError::new(field, v, "a finite value > 0"));
            }
        }
        for (field, v) in [("ce", self.ce), ("cc", self.cc)] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(ConfigError::new(field, v, "a value in (0, 1]"));
            }
        }
        if !(self.k_sigma.is_finite() && self.k_sigma >= 0.0) {
            return Err(ConfigError::new(
                "k_sigma",
                self.k_sigma,
                "a finite value >= 0",
            ));
        }
        if !(1..=16).contains(&self.latency_filter) {
            return Err(ConfigError::new(
                "latency_filter",
                self.latency_filter,
                "1 to 16",
            ));
        }
        if self.adjustment_window > 1024 {
            return Err(ConfigError::new(
                "adjustment_window",
                self.adjustment_window,
                "0 (off) to 1024",
            ));
        }
        Ok(())
    }
}

/// Why a Vivaldi input was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VivaldiError {
    /// The RTT is not in (0, 10 s].
    InvalidRtt(Duration),
    /// The peer's coordinate has a non-finite or negative component.
    InvalidCoordinate,
    /// An encoded coordinate is truncated, too long, of another version or dimension.
    Malformed(&'static str),
}

impl fmt::Display for VivaldiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VivaldiError::InvalidRtt(rtt) => write!(f, "RTT {rtt:?} is not in (0, 10 s]"),
            VivaldiError::InvalidCoordinate => f.write_str("coordinate is not finite"),
            VivaldiError::Malformed(why) => write!(f, "malformed coordinate: {why}"),
        }
    }
}

impl std::error::Error for VivaldiError {}

/// A position in the Vivaldi space: Euclidean part, height (access-link latency),
/// adjustment (a per-node correction) and error (relative uncertainty). Seconds
/// throughout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinate {
    /// The Euclidean position.
    pub vec: [f64; DIMENSIONS],
    /// Latency of the node's own access link, added to every distance.
    pub height: f64,
    /// A correction learnt from the mean residual of recent samples.
    pub adjustment: f64,
    /// The node's relative error estimate (capped at `error_max`).
    pub error: f64,
}

impl Coordinate {
    /// A fresh coordinate at the origin, with the largest error.
    pub fn new(config: &VivaldiConfig) -> Self {
        Coordinate {
            vec: [0.0; DIMENSIONS],
            height: config.height_min,
            adjustment: 0.0,
            error: config.error_max,
        }
    }

    /// `true` when every component is finite (and height and error are not negative).
    pub fn is_valid(&self) -> bool {
        self.vec.iter().all(|v| v.is_finite())
            && self.height.is_finite()
            && self.height >= 0.0
            && self.adjustment.is_finite()
            && self.error.is_finite()
            && self.error >= 0.0
    }

    /// Euclidean distance plus both heights, without adjustments, in seconds.
    #[inline]
    pub(crate) fn raw_distance(&self, other: &Coordinate) -> f64 {
        magnitude(&diff(&self.vec, &other.vec)) + self.height + other.height
    }

    /// The estimated distance in seconds: raw distance plus both adjustments, unless
    /// that would not be positive.
    #[inline]
    pub fn distance_secs(&self, other: &Coordinate) -> f64 {
        self.distance_given(other, magnitude(&diff(&self.vec, &other.vec)))
    }

    /// The estimated RTT to `other`.
    #[inline]
    pub fn estimate_rtt(&self, other: &Coordinate) -> Duration {
        Duration::from_secs_f64(self.distance_secs(other).clamp(0.0, 1e9))
    }

    /// The vector from `other` to this coordinate and its length.
    #[inline]
    pub(crate) fn offset_from(&self, other: &Coordinate) -> ([f64; DIMENSIONS], f64) {
        let d = diff(&self.vec, &other.vec);
        let mag = magnitude(&d);
        (d, mag)
    }

    /// The estimated distance in seconds given the offset length to `other`.
    #[inline]
    pub(crate) fn distance_given(&self, other: &Coordinate, mag: f64) -> f64 {
        let raw = mag + self.height + other.height;
        let adjusted = raw + self.adjustment + other.adjustment;
        if adjusted > 0.0 { adjusted } else { raw }
    }

    /// Moves this coordinate by `force` (seconds) along `offset` (from `other`, of
    /// length `mag`), and adjusts the height in proportion; `random` supplies a
    /// direction when the two positions coincide.
    pub(crate) fn apply_force(
        &mut self,
        config: &VivaldiConfig,
        force: f64,
        other_height: f64,
        (offset, mag): ([f64; DIMENSIONS], f64),
        random: impl FnMut() -> f64,
    ) {
        if mag > ZERO_THRESHOLD {
            // One division serves the move along the unit vector and the height.
            let scale = force / mag;
            for (v, d) in self.vec.iter_mut().zip(offset) {
                *v += d * scale;
            }
            self.height =
                ((self.height + other_height) * scale + self.height).max(config.height_min);
        } else {
            for (v, u) in self.vec.iter_mut().zip(random_unit_vector(random)) {
                *v += u * force;
            }
        }
    }

    /// The 90-byte little-endian encoding: version, dimensions, the vector, height,
    /// adjustment, error.
    pub fn to_bytes(&self) -> [u8; ENCODED_LEN] {
        let mut out = [0u8; ENCODED_LEN];
        out[0] = ENCODING_VERSION;
        out[1] = DIMENSIONS as u8;
        let values = self
            .vec
            .iter()
            .chain([&self.height, &self.adjustment, &self.error]);
        for (chunk, v) in out[2..].chunks_exact_mut(8).zip(values) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes [`to_bytes`](Self::to_bytes)' layout, refusing a truncated or overlong
    /// input, another version or dimension, and non-finite values.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VivaldiError> {
        if bytes.len() < 2 {
            return Err(VivaldiError::Malformed("truncated header"));
        }
        if bytes[0] != ENCODING_VERSION {
            return Err(VivaldiError::Malformed("unknown version"));
        }
        if bytes[1] as usize != DIMENSIONS {
            return Err(VivaldiError::Malformed("wrong dimension"));
        }
        if bytes.len() != ENCODED_LEN {
            return Err(VivaldiError::Malformed("wrong length"));
        }
        let mut values = [0.0; DIMENSIONS + 3];
        for (v, chunk) in values.iter_mut().zip(bytes[2..].chunks_exact(8)) {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(chunk);
            *v = f64::from_le_bytes(raw);
        }
        let mut vec = [0.0; DIMENSIONS];
        vec.copy_from_slice(&values[..DIMENSIONS]);
        let coordinate = Coordinate {
            vec,
            height: values[DIMENSIONS],
            adjustment: values[DIMENSIONS + 1],
            error: values[DIMENSIONS + 2],
        };
        if coordinate.is_valid() {
            Ok(coordinate)
        } else {
            Err(VivaldiError::InvalidCoordinate)
        }
    }
}

#[inline]
fn diff(a: &[f64; DIMENSIONS], b: &[f64; DIMENSIONS]) -> [f64; DIMENSIONS] {
    let mut out = [0.0; DIMENSIONS];
    for i in 0..DIMENSIONS {
        out[i] = a[i] - b[i];
    }
    out
}

#[inline]
fn magnitude(v: &[f64; DIMENSIONS]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// A random unit vector, for when two positions coincide (as in Serf); along the first
/// axis if even that comes out degenerate.
fn random_unit_vector(mut random: impl FnMut() -> f64) -> [f64; DIMENSIONS] {
    let r: [f64; DIMENSIONS] = std::array::from_fn(|_| random() - 0.5);
    let mag = magnitude(&r);
    if mag > ZERO_THRESHOLD {
        let inverse = 1.0 / mag;
        return r.map(|x| x * inverse);
    }
    let mut first = [0.0; DIMENSIONS];
    first[0] = 1.0;
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_refuses_bad_input() {
        let mut c = Coordinate::new(&VivaldiConfig::default());
        c.vec[3] = -0.0123;
        c.height = 0.002;
        c.adjustment = -0.0004;
        c.error = 0.3;
        let bytes = c.to_bytes();
        assert_eq!(Coordinate::from_bytes(&bytes), Ok(c));
        assert!(matches!(
            Coordinate::from_bytes(&bytes[..50]),
            Err(VivaldiError::Malformed(_))
        ));
        let mut wrong_dimension = bytes;
        wrong_dimension[1] = 3;
        assert_eq!(
            Coordinate::from_bytes(&wrong_dimension),
            Err(VivaldiError::Malformed("wrong dimension"))
        );
        let mut nan = bytes;
        nan[2..10].copy_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(
            Coordinate::from_bytes(&nan),
            Err(VivaldiError::InvalidCoordinate)
        );
        assert!(Coordinate::from_bytes(&[]).is_err());
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(Coordinate::from_bytes(&long).is_err());
    }

    #[test]
    fn config_is_validated() {
        let bad = VivaldiConfig {
            ce: 0.0,
            ..VivaldiConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().field(), "ce");
        let bad = VivaldiConfig {
            latency_filter: 0,
            ..VivaldiConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().field(), "latency_filter");
        assert!(VivaldiConfig::default().validate().is_ok());
    }
}
