//! The analysis results and their three formats: table, JSON (stable, documented in
//! the README) and CSV.

use std::io::Write;

use serde::Serialize;
use slo_router::sketch::QuantileSketch;
use slo_router::slo::{ComplianceLevel, LatencyObservation, LatencySlo, SloCompliance};
use slo_router::target::TargetId;
use slo_router::window::{LatencyKind, Timestamp};

use super::Format;

/// Compliance against the `--slo` targets.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Compliance {
    composite: f64,
    level: &'static str,
    routing_factor: f64,
}

/// One (target, kind).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct KeyStats {
    target: String,
    kind: &'static str,
    count: u64,
    p50: f64,
    p95: f64,
    p99: f64,
    p999: f64,
    mean: f64,
    max: f64,
    compliance: Option<Compliance>,
}

fn kind_name(kind: LatencyKind) -> &'static str {
    match kind {
        LatencyKind::Dispatch => "dispatch",
        LatencyKind::Response => "response",
        LatencyKind::EndToEnd => "e2e",
        LatencyKind::Network => "network",
    }
}

fn level_name(level: ComplianceLevel) -> &'static str {
    match level {
        ComplianceLevel::Exceeding => "exceeding",
        ComplianceLevel::Meeting => "meeting",
        ComplianceLevel::Warning => "warning",
        ComplianceLevel::Violating => "violating",
        ComplianceLevel::Critical => "critical",
    }
}

impl KeyStats {
    /// The statistics of a non-empty sketch.
    pub(crate) fn of<S: QuantileSketch>(
        target: &str,
        kind: LatencyKind,
        sketch: &S,
        slo: &LatencySlo,
    ) -> KeyStats {
        let mut q = [None; 4];
        sketch.quantiles(&[0.5, 0.95, 0.99, 0.999], &mut q);
        let [p50, p95, p99, p999] = q.map(|v| v.unwrap_or(0.0));
        let count = sketch.count();
        let mean = sketch.mean().unwrap_or(0.0);
        let observation = LatencyObservation {
            target: TargetId::from_index(0),
            kind,
            p50,
            p95,
            p99,
            mean,
            count,
            window_start: Timestamp::ZERO,
            window_end: Timestamp::ZERO,
            newest_sample: Timestamp::ZERO,
        };
        let compliance =
            SloCompliance::evaluate(&observation, slo, &super::factor()).map(|c: SloCompliance| {
                Compliance {
                    composite: c.composite,
                    level: level_name(c.level),
                    routing_factor: c.routing_factor,
                }
            });
        KeyStats {
            target: target.to_owned(),
            kind: kind_name(kind),
            count,
            p50,
            p95,
            p99,
            p999,
            mean,
            max: sketch.max().unwrap_or(0.0),
            compliance,
        }
    }
}

/// One `--every` interval.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Interval {
    pub(crate) start_ms: f64,
    pub(crate) end_ms: f64,
    pub(crate) targets: Vec<KeyStats>,
}

/// Everything `analyze` prints.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// The last window's keys (without `--every`).
    pub(crate) window: Option<Vec<KeyStats>>,
    /// The time series (with `--every`).
    pub(crate) intervals: Vec<Interval>,
    pub(crate) skipped_lines: u64,
}

#[derive(Serialize)]
struct WindowJson<'a> {
    targets: &'a [KeyStats],
    skipped_lines: u64,
}

#[derive(Serialize)]
struct IntervalsJson<'a> {
    intervals: &'a [Interval],
    skipped_lines: u64,
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

impl Report {
    pub(crate) fn write(&self, out: &mut impl Write, format: Format) -> std::io::Result<()> {
        match format {
            Format::Json => {
                let text = match &self.window {
                    Some(targets) => serde_json::to_string_pretty(&WindowJson {
                        targets,
                        skipped_lines: self.skipped_lines,
                    }),
                    None => serde_json::to_string_pretty(&IntervalsJson {
                        intervals: &self.intervals,
                        skipped_lines: self.skipped_lines,
                    }),
                }
                .map_err(std::io::Error::other)?;
                writeln!(out, "{text}")
            }
            Format::Csv => {
                let prefix = if self.window.is_some() {
                    ""
                } else {
                    "start_ms,end_ms,"
                };
                writeln!(
                    out,
                    "{prefix}target,kind,count,p50,p95,p99,p999,mean,max,composite,level,routing_factor"
                )?;
                for (interval, stats) in self.rows() {
                    if let Some(i) = interval {
                        write!(out, "{},{},", i.start_ms, i.end_ms)?;
                    }
                    let (composite, level, factor) = match &stats.compliance {
                        Some(c) => (
                            c.composite.to_string(),
                            c.level,
                            c.routing_factor.to_string(),
                        ),
                        None => (String::new(), "", String::new()),
                    };
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{},{},{},{composite},{level},{factor}",
                        csv_field(&stats.target),
                        stats.kind,
                        stats.count,
                        stats.p50,
                        stats.p95,
                        stats.p99,
                        stats.p999,
                        stats.mean,
                        stats.max
                    )?;
                }
                Ok(())
            }
            Format::Table => self.write_table(out),
        }
    }

    fn rows(&self) -> Vec<(Option<&Interval>, &KeyStats)> {
        match &self.window {
            Some(targets) => targets.iter().map(|s| (None, s)).collect(),
            None => self
                .intervals
                .iter()
                .flat_map(|i| i.targets.iter().map(move |s| (Some(i), s)))
                .collect(),
        }
    }

    fn write_table(&self, out: &mut impl Write) -> std::io::Result<()> {
        let rows = self.rows();
        let width = rows
            .iter()
            .map(|(_, s)| s.target.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let interval_header = if self.window.is_some() {
            ""
        } else {
            "     interval (s) "
        };
        writeln!(
            out,
            "{interval_header}{:<width$} {:<9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {:>9} {:<10} {:>6}",
            "target",
            "kind",
            "count",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "p99.9 ms",
            "mean ms",
            "max ms",
            "composite",
            "level",
            "factor"
        )?;
        for (interval, s) in rows {
            if let Some(i) = interval {
                write!(out, "{:>8.0}-{:<8.0} ", i.start_ms / 1e3, i.end_ms / 1e3)?;
            }
            write!(
                out,
                "{:<width$} {:<9} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                s.target, s.kind, s.count, s.p50, s.p95, s.p99, s.p999, s.mean, s.max
            )?;
            match &s.compliance {
                Some(c) => writeln!(
                    out,
                    "  {:>9.3} {:<10} {:>6.2}",
                    c.composite, c.level, c.routing_factor
                )?,
                None => writeln!(out, "  {:>9} {:<10} {:>6}", "-", "-", "-")?,
            }
        }
        if self.skipped_lines > 0 {
            writeln!(out, "\n{} bad lines skipped", self.skipped_lines)?;
        }
        Ok(())
    }
}
