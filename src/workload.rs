//! Synthetic latency streams with fixed seeds: the accuracy suite's eight streams, used
//! by the command-line report, the tests and the benchmarks so all three measure the
//! same data.

use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto};

/// One of the accuracy suite's latency streams (values in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Lognormal with μ = ln 50, σ = 0.6 (median 50 ms).
    LogNormal,
    /// Pareto with scale 20 and shape 1.5: a heavy tail.
    Pareto,
    /// 90 % N(20, 3) and 10 % N(400, 50), clamped above 0.
    Bimodal,
    /// Exponential with mean 100.
    Exponential,
    /// Uniform on [1, 1000).
    Uniform,
    /// The lognormal stream sorted ascending.
    SortedAscending,
    /// The lognormal stream sorted descending.
    SortedDescending,
    /// Integers uniform in 1..=5: heavy duplicates.
    Integers,
}

impl Stream {
    /// Every stream, in the order the reports list them.
    pub const ALL: [Stream; 8] = [
        Stream::LogNormal,
        Stream::Pareto,
        Stream::Bimodal,
        Stream::Exponential,
        Stream::Uniform,
        Stream::SortedAscending,
        Stream::SortedDescending,
        Stream::Integers,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Stream::LogNormal => "lognormal",
            Stream::Pareto => "pareto",
            Stream::Bimodal => "bimodal",
            Stream::Exponential => "exponential",
            Stream::Uniform => "uniform",
            Stream::SortedAscending => "sorted-asc",
            Stream::SortedDescending => "sorted-desc",
            Stream::Integers => "integers",
        }
    }

    /// `n` values of this stream, generated from `seed`.
    pub fn generate(self, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        let lognormal = LogNormal::new(50f64.ln(), 0.6).expect("valid parameters");
        match self {
            Stream::LogNormal => lognormal.sample_iter(rng).take(n).collect(),
            Stream::Pareto => Pareto::new(20.0, 1.5)
                .expect("valid parameters")
                .sample_iter(rng)
                .take(n)
                .collect(),
            Stream::Bimodal => {
                let fast = Normal::new(20.0, 3.0).expect("valid parameters");
                let slow = Normal::new(400.0, 50.0).expect("valid parameters");
                (0..n)
                    .map(|_| {
                        let v: f64 = if rng.gen_bool(0.9) {
                            fast.sample(&mut rng)
                        } else {
                            slow.sample(&mut rng)
                        };
                        v.max(1e-3)
                    })
                    .collect()
            }
            Stream::Exponential => Exp::new(0.01)
                .expect("valid parameters")
                .sample_iter(rng)
                .take(n)
                .collect(),
            Stream::Uniform => (0..n).map(|_| rng.gen_range(1.0..1000.0)).collect(),
            Stream::SortedAscending => {
                let mut v: Vec<f64> = lognormal.sample_iter(rng).take(n).collect();
                v.sort_by(f64::total_cmp);
                v
            }
            Stream::SortedDescending => {
                let mut v: Vec<f64> = lognormal.sample_iter(rng).take(n).collect();
                v.sort_by(|a, b| b.total_cmp(a));
                v
            }
            Stream::Integers => (0..n).map(|_| rng.gen_range(1..=5) as f64).collect(),
        }
    }
}

/// Exact quantiles of a sample, for judging sketches.
///
/// # Examples
///
/// ```
/// use slo_router::workload::ExactQuantiles;
///
/// let exact = ExactQuantiles::new(vec![3.0, 1.0, 2.0, 4.0]);
/// assert_eq!(exact.quantile(0.5), 2.0);
/// assert_eq!(exact.rank_of(2.5), (0.5, 0.5));
/// ```
#[derive(Debug, Clone)]
pub struct ExactQuantiles {
    sorted: Vec<f64>,
}

impl ExactQuantiles {
    /// Sorts `values` (NaN is not expected; it sorts last).
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        ExactQuantiles { sorted: values }
    }

    /// The order statistic at index `⌊q·(n − 1)⌋`. Panics on an empty sample.
    pub fn quantile(&self, q: f64) -> f64 {
        let index = (q * (self.sorted.len() - 1) as f64).floor() as usize;
        self.sorted[index]
    }

    /// The fractions of the sample strictly below and at or below `value`.
    pub fn rank_of(&self, value: f64) -> (f64, f64) {
        let n = self.sorted.len() as f64;
        let below = self.sorted.partition_point(|&v| v < value) as f64;
        let at_or_below = self.sorted.partition_point(|&v| v <= value) as f64;
        (below / n, at_or_below / n)
    }

    /// How far `estimate` is from quantile `q` in rank: zero when `q` lies between the
    /// fractions below and at or below `estimate` (ties are given the benefit).
    pub fn rank_error(&self, q: f64, estimate: f64) -> f64 {
        let (below, at_or_below) = self.rank_of(estimate);
        if q < below {
            below - q
        } else if q > at_or_below {
            q - at_or_below
        } else {
            0.0
        }
    }

    /// `|estimate − exact| / exact` at quantile `q`.
    pub fn relative_error(&self, q: f64, estimate: f64) -> f64 {
        let exact = self.quantile(q);
        (estimate - exact).abs() / exact.abs()
    }

    /// The sorted sample.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }
}
