//! A node's Vivaldi state: its coordinate, per-peer latency filters, the adjustment
//! window and gravity (Serf's `Client`), and the routing inputs derived from them.

use std::collections::HashMap;
use std::time::Duration;

use super::coordinate::{Coordinate, VivaldiConfig, VivaldiError};
use crate::error::ConfigError;

/// RTT samples above this are refused, as in Serf.
const MAX_RTT: Duration = Duration::from_secs(10);
/// RTTs below this count as this, as in Serf (a zero RTT would divide by zero).
const MIN_RTT_SECS: f64 = 1.0e-6;
/// Samples needed for full quality.
const FULL_QUALITY_SAMPLES: f64 = 10.0;
/// An uncertainty (σ) of at most this many milliseconds keeps full quality.
const FULL_QUALITY_ERROR_MS: f64 = 20.0;
/// Coordinates older than this lose quality in proportion.
const FULL_QUALITY_AGE: Duration = Duration::from_secs(300);

/// The routing inputs for one peer: an upper confidence bound on the RTT and how much
/// to trust the coordinates behind it. These are the `rtt_ucb_ms` and
/// `coordinate_quality` of a routing candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttEstimate {
    /// The estimated RTT, in milliseconds.
    pub estimate_ms: f64,
    /// The uncertainty of the estimate, in milliseconds.
    pub sigma_ms: f64,
    /// `clamp(estimate + k_sigma·σ, 1, 10 000)` milliseconds.
    pub rtt_ucb_ms: f64,
    /// In [0, 1]: see [`quality`].
    pub quality: f64,
}

/// How much to trust a peer's coordinate:
/// `min(1, n/10) × min(1, 20 / max(error_ms, 1)) × (1 if age ≤ 300 s else 300 s / age)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use slo_router::vivaldi::quality;
///
/// assert_eq!(quality(10, 5.0, Duration::from_secs(1)), 1.0);
/// assert_eq!(quality(5, 40.0, Duration::from_secs(600)), 0.5 * 0.5 * 0.5);
/// ```
pub fn quality(sample_count: u64, error_ms: f64, age: Duration) -> f64 {
    let samples = (sample_count as f64 / FULL_QUALITY_SAMPLES).min(1.0);
    let error = if error_ms.is_nan() {
        0.0
    } else {
        (FULL_QUALITY_ERROR_MS / error_ms.max(1.0)).min(1.0)
    };
    let freshness = if age <= FULL_QUALITY_AGE {
        1.0
    } else {
        FULL_QUALITY_AGE.as_secs_f64() / age.as_secs_f64()
    };
    samples * error * freshness
}

/// The most RTT samples a latency filter keeps.
const MAX_FILTER: usize = 16;

/// What a node remembers about one peer.
#[derive(Debug, Clone, Copy)]
struct PeerFilter {
    /// The last `latency_filter` RTTs, in seconds: a ring starting at `next`.
    recent: [f64; MAX_FILTER],
    next: usize,
    samples: u64,
}

/// A multiply-shift hasher for peer ids: SipHash was a large share of an update's cost.
/// Peer ids are the caller's, not an attacker's.
#[derive(Debug, Clone, Copy, Default)]
struct PeerHasher(u64);

impl std::hash::Hasher for PeerHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type PeerMap = HashMap<u64, PeerFilter, std::hash::BuildHasherDefault<PeerHasher>>;

/// A node's Vivaldi state, updated from RTT measurements to peers.
///
/// See the [module documentation](super) for an example.
#[derive(Debug, Clone)]
pub struct VivaldiClient {
    config: VivaldiConfig,
    coordinate: Coordinate,
    origin: Coordinate,
    adjustment_samples: Vec<f64>,
    adjustment_index: usize,
    /// Running sum of `adjustment_samples`, recomputed exactly at each wrap.
    adjustment_sum: f64,
    peers: PeerMap,
    resets: u64,
    /// A xorshift state, for the random direction when two positions coincide.
    random: u64,
}

impl VivaldiClient {
    /// A node at the origin with Serf's defaults; `seed` makes the rare random
    /// directions reproducible.
    pub fn new(seed: u64) -> Self {
        Self::build(VivaldiConfig::default(), seed)
    }

    /// A node at the origin with a validated configuration.
    pub fn with_config(config: VivaldiConfig, seed: u64) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::build(config, seed))
    }

    fn build(config: VivaldiConfig, seed: u64) -> Self {
        VivaldiClient {
            config,
            coordinate: Coordinate::new(&config),
            origin: Coordinate::new(&config),
            adjustment_samples: vec![0.0; config.adjustment_window],
            adjustment_index: 0,
            adjustment_sum: 0.0,
            peers: PeerMap::default(),
            resets: 0,
            random: seed | 1,
        }
    }

    /// This node's coordinate.
    pub fn coordinate(&self) -> &Coordinate {
        &self.coordinate
    }

    /// The configuration.
    pub fn config(&self) -> &VivaldiConfig {
        &self.config
    }

    /// How often the coordinate became non-finite and was reset.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// RTT samples taken from `peer`.
    pub fn sample_count(&self, peer: u64) -> u64 {
        self.peers.get(&peer).map_or(0, |p| p.samples)
    }

    /// Forgets a peer's filter and sample count.
    pub fn forget(&mut self, peer: u64) {
        self.peers.remove(&peer);
    }

    /// Folds one RTT measurement to `peer` (whose coordinate is `other`) into this
    /// node's coordinate: median of the peer's last samples, Vivaldi step, adjustment,
    /// gravity. RTTs outside (0, 10 s] and non-finite peer coordinates are refused and
    /// change nothing.
    pub fn update(
        &mut self,
        peer: u64,
        other: &Coordinate,
        rtt: Duration,
    ) -> Result<(), VivaldiError> {
        if !other.is_valid() {
            return Err(VivaldiError::InvalidCoordinate);
        }
        if rtt.is_zero() || rtt > MAX_RTT {
            return Err(VivaldiError::InvalidRtt(rtt));
        }
        let rtt = self.latency_filter(peer, rtt.as_secs_f64());
        self.update_vivaldi(other, rtt);
        self.update_adjustment(other, rtt);
        self.update_gravity();
        if !self.coordinate.is_valid() {
            self.resets += 1;
            self.coordinate = Coordinate::new(&self.config);
        }
        Ok(())
    }

    fn latency_filter(&mut self, peer: u64, rtt: f64) -> f64 {
        let size = self.config.latency_filter;
        let filter = self.peers.entry(peer).or_insert_with(|| PeerFilter {
            recent: [0.0; MAX_FILTER],
            next: 0,
            samples: 0,
        });
        filter.recent[filter.next] = rtt;
        filter.next = if filter.next + 1 == size {
            0
        } else {
            filter.next + 1
        };
        filter.samples += 1;
        let held = (filter.samples as usize).min(size);
        median(&filter.recent[..held])
    }

    fn update_vivaldi(&mut self, other: &Coordinate, rtt: f64) {
        let rtt = rtt.max(MIN_RTT_SECS);
        let offset = self.coordinate.offset_from(other);
        let dist = self.coordinate.distance_given(other, offset.1);
        let wrongness = (dist - rtt).abs() / rtt;
        let total_error = (self.coordinate.error + other.error).max(MIN_RTT_SECS);
        let weight = self.coordinate.error / total_error;
        let ce = self.config.ce * weight;
        self.coordinate.error =
            (ce * wrongness + self.coordinate.error * (1.0 - ce)).min(self.config.error_max);
        let force = self.config.cc * weight * (rtt - dist);
        let random = &mut self.random;
        self.coordinate
            .apply_force(&self.config, force, other.height, offset, || {
                next_random(random)
            });
    }

    fn update_adjustment(&mut self, other: &Coordinate, rtt: f64) {
        let window = self.adjustment_samples.len();
        if window == 0 {
            return;
        }
        // Serf uses the raw distance here: adjustments do not feed on themselves.
        let sample = rtt - self.coordinate.raw_distance(other);
        let slot = &mut self.adjustment_samples[self.adjustment_index];
        self.adjustment_sum += sample - *slot;
        *slot = sample;
        self.adjustment_index += 1;
        if self.adjustment_index == window {
            self.adjustment_index = 0;
            // Once per window, drop the rounding the running sum has gathered.
            self.adjustment_sum = self.adjustment_samples.iter().sum();
        }
        self.coordinate.adjustment = self.adjustment_sum / (2.0 * window as f64);
    }

    fn update_gravity(&mut self) {
        // Serf measures from the origin to the coordinate, and pushes along the same line.
        let offset = self.coordinate.offset_from(&self.origin);
        let dist = self.origin.distance_given(&self.coordinate, offset.1);
        let force = -(dist / self.config.gravity_rho).powi(2);
        let (random, height) = (&mut self.random, self.origin.height);
        self.coordinate
            .apply_force(&self.config, force, height, offset, || next_random(random));
    }

    /// `clamp(estimate + k_sigma·σ, 1, 10 000)` in milliseconds, with
    /// `σ = estimate × (error_self + error_peer) / 2`: the coordinates' relative errors,
    /// averaged, scaled to the estimate.
    pub fn rtt_ucb_ms(&self, other: &Coordinate) -> f64 {
        self.rtt_estimate(u64::MAX, other, Duration::ZERO)
            .rtt_ucb_ms
    }

    /// Everything routing needs about `peer` (coordinate `other`, received `age` ago):
    /// the estimate, its uncertainty, the upper confidence bound and the quality.
    ///
    /// This fills a routing candidate's `rtt_ucb_ms` and `coordinate_quality`.
    pub fn rtt_estimate(&self, peer: u64, other: &Coordinate, age: Duration) -> RttEstimate {
        let estimate_ms = self.coordinate.distance_secs(other) * 1e3;
        let sigma_ms = estimate_ms * (self.coordinate.error + other.error) / 2.0;
        let rtt_ucb_ms = (estimate_ms + self.config.k_sigma * sigma_ms).clamp(1.0, 10_000.0);
        RttEstimate {
            estimate_ms,
            sigma_ms,
            rtt_ucb_ms,
            quality: quality(self.sample_count(peer), sigma_ms, age),
        }
    }
}

/// The median (the upper one for an even count) of a few samples. Three, Serf's
/// default, without sorting.
#[inline]
fn median(samples: &[f64]) -> f64 {
    if let &[a, b, c] = samples {
        return a.min(b).max(a.max(b).min(c));
    }
    let mut sorted = [0.0; MAX_FILTER];
    let sorted = &mut sorted[..samples.len()];
    sorted.copy_from_slice(samples);
    sorted.sort_unstable_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// xorshift64: a uniform value in [0, 1).
fn next_random(state: &mut u64) -> f64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_three_and_more() {
        for (samples, expected) in [
            (&[3.0, 1.0, 2.0][..], 2.0),
            (&[1.0, 2.0, 3.0][..], 2.0),
            (&[2.0, 2.0, 1.0][..], 2.0),
            (&[5.0][..], 5.0),
            (&[4.0, 1.0][..], 4.0),
            (&[9.0, 1.0, 5.0, 7.0, 3.0][..], 5.0),
        ] {
            assert_eq!(median(samples), expected, "{samples:?}");
        }
    }
}
