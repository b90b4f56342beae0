//! `slo-router accuracy`, run as a binary: every sketch's row, errors within the bounds
//! the accuracy suite asserts.

use std::process::Command;

#[test]
fn the_accuracy_report_lists_every_sketch_within_its_bound() {
    let out = Command::new(env!("CARGO_BIN_EXE_slo-router"))
        .arg("accuracy")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (sketch, bound_percent) in [("TDigest", 1.0), ("DDSketch", 1.0), ("HdrSketch", 0.1)] {
        let row = text
            .lines()
            .find(|l| l.starts_with(sketch))
            .unwrap_or_else(|| panic!("no {sketch} row in {text}"));
        // Each cell ends with "(E%)": the relative error against the exact quantile.
        let errors: Vec<f64> = row
            .split('(')
            .skip(2) // the name's own parenthesis
            .map(|cell| cell.split('%').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(errors.len(), 4, "{row}");
        assert!(errors.iter().all(|e| e.abs() <= bound_percent), "{row}");
    }
}
