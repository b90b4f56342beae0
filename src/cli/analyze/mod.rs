//! `slo-router analyze FILE`: percentiles and SLO compliance per (target, kind) of a
//! latency log, streamed in constant memory per key.

mod input;
mod output;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Duration;

use clap::{Args, ValueEnum};
use slo_router::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};
use slo_router::slo::LatencySlo;
use slo_router::window::{LatencyKind, Timestamp, WindowConfig, WindowedSketch};

use input::{LogReader, Row};
use output::{Interval, KeyStats, Printer};

/// Options of `analyze`.
#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// The latency log: CSV with header timestamp_ms,target,kind,latency_ms, or JSON
    /// lines with those keys (detected from the first line); `-` reads stdin.
    file: String,
    /// The SLO targets in milliseconds.
    #[arg(long, default_value = "p50=50,p95=200,p99=500", value_parser = parse_slo)]
    slo: LatencySlo,
    /// Report over the last WINDOW of the log (ending at its newest timestamp), e.g.
    /// 300s, 5m, 1h, 500ms, at most 30 days. Rounded to 1/30 of the window.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    window: Duration,
    /// Instead, report every interval of this length as a time series.
    #[arg(long, value_parser = parse_duration, conflicts_with = "window")]
    every: Option<Duration>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The sketch that summarises each key.
    #[arg(long, value_enum, default_value_t = SketchKind::Tdigest)]
    sketch: SketchKind,
    /// Count bad lines (reported on stderr and in skipped_lines) instead of stopping at
    /// the first.
    #[arg(long)]
    skip_bad: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SketchKind {
    Tdigest,
    Ddsketch,
    Hdr,
}

/// `p50=50,p95=200,p99=500` (any subset; the rest keep these defaults).
fn parse_slo(text: &str) -> Result<LatencySlo, String> {
    let mut builder = LatencySlo::builder();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}': want NAME=MS, e.g. p95=200"))?;
        let ms: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("'{value}' is not a number of milliseconds"))?;
        builder = match name.trim() {
            "p50" => builder.p50_target_ms(ms),
            "p95" => builder.p95_target_ms(ms),
            "p99" => builder.p99_target_ms(ms),
            other => return Err(format!("unknown percentile '{other}' (want p50, p95, p99)")),
        };
    }
    builder.build().map_err(|e| e.to_string())
}

/// `300s`, `5m`, `1h`, `2d`, `250ms`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}': want a duration like 300s, 5m, 1h or 250ms"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1e3,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => return Err(format!("'{text}': unknown unit '{unit}' (ms, s, m, h, d)")),
    };
    if !(seconds > 0.0 && seconds <= 366.0 * 86_400.0) {
        return Err(format!(
            "'{text}': want a duration above zero and at most a year"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs the analysis and prints it.
pub(crate) fn run(args: AnalyzeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let input: Box<dyn BufRead> = if args.file == "-" {
        Box::new(BufReader::with_capacity(1 << 16, std::io::stdin().lock()))
    } else {
        let file = File::open(&args.file).map_err(|e| format!("cannot open {}: {e}", args.file))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let mut printer = Printer::new(BufWriter::new(std::io::stdout().lock()), args.format);
    match args.sketch {
        SketchKind::Tdigest => analyze(input, &args, TDigest::default(), &mut printer),
        SketchKind::Ddsketch => analyze(input, &args, DDSketch::default(), &mut printer),
        SketchKind::Hdr => analyze(input, &args, HdrSketch::default(), &mut printer),
    }
}

/// Sub-windows per reporting window: the window's edges are exact to 1/30 of it.
const SUB_WINDOWS: u32 = 30;
/// Skipped lines reported one by one on stderr before only the total is.
const SHOWN_SKIPS: u64 = 20;

/// Per (target, kind): a window ring (last-window mode) or the open interval's sketch.
enum KeyState<S: QuantileSketch> {
    Window(WindowedSketch<S>),
    Interval(S),
}

fn analyze<S: QuantileSketch, W: Write>(
    input: impl BufRead,
    args: &AnalyzeArgs,
    template: S,
    printer: &mut Printer<W>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut reader = LogReader::new(input)?;
    let mut targets: HashMap<Box<str>, usize> = HashMap::new();
    let mut names: Vec<Box<str>> = Vec::new();
    let mut keys: Vec<Option<KeyState<S>>> = Vec::new();
    let mut skipped_lines = 0u64;
    let window_config = WindowConfig::new(args.window / SUB_WINDOWS, SUB_WINDOWS as usize + 1)
        .map_err(|_| "--window: at most 30 days")?;
    let every_ms = args.every.map(|d| d.as_secs_f64() * 1e3);
    let mut interval_start: Option<f64> = None;
    let mut newest_ms = 0.0f64;

    loop {
        let row: Row<'_> = match reader.next_row() {
            None => break,
            Some(Ok(row)) => row,
            Some(Err(e)) => {
                let line = reader.line_number;
                if !args.skip_bad {
                    return Err(format!(
                        "line {line}: {e} (use --skip-bad to count and skip such lines)"
                    )
                    .into());
                }
                skipped_lines += 1;
                if skipped_lines <= SHOWN_SKIPS {
                    eprintln!("line {line}: {e} (skipped)");
                }
                continue;
            }
        };
        if let Some(every) = every_ms {
            // Tumbling intervals: print every interval the log has moved past.
            let start = *interval_start.get_or_insert((row.timestamp_ms / every).floor() * every);
            if row.timestamp_ms >= start + every {
                printer.interval(&close_interval(start, every, &names, &mut keys, args))?;
                interval_start = Some((row.timestamp_ms / every).floor() * every);
            }
        }
        let target = match targets.get(row.target) {
            Some(&t) => t,
            None => {
                let t = names.len();
                names.push(row.target.into());
                targets.insert(row.target.into(), t);
                keys.resize_with(keys.len() + 4, || None);
                t
            }
        };
        let key = &mut keys[target * 4 + row.kind.index()];
        let state = key.get_or_insert_with(|| match every_ms {
            Some(_) => KeyState::Interval(template.clone()),
            None => KeyState::Window(WindowedSketch::new(window_config, template.clone())),
        });
        match state {
            KeyState::Interval(sketch) => sketch.add(row.latency_ms),
            KeyState::Window(ring) => {
                let at = Timestamp::from_nanos((row.timestamp_ms * 1e6) as u64);
                // Older than the ring: outside the last window, now and at the end.
                let _ = ring.record(at, row.latency_ms);
            }
        }
        newest_ms = newest_ms.max(row.timestamp_ms);
    }
    if skipped_lines > SHOWN_SKIPS {
        eprintln!("{skipped_lines} bad lines skipped in all");
    }
    match every_ms {
        Some(every) => {
            if let Some(start) = interval_start {
                printer.interval(&close_interval(start, every, &names, &mut keys, args))?;
            }
            printer.finish_intervals(skipped_lines)?;
        }
        None => {
            let now = Timestamp::from_nanos((newest_ms * 1e6) as u64);
            let mut entries = Vec::new();
            for (index, key) in keys.iter_mut().enumerate() {
                if let Some(KeyState::Window(ring)) = key {
                    ring.advance(now);
                    let coverage = ring.merged(now, args.window);
                    if coverage.sketch.count() > 0 {
                        entries.push(KeyStats::of(
                            &names[index / 4],
                            LatencyKind::ALL[index % 4],
                            &coverage.sketch,
                            &args.slo,
                        ));
                    }
                }
            }
            printer.window(&entries, skipped_lines)?;
        }
    }
    printer.flush()?;
    Ok(())
}

/// The statistics of the interval starting at `start_ms`; its sketches are emptied for
/// the next one.
fn close_interval<S: QuantileSketch>(
    start_ms: f64,
    every_ms: f64,
    names: &[Box<str>],
    keys: &mut [Option<KeyState<S>>],
    args: &AnalyzeArgs,
) -> Interval {
    let mut targets = Vec::new();
    for (index, key) in keys.iter_mut().enumerate() {
        if let Some(KeyState::Interval(sketch)) = key {
            if sketch.count() > 0 {
                targets.push(KeyStats::of(
                    &names[index / 4],
                    LatencyKind::ALL[index % 4],
                    sketch,
                    &args.slo,
                ));
                sketch.clear();
            }
        }
    }
    Interval {
        start_ms,
        end_ms: start_ms + every_ms,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_slos_parse() {
        assert_eq!(parse_duration("300s"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        let slo = parse_slo("p95=150").unwrap();
        assert_eq!((slo.p50_target_ms(), slo.p95_target_ms()), (50.0, 150.0));
        assert!(parse_slo("p97=1").is_err());
        assert!(parse_slo("p95=abc").is_err());
    }
}
