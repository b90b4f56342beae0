//! `slo-router simulate`, run as a binary: every built-in scenario at a short duration,
//! determinism by seed, custom scenario files, bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn slo_router(args: &[&str], dir: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slo-router"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// A fresh scratch folder per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slo-router-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json_run(dir: &PathBuf, extra: &[&str]) -> Value {
    let mut args = vec!["simulate", "--json", "--no-plot"];
    args.extend_from_slice(extra);
    let out = slo_router(&args, dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn check_report(report: &Value, scenario: &str, seed: u64) {
    assert_eq!(report["scenario"], scenario);
    assert_eq!(report["seed"], seed);
    let policies = report["policies"].as_array().unwrap();
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "round-robin",
            "ad36",
            "peak-ewma",
            "slo-factor",
            "slo-aware"
        ]
    );
    for p in policies {
        let get = |k: &str| p[k].as_f64().unwrap_or_else(|| panic!("{k} in {p}"));
        let (p50, p95, p99, p999) = (get("p50_ms"), get("p95_ms"), get("p99_ms"), get("p999_ms"));
        assert!(0.0 < p50 && p50 <= p95 && p95 <= p99 && p99 <= p999, "{p}");
        for k in ["attainment", "window_attainment"] {
            assert!((0.0..=1.0).contains(&get(k)), "{k} in {p}");
        }
        assert!(get("requests") > 0.0);
    }
}

#[test]
fn every_built_in_scenario_runs_at_a_short_duration() {
    let dir = scratch("scenarios");
    for scenario in ["degraded-dc", "stuck-backend", "wide-spread"] {
        let report = json_run(
            &dir,
            &["--scenario", scenario, "--duration", "20", "--seed", "3"],
        );
        check_report(&report, scenario, 3);
    }
}

#[test]
fn open_loop_policies_see_identical_arrivals() {
    let dir = scratch("arrivals");
    let report = json_run(&dir, &["--scenario", "stuck-backend", "--duration", "10"]);
    let requests: Vec<u64> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .collect();
    assert!(requests.windows(2).all(|w| w[0] == w[1]), "{requests:?}");
    // 1,000 requests/s for 10 s, Poisson: within a few standard deviations of 10,000.
    assert!((9_500..=10_500).contains(&requests[0]), "{requests:?}");
}

#[test]
fn a_seed_makes_a_run_byte_for_byte_reproducible() {
    let dir = scratch("seed");
    let args = [
        "simulate",
        "--scenario",
        "wide-spread",
        "--duration",
        "5",
        "--no-plot",
    ];
    let run = |seed: &str| {
        let mut a = args.to_vec();
        a.extend(["--seed", seed]);
        slo_router(&a, &dir).stdout
    };
    let first = run("7");
    assert!(!first.is_empty());
    assert_eq!(first, run("7"));
    assert_ne!(first, run("8"));
}

#[test]
fn the_plot_is_written_where_the_command_says() {
    let dir = scratch("plot");
    let out = slo_router(
        &[
            "simulate",
            "--scenario",
            "stuck-backend",
            "--duration",
            "5",
            "--out",
            "plots",
        ],
        &dir,
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("plot: "))
        .expect("a plot line");
    let path = dir.join(line.trim_start_matches("plot: "));
    assert!(path.starts_with(dir.join("plots")));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("slo-aware"));
}

#[test]
fn the_default_run_needs_no_arguments() {
    let dir = scratch("default");
    let out = slo_router(&[], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("scenario degraded-dc · seed 42"),
        "{stdout}"
    );
    assert!(stdout.contains("slo-aware"));
    assert!(dir.join("slo-router-out/degraded-dc-seed42.svg").exists());
}

const CUSTOM: &str = r#"
name = "two-dcs"
duration_s = 10

[slo]
p50_ms = 40
p95_ms = 80
p99_ms = 150

[load]
rate_per_s = 300

[[targets]]
name = "near"
rtt_ms = 5
servers = 16
queue_limit = 100
service = { median_ms = 20, sigma = 0.3 }

[[targets]]
name = "far"
rtt_ms = 40
servers = 16
service = { median_ms = 20, sigma = 0.3 }

[[incidents]]
target = "near"
start_s = 3
duration_s = 4
stuck_ms = 500
"#;

#[test]
fn custom_scenarios_are_read_from_toml() {
    let dir = scratch("custom");
    std::fs::write(dir.join("two.toml"), CUSTOM).unwrap();
    let report = json_run(&dir, &["--scenario-file", "two.toml"]);
    check_report(&report, "two-dcs", 42);
}

#[test]
fn latencies_of_hours_do_not_break_a_run() {
    // Requests to `near` take two hours during the incident: beyond the engine's default
    // maximum latency, and every one is still answered and counted.
    let dir = scratch("hours");
    let text = CUSTOM
        .replace("stuck_ms = 500", "stuck_ms = 7200000")
        .replace("duration_s = 10", "duration_s = 4");
    std::fs::write(dir.join("hours.toml"), text).unwrap();
    let report = json_run(
        &dir,
        &[
            "--scenario-file",
            "hours.toml",
            "--policies",
            "round-robin,slo-aware",
        ],
    );
    for p in report["policies"].as_array().unwrap() {
        assert!(p["p999_ms"].as_f64().unwrap() >= 7_200_000.0, "{p}");
        assert!(p["requests"].as_u64().unwrap() > 1000);
    }
}

#[test]
fn bad_scenarios_get_one_clear_line() {
    let dir = scratch("bad");
    let cases = [
        (CUSTOM.replace("rtt_ms = 40", "rtt_ms = -1"), "rtt_ms"),
        (
            CUSTOM.replace("servers = 16\nservice", "servers = 0\nservice"),
            "servers = 0",
        ),
        (
            CUSTOM.replace("target = \"near\"", "target = \"nowhere\""),
            "unknown target 'nowhere'",
        ),
        (
            CUSTOM.replace("rtt_ms = 5", "rtt_ms = 5\ncolour = 1"),
            "unknown field",
        ),
        (
            CUSTOM.replace("stuck_ms = 500", "stuck_ms = 500\nservice_multiplier = 2"),
            "exactly one",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.join("bad.toml"), &text).unwrap();
        let out = slo_router(
            &["simulate", "--scenario-file", "bad.toml", "--no-plot"],
            &dir,
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success());
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    for args in [
        vec!["simulate", "--scenario", "nope"],
        vec!["simulate", "--scenario-file", "missing.toml"],
        vec!["simulate", "--duration=-5", "--no-plot"],
    ] {
        let out = slo_router(&args, &dir);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.starts_with("error"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn the_request_cap_stops_arrivals_and_says_so() {
    let dir = scratch("cap");
    let out = slo_router(
        &[
            "simulate",
            "--scenario",
            "wide-spread",
            "--json",
            "--no-plot",
            "--policies",
            "slo-aware",
            "--max-requests",
            "5000",
        ],
        &dir,
    );
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["policies"][0]["requests"], 5000);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("note: slo-aware reached 5000 requests"),
        "{stderr}"
    );
}
