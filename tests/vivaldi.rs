//! Vivaldi coordinates against Serf's own acceptance bounds and the host system's.

use std::time::Duration;

use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, Normal};
use slo_router::vivaldi::{Coordinate, VivaldiClient, VivaldiConfig, VivaldiError, quality};

/// Serf's `Simulate`: every cycle, every node measures one random other node.
fn simulate(clients: &mut [VivaldiClient], truth: &[Vec<Duration>], cycles: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = clients.len();
    for _ in 0..cycles {
        for i in 0..n {
            let j = rng.gen_range(0..n);
            if j != i {
                let other = *clients[j].coordinate();
                clients[i].update(j as u64, &other, truth[i][j]).unwrap();
            }
        }
    }
}

/// Serf's `Evaluate`: average and maximum relative error over every pair.
fn evaluate(clients: &[VivaldiClient], truth: &[Vec<Duration>]) -> (f64, f64) {
    let (mut sum, mut max, mut count) = (0.0, 0.0f64, 0);
    for i in 0..clients.len() {
        for j in i + 1..clients.len() {
            let estimate = clients[i]
                .coordinate()
                .estimate_rtt(clients[j].coordinate());
            let actual = truth[i][j].as_secs_f64();
            let error = (estimate.as_secs_f64() - actual).abs() / actual;
            sum += error;
            max = max.max(error);
            count += 1;
        }
    }
    (sum / count as f64, max)
}

fn clients(n: usize) -> Vec<VivaldiClient> {
    (0..n).map(|i| VivaldiClient::new(i as u64 + 1)).collect()
}

#[test]
fn a_ten_node_line_converges() {
    let n = 10;
    let spacing = Duration::from_millis(10);
    let truth: Vec<Vec<Duration>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| spacing * (i as i64 - j as i64).unsigned_abs() as u32)
                .collect()
        })
        .collect();
    let mut nodes = clients(n);
    simulate(&mut nodes, &truth, 1000, 1);
    let (average, max) = evaluate(&nodes, &truth);
    // Serf's own bounds for this test are 0.18 % average and 0.92 % maximum.
    assert!(average <= 0.0018, "average error {average}, max {max}");
    assert!(max <= 0.0092, "average error {average}, max {max}");
}

/// `n` nodes with random RTTs of 100 ± 10 ms (Serf's `GenerateRandom`): pairs drawn in
/// row order, the matrix symmetric.
fn random_truth(n: usize) -> Vec<Vec<Duration>> {
    let mut rng = StdRng::seed_from_u64(1);
    let normal = Normal::new(0.100f64, 0.010).unwrap();
    let pairs: Vec<Duration> = (0..n * (n - 1) / 2)
        .map(|_| Duration::from_secs_f64(normal.sample(&mut rng).max(0.001)))
        .collect();
    let pair = |i: usize, j: usize| i * n - i * (i + 1) / 2 + (j - i - 1);
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| match i.cmp(&j) {
                    std::cmp::Ordering::Less => pairs[pair(i, j)],
                    std::cmp::Ordering::Greater => pairs[pair(j, i)],
                    std::cmp::Ordering::Equal => Duration::ZERO,
                })
                .collect()
        })
        .collect()
}

/// Serf's `TestPerformance_Random`: 25 nodes, 1,000 cycles, ≤ 7.5 % average and ≤ 33 %
/// maximum error.
#[test]
fn twenty_five_random_nodes_converge_within_serfs_bounds() {
    let truth = random_truth(25);
    let mut nodes = clients(25);
    simulate(&mut nodes, &truth, 1000, 2);
    let (average, max) = evaluate(&nodes, &truth);
    assert!(average <= 0.075, "average error {average}");
    assert!(max <= 0.33, "max error {max}");
}

/// With 100 nodes random RTTs (which break the triangle inequality) embed worse in 8
/// dimensions: measured 8.5 % average and 46 % maximum after 1,000 cycles, and no better
/// after 10,000. The bound asserted is the measured one with a margin, not Serf's: see
/// the README.
#[test]
fn a_hundred_random_nodes_converge_to_the_measured_bound() {
    let truth = random_truth(100);
    let mut nodes = clients(100);
    simulate(&mut nodes, &truth, 1000, 2);
    let (average, max) = evaluate(&nodes, &truth);
    assert!(average <= 0.09, "average error {average}");
    assert!(max <= 0.50, "max error {max}");
}

#[test]
fn a_pair_at_fifty_ms_converges_in_forty_rounds_with_a_tight_ucb() {
    let rtt = Duration::from_millis(50);
    let (mut a, mut b) = (VivaldiClient::new(1), VivaldiClient::new(2));
    for _ in 0..40 {
        let (ca, cb) = (*a.coordinate(), *b.coordinate());
        a.update(2, &cb, rtt).unwrap();
        b.update(1, &ca, rtt).unwrap();
    }
    let estimate = a.coordinate().estimate_rtt(b.coordinate()).as_secs_f64() * 1e3;
    assert!((estimate - 50.0).abs() <= 1.0, "estimate {estimate} ms");
    let ucb = a.rtt_ucb_ms(b.coordinate());
    assert!((0.98 * 50.0..=1.1 * 50.0).contains(&ucb), "ucb {ucb} ms");
    let routing = a.rtt_estimate(2, b.coordinate(), Duration::from_secs(1));
    assert_eq!(routing.rtt_ucb_ms, ucb);
    assert_eq!(routing.quality, 1.0);
}

#[test]
fn malformed_input_is_refused_and_changes_nothing() {
    let mut a = VivaldiClient::new(1);
    let mut peer = Coordinate::new(&VivaldiConfig::default());
    let before = *a.coordinate();
    for rtt in [Duration::ZERO, Duration::from_secs(11)] {
        assert_eq!(a.update(2, &peer, rtt), Err(VivaldiError::InvalidRtt(rtt)));
    }
    peer.vec[0] = f64::NAN;
    assert_eq!(
        a.update(2, &peer, Duration::from_millis(5)),
        Err(VivaldiError::InvalidCoordinate)
    );
    peer.vec[0] = 0.0;
    peer.height = f64::INFINITY;
    assert!(a.update(2, &peer, Duration::from_millis(5)).is_err());
    assert_eq!(*a.coordinate(), before);
    assert_eq!(a.sample_count(2), 0);
}

#[test]
fn ucb_is_clamped_and_quality_follows_its_formula() {
    let a = VivaldiClient::new(1);
    let near = Coordinate::new(&VivaldiConfig::default());
    assert_eq!(a.rtt_ucb_ms(&near), 1.0); // 20 µs of heights: clamped up to 1 ms
    let mut far = near;
    far.vec[0] = 100.0;
    assert_eq!(a.rtt_ucb_ms(&far), 10_000.0);
    assert_eq!(quality(0, 1.0, Duration::ZERO), 0.0);
    assert_eq!(quality(20, 0.5, Duration::from_secs(300)), 1.0);
    assert!((quality(3, 80.0, Duration::from_secs(900)) - 0.3 * 0.25 / 3.0).abs() < 1e-12);
}
