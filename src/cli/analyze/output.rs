//! The analysis results and their three formats: table, JSON (stable, documented in
//! the README) and CSV.

use std::io::{self, Write};

use serde::Serialize;
use slo_router::sketch::QuantileSketch;
use slo_router::slo::{
    ComplianceLevel, LatencyObservation, LatencySlo, SloCompliance, SloFactorConfig,
};
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
        // Compliance reads the percentiles and the count only; a log has no target ids
        // or engine times, so those fields are placeholders.
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
        let compliance = SloCompliance::evaluate(&observation, slo, &SloFactorConfig::default())
            .map(|c: SloCompliance| Compliance {
                composite: c.composite,
                level: level_name(c.level),
                routing_factor: c.routing_factor,
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

/// Prints the results as they are known: the last window's keys at the end, or each
/// `--every` interval as soon as it closes, so a time series of any length takes
/// constant memory.
pub(crate) struct Printer<W: Write> {
    out: W,
    format: Format,
    /// Intervals printed so far (`None` before the first, or in last-window mode).
    intervals: Option<usize>,
    /// The table's name column in a time series, fixed by the first interval.
    width: usize,
}

#[derive(Serialize)]
struct WindowJson<'a> {
    targets: &'a [KeyStats],
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

/// Columns of the table's target name: at least this, wider for longer names (in a
/// time series, as wide as the first interval's longest name).
const MIN_TARGET_WIDTH: usize = 8;

impl<W: Write> Printer<W> {
    pub(crate) fn new(out: W, format: Format) -> Self {
        Printer {
            out,
            format,
            intervals: None,
            width: MIN_TARGET_WIDTH,
        }
    }

    /// The last-window report.
    pub(crate) fn window(&mut self, targets: &[KeyStats], skipped_lines: u64) -> io::Result<()> {
        match self.format {
            Format::Json => {
                let json = WindowJson {
                    targets,
                    skipped_lines,
                };
                let text = serde_json::to_string_pretty(&json).map_err(io::Error::other)?;
                writeln!(self.out, "{text}")
            }
            Format::Csv => {
                self.csv_header(false)?;
                targets.iter().try_for_each(|s| self.csv_row(None, s))
            }
            Format::Table => {
                let width = name_width(targets);
                self.table_header(false, width)?;
                targets
                    .iter()
                    .try_for_each(|s| self.table_row(None, s, width))?;
                self.table_footer(skipped_lines)
            }
        }
    }

    /// One closed interval of the time series.
    pub(crate) fn interval(&mut self, interval: &Interval) -> io::Result<()> {
        let first = self.intervals.is_none();
        if first {
            self.width = name_width(&interval.targets);
        }
        let width = self.width;
        match self.format {
            Format::Json => {
                let text = serde_json::to_string_pretty(interval).map_err(io::Error::other)?;
                let indented = text.replace('\n', "\n    ");
                let lead = if first {
                    "{\n  \"intervals\": [\n"
                } else {
                    ",\n"
                };
                write!(self.out, "{lead}    {indented}")?;
            }
            Format::Csv => {
                if first {
                    self.csv_header(true)?;
                }
                for s in &interval.targets {
                    self.csv_row(Some(interval), s)?;
                }
            }
            Format::Table => {
                if first {
                    self.table_header(true, width)?;
                }
                for s in &interval.targets {
                    self.table_row(Some(interval), s, width)?;
                }
            }
        }
        *self.intervals.get_or_insert(0) += 1;
        Ok(())
    }

    /// Ends a time series.
    pub(crate) fn finish_intervals(&mut self, skipped_lines: u64) -> io::Result<()> {
        let none = self.intervals.is_none();
        match self.format {
            Format::Json if none => writeln!(
                self.out,
                "{{\n  \"intervals\": [],\n  \"skipped_lines\": {skipped_lines}\n}}"
            ),
            Format::Json => writeln!(self.out, "\n  ],\n  \"skipped_lines\": {skipped_lines}\n}}"),
            Format::Csv if none => self.csv_header(true),
            Format::Csv => Ok(()),
            Format::Table => {
                if none {
                    self.table_header(true, MIN_TARGET_WIDTH)?;
                }
                self.table_footer(skipped_lines)
            }
        }
    }

    fn csv_header(&mut self, intervals: bool) -> io::Result<()> {
        let prefix = if intervals { "start_ms,end_ms," } else { "" };
        writeln!(
            self.out,
            "{prefix}target,kind,count,p50,p95,p99,p999,mean,max,composite,level,routing_factor"
        )
    }

    fn csv_row(&mut self, interval: Option<&Interval>, s: &KeyStats) -> io::Result<()> {
        if let Some(i) = interval {
            write!(self.out, "{},{},", i.start_ms, i.end_ms)?;
        }
        let (composite, level, factor) = match &s.compliance {
            Some(c) => (
                c.composite.to_string(),
                c.level,
                c.routing_factor.to_string(),
            ),
            None => (String::new(), "", String::new()),
        };
        writeln!(
            self.out,
            "{},{},{},{},{},{},{},{},{},{composite},{level},{factor}",
            csv_field(&s.target),
            s.kind,
            s.count,
            s.p50,
            s.p95,
            s.p99,
            s.p999,
            s.mean,
            s.max
        )
    }

    fn table_header(&mut self, intervals: bool, width: usize) -> io::Result<()> {
        let interval_header = if intervals { "     interval (s) " } else { "" };
        writeln!(
            self.out,
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
        )
    }

    fn table_row(
        &mut self,
        interval: Option<&Interval>,
        s: &KeyStats,
        width: usize,
    ) -> io::Result<()> {
        if let Some(i) = interval {
            write!(
                self.out,
                "{:>8.0}-{:<8.0} ",
                i.start_ms / 1e3,
                i.end_ms / 1e3
            )?;
        }
        write!(
            self.out,
            "{:<width$} {:<9} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            s.target, s.kind, s.count, s.p50, s.p95, s.p99, s.p999, s.mean, s.max
        )?;
        match &s.compliance {
            Some(c) => writeln!(
                self.out,
                "  {:>9.3} {:<10} {:>6.2}",
                c.composite, c.level, c.routing_factor
            ),
            None => writeln!(self.out, "  {:>9} {:<10} {:>6}", "-", "-", "-"),
        }
    }

    /// Writes out what is buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn table_footer(&mut self, skipped_lines: u64) -> io::Result<()> {
        if skipped_lines > 0 {
            writeln!(self.out, "\n{skipped_lines} bad lines skipped")?;
        }
        Ok(())
    }
}

fn name_width(targets: &[KeyStats]) -> usize {
    targets
        .iter()
        .map(|s| s.target.chars().count())
        .max()
        .unwrap_or(0)
        .max(MIN_TARGET_WIDTH)
}
