//! `slo-router analyze`, run as a binary: statistics against exact answers, CSV and JSON
//! lines, time series, bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("slo-router-analyze-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn analyze(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slo-router"))
        .arg("analyze")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The command may exit before reading its input (a missing file): a closed pipe
    // here is not an error of the test.
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes());
    child.wait_with_output().unwrap()
}

/// 3,000 rows: target `a` e2e latencies 1..=2000 ms at 1 ms steps in time, and target
/// `b` network latencies.
fn rows() -> Vec<(f64, &'static str, &'static str, f64)> {
    let mut rows = Vec::new();
    for i in 0..2000 {
        rows.push((i as f64 * 100.0, "a", "e2e", (i * 7919 % 2000 + 1) as f64));
    }
    for i in 0..1000 {
        rows.push((
            i as f64 * 100.0 + 50.0,
            "b",
            "network",
            10.0 + (i % 10) as f64,
        ));
    }
    rows
}

fn write_csv(path: &Path) {
    let mut text = String::from("timestamp_ms,target,kind,latency_ms\n");
    for (t, target, kind, ms) in rows() {
        text.push_str(&format!("{t},{target},{kind},{ms}\n"));
    }
    std::fs::write(path, text).unwrap();
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn statistics_match_the_exact_answers() {
    let dir = scratch("exact");
    let csv = dir.join("log.csv");
    write_csv(&csv);
    // A window longer than the log: every row counts.
    let report = json(&analyze(
        &[csv.to_str().unwrap(), "--format", "json", "--window", "1h"],
        None,
    ));
    assert_eq!(report["skipped_lines"], 0);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    let a = &targets[0];
    assert_eq!(
        (a["target"].as_str(), a["kind"].as_str()),
        (Some("a"), Some("e2e"))
    );
    assert_eq!(a["count"], 2000);
    assert_eq!(a["max"], 2000.0);
    assert_eq!(a["mean"], 1000.5);
    // Exact order statistics of 1..=2000, against the digest's.
    for (key, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)] {
        let exact = q * 2000.0;
        let got = a[key].as_f64().unwrap();
        assert!(
            (got - exact).abs() <= 0.01 * exact,
            "{key}: {got} vs {exact}"
        );
    }
    let compliance = &a["compliance"];
    assert_eq!(compliance["level"], "critical"); // p95 1,900 ms against 200 ms
    let b = &targets[1];
    assert_eq!(b["kind"], "network");
    assert_eq!(b["compliance"]["level"], "exceeding");
    assert_eq!(b["count"], 1000);
}

#[test]
fn the_window_is_the_end_of_the_log() {
    let dir = scratch("window");
    let csv = dir.join("log.csv");
    write_csv(&csv);
    // The log spans 200 s; the last 60 s hold a's last 600 rows (to a sub-window: 2 s).
    let report = json(&analyze(
        &[csv.to_str().unwrap(), "--format", "json", "--window", "60s"],
        None,
    ));
    let count = report["targets"][0]["count"].as_u64().unwrap();
    assert!((600..=620).contains(&count), "{count}");
}

#[test]
fn json_lines_and_stdin_give_the_same_answers() {
    let dir = scratch("jsonl");
    let csv = dir.join("log.csv");
    write_csv(&csv);
    let mut lines = String::new();
    for (t, target, kind, ms) in rows() {
        lines.push_str(&format!(
            "{{\"timestamp_ms\": {t}, \"target\": \"{target}\", \"kind\": \"{kind}\", \"latency_ms\": {ms}}}\n"
        ));
    }
    let from_csv = analyze(&[csv.to_str().unwrap(), "--format", "json"], None);
    let from_stdin = analyze(&["-", "--format", "json"], Some(&lines));
    assert_eq!(json(&from_csv), json(&from_stdin));
}

#[test]
fn every_interval_is_a_row_of_the_time_series() {
    let dir = scratch("every");
    let csv = dir.join("log.csv");
    write_csv(&csv);
    let report = json(&analyze(
        &[
            csv.to_str().unwrap(),
            "--format",
            "json",
            "--every",
            "60s",
            "--sketch",
            "ddsketch",
        ],
        None,
    ));
    let intervals = report["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 4); // 0–60, 60–120, 120–180, 180–240 s
    let total: u64 = intervals
        .iter()
        .flat_map(|i| i["targets"].as_array().unwrap())
        .map(|t| t["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 3000, "every row in exactly one interval");
    assert_eq!(intervals[1]["start_ms"], 60_000.0);
}

#[test]
fn csv_and_table_formats_and_every_sketch() {
    let dir = scratch("formats");
    let csv = dir.join("log.csv");
    write_csv(&csv);
    for sketch in ["tdigest", "ddsketch", "hdr"] {
        let out = analyze(
            &[csv.to_str().unwrap(), "--format", "csv", "--sketch", sketch],
            None,
        );
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("target,kind,count,p50,p95,p99,p999,mean,max,composite,level,routing_factor")
        );
        assert_eq!(lines.count(), 2, "{sketch}");
    }
    let out = analyze(&[csv.to_str().unwrap()], None);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().next().unwrap().contains("p99.9 ms"));
}

const BAD: &str = "timestamp_ms,target,kind,latency_ms\n1,a,e2e,5\n2,a,e2e,abc\n3,b,network,-4\n4,b,bogus,1\n5,a,e2e\n6,a,e2e,7\n";

#[test]
fn a_bad_line_stops_with_its_number() {
    let out = analyze(&["-"], Some(BAD));
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: line 3: latency_ms: 'abc' is not a number"),
        "{stderr}"
    );
}

#[test]
fn skipped_lines_are_counted_and_reported() {
    let out = analyze(&["-", "--skip-bad", "--format", "json"], Some(BAD));
    let report = json(&out);
    assert_eq!(report["skipped_lines"], 4);
    assert_eq!(report["targets"][0]["count"], 2);
    let stderr = String::from_utf8(out.stderr).unwrap();
    for needle in [
        "line 3:",
        "line 4: latency_ms",
        "line 5: kind: 'bogus'",
        "line 6: expected 4 columns",
    ] {
        assert!(stderr.contains(needle), "{needle} not in {stderr}");
    }
}

#[test]
fn missing_files_and_columns_are_one_line_errors() {
    for (args, stdin, expected) in [
        (
            vec!["/no/such/file.csv"],
            None,
            "cannot open /no/such/file.csv",
        ),
        (
            vec!["-"],
            Some("timestamp_ms,target,latency_ms\n1,a,2\n"),
            "missing column 'kind'",
        ),
        (vec!["-"], Some(""), "empty input"),
        (vec!["-", "--slo", "p97=3"], Some(BAD), "unknown percentile"),
    ] {
        let out = analyze(&args, stdin);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(expected), "{expected} not in {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}
