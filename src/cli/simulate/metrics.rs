//! What a run measured: every latency, and per 10 s window and target the traffic sent
//! and the latencies answered; summarised into the table, the JSON and the plot.

use serde::Serialize;

use super::scenario::Scenario;

/// The width of a reporting window.
pub(crate) const WINDOW_NS: u64 = 10_000_000_000;
/// Samples a (window, target) pair needs to be judged: below 20 the nearest-rank p95
/// is simply the maximum.
const MIN_JUDGED_SAMPLES: usize = 20;

/// Raw measurements of one run.
pub(crate) struct Recorded {
    targets: usize,
    latencies: Vec<f32>,
    refused: u64,
    windows: Vec<Window>,
}

#[derive(Default, Clone)]
struct Window {
    dispatched: Vec<u32>,
    latencies: Vec<Vec<f32>>,
}

impl Recorded {
    pub(crate) fn new(targets: usize) -> Self {
        Recorded {
            targets,
            latencies: Vec::new(),
            refused: 0,
            windows: Vec::new(),
        }
    }

    fn window(&mut self, at: u64) -> &mut Window {
        let index = (at / WINDOW_NS) as usize;
        if self.windows.len() <= index {
            let empty = Window {
                dispatched: vec![0; self.targets],
                latencies: vec![Vec::new(); self.targets],
            };
            self.windows.resize(index + 1, empty);
        }
        &mut self.windows[index]
    }

    pub(crate) fn dispatched(&mut self, at: u64, target: usize) {
        self.window(at).dispatched[target] += 1;
    }

    pub(crate) fn completed(&mut self, at: u64, target: usize, latency_ms: f64) {
        self.latencies.push(latency_ms as f32);
        self.window(at).latencies[target].push(latency_ms as f32);
    }

    pub(crate) fn refused(&mut self) {
        self.refused += 1;
    }

    pub(crate) fn requests(&self) -> u64 {
        self.latencies.len() as u64 + self.refused
    }
}

/// The nearest-rank quantile of sorted values.
fn quantile(sorted: &[f32], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1])
}

/// One policy's results.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyResult {
    pub(crate) policy: &'static str,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) p999_ms: f64,
    /// Requests answered within the p95 target, over all requests (refused ones miss).
    pub(crate) attainment: f64,
    /// (window, target) pairs with at least 20 answers whose p95 met the target, over
    /// all such pairs.
    pub(crate) window_attainment: f64,
    pub(crate) requests: u64,
    pub(crate) refused: u64,
    /// Reversals of an incident target's traffic share (by more than 5 points each way)
    /// from the end of its incident on: 0 when its traffic returns without flapping.
    pub(crate) reversals_after_recovery: u32,
    #[serde(skip)]
    pub(crate) series: Series,
}

/// Per window and target: traffic share and observed p95 (for the plot and the table).
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    pub(crate) window_s: f64,
    pub(crate) share: Vec<Vec<f64>>,
    pub(crate) p95_ms: Vec<Vec<Option<f64>>>,
}

impl Recorded {
    pub(crate) fn summarize(mut self, policy: &'static str, scenario: &Scenario) -> PolicyResult {
        self.latencies.sort_unstable_by(f32::total_cmp);
        let target_ms = scenario.slo.p95_ms;
        let within = self
            .latencies
            .partition_point(|&l| f64::from(l) <= target_ms);
        let requests = self.requests();
        let (mut met, mut judged) = (0u32, 0u32);
        let mut series = Series {
            window_s: WINDOW_NS as f64 / 1e9,
            ..Series::default()
        };
        // Windows after the arrivals stop only hold the drain: left out.
        let last = ((scenario.duration_s * 1e9) as u64).div_ceil(WINDOW_NS) as usize;
        for window in self.windows.iter_mut().take(last) {
            let sent: u32 = window.dispatched.iter().sum();
            series.share.push(
                window
                    .dispatched
                    .iter()
                    .map(|&d| f64::from(d) / f64::from(sent.max(1)))
                    .collect(),
            );
            let mut p95s = Vec::with_capacity(self.targets);
            for latencies in &mut window.latencies {
                if latencies.is_empty() {
                    p95s.push(None);
                    continue;
                }
                latencies.sort_unstable_by(f32::total_cmp);
                let p95 = quantile(latencies, 0.95);
                if latencies.len() >= MIN_JUDGED_SAMPLES {
                    judged += 1;
                    met += u32::from(p95 <= target_ms);
                }
                p95s.push(Some(p95));
            }
            series.p95_ms.push(p95s);
        }
        let reversals_after_recovery = scenario
            .incidents
            .iter()
            .filter_map(|i| {
                let t = scenario.targets.iter().position(|t| t.name == i.target)?;
                let end = ((i.start_s + i.duration_s) / series.window_s).ceil() as usize;
                Some(reversals(series.share.iter().skip(end).map(|s| s[t])))
            })
            .sum();
        let q = |q| {
            if self.latencies.is_empty() {
                0.0
            } else {
                quantile(&self.latencies, q)
            }
        };
        PolicyResult {
            policy,
            p50_ms: q(0.5),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            attainment: within as f64 / requests.max(1) as f64,
            window_attainment: f64::from(met) / f64::from(judged.max(1)),
            requests,
            refused: self.refused,
            reversals_after_recovery,
            series,
        }
    }
}

/// How often a series changes direction by more than 5 points after moving at least
/// that much the other way.
fn reversals(values: impl Iterator<Item = f64>) -> u32 {
    const STEP: f64 = 0.05;
    let (mut count, mut direction, mut anchor) = (0, 0i8, None::<f64>);
    for v in values {
        let Some(a) = anchor else {
            anchor = Some(v);
            continue;
        };
        let moved = if v > a + STEP {
            1
        } else if v < a - STEP {
            -1
        } else {
            0
        };
        if moved != 0 {
            if direction != 0 && moved != direction {
                count += 1;
            }
            direction = moved;
            anchor = Some(v);
        } else if (direction > 0 && v > a) || (direction < 0 && v < a) {
            anchor = Some(v);
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let sorted: Vec<f32> = (1..=100).map(|v| v as f32).collect();
        assert_eq!(quantile(&sorted, 0.5), 50.0);
        assert_eq!(quantile(&sorted, 0.95), 95.0);
        assert_eq!(quantile(&sorted, 0.999), 100.0);
        assert_eq!(quantile(&[7.0], 0.01), 7.0);
    }

    #[test]
    fn reversals_count_direction_changes_beyond_the_step() {
        assert_eq!(reversals([0.5, 0.5, 0.51, 0.49].into_iter()), 0);
        assert_eq!(reversals([0.5, 0.1, 0.5].into_iter()), 1);
        assert_eq!(reversals([0.5, 0.1, 0.5, 0.1, 0.5].into_iter()), 3);
        // A steady recovery in small and large steps is not a flap.
        assert_eq!(
            reversals([0.0, 0.04, 0.1, 0.2, 0.3, 0.31, 0.3].into_iter()),
            0
        );
    }
}
