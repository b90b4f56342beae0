//! `slo-router simulate`: routing policies compared on identical requests, through the
//! real engine in manual mode.

mod metrics;
mod model;
mod plot;
mod policy;
mod scenario;

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use metrics::{PolicyResult, Recorded};
use model::{RequestStream, Simulation};
use policy::{Policy, PolicyKind};
use scenario::Scenario;

/// Options of `simulate`.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Built-in scenario: degraded-dc, stuck-backend or wide-spread.
    #[arg(long, default_value = "degraded-dc", conflicts_with = "scenario_file")]
    scenario: String,
    /// A custom scenario in TOML (see the README for the format).
    #[arg(long, value_name = "FILE")]
    scenario_file: Option<PathBuf>,
    /// Seed of the request stream and the policies' random choices: equal seeds give
    /// byte-for-byte equal output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Override the scenario's duration, in seconds (incidents keep their times).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Policies to compare, comma-separated (default: all five).
    #[arg(long, value_enum, value_delimiter = ',')]
    policies: Vec<PolicyKind>,
    /// Print the results as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Folder for the SVG plot.
    #[arg(long, value_name = "DIR", default_value = "slo-router-out")]
    out: PathBuf,
    /// Do not write the plot.
    #[arg(long)]
    no_plot: bool,
    /// Stop a policy's arrivals after this many requests (a memory bound: ~40 bytes
    /// each); a note on stderr says when it happens.
    #[arg(long, default_value_t = 20_000_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_requests: u32,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    scenario: &'a str,
    seed: u64,
    policies: &'a [PolicyResult],
}

/// Runs the comparison and prints it; errors are for `main` to report.
pub(crate) fn run(args: SimulateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut scenario = match &args.scenario_file {
        Some(path) => Scenario::from_file(path)?,
        None => Scenario::built_in(&args.scenario)?,
    };
    if let Some(duration) = args.duration {
        scenario.duration_s = duration;
    }
    scenario.validate()?;
    let kinds = if args.policies.is_empty() {
        PolicyKind::ALL.to_vec()
    } else {
        args.policies.clone()
    };

    let end_ms = (scenario.duration_s * 1e3) as u64;
    let bar = ProgressBar::new(end_ms * kinds.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {percent:>3}% of virtual time")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let mut results = Vec::with_capacity(kinds.len());
    for (i, &kind) in kinds.iter().enumerate() {
        bar.set_message(kind.name());
        let mut recorded = Recorded::new(scenario.targets.len());
        let stream = RequestStream::new(&scenario, args.seed);
        let policy = Policy::new(kind, &scenario, args.seed ^ 0x5EED_0F70_11C1);
        let done_before = end_ms * i as u64;
        let max_requests = args.max_requests as usize;
        let capped = Simulation::new(&scenario, max_requests, stream, policy, &mut recorded)
            .run(|now_ns| bar.set_position(done_before + now_ns / 1_000_000));
        if let Some(at_s) = capped {
            bar.suspend(|| {
                eprintln!(
                    "note: {} reached {} requests at {at_s:.1} s of virtual time; \
                     arrivals stopped there",
                    kind.name(),
                    args.max_requests
                )
            });
        }
        results.push(recorded.summarize(kind.name(), &scenario));
    }
    bar.finish_and_clear();

    let mut out = std::io::stdout().lock();
    if args.json {
        let report = JsonReport {
            scenario: &scenario.name,
            seed: args.seed,
            policies: &results,
        };
        // Serialised first, so a closed pipe surfaces as an I/O error of the write.
        let text = serde_json::to_string_pretty(&report)?;
        writeln!(out, "{text}")?;
    } else {
        print_tables(&mut out, &scenario, args.seed, &results)?;
    }
    if !args.no_plot {
        std::fs::create_dir_all(&args.out)
            .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
        let path = args
            .out
            .join(format!("{}-seed{}.svg", scenario.name, args.seed));
        plot::write_svg(&path, &scenario, &results)?;
        // The plot's path goes to stderr with --json, so stdout stays valid JSON.
        if args.json {
            eprintln!("plot: {}", path.display());
        } else {
            writeln!(out, "plot: {}", path.display())?;
        }
    }
    Ok(())
}

fn print_tables(
    out: &mut impl Write,
    scenario: &Scenario,
    seed: u64,
    results: &[PolicyResult],
) -> std::io::Result<()> {
    let load = match (scenario.load.rate_per_s, scenario.load.clients) {
        (Some(rate), _) => format!("{rate} requests/s"),
        (_, Some(clients)) => format!("{clients} closed-loop clients"),
        _ => String::new(),
    };
    writeln!(
        out,
        "scenario {} · seed {seed} · {} s · {load} · {} targets · SLO p50 {} / p95 {} / p99 {} ms",
        scenario.name,
        scenario.duration_s,
        scenario.targets.len(),
        scenario.slo.p50_ms,
        scenario.slo.p95_ms,
        scenario.slo.p99_ms,
    )?;
    for incident in &scenario.incidents {
        let what = match (incident.service_multiplier, incident.stuck_ms) {
            (Some(m), _) => format!("service time × {m}"),
            (_, Some(ms)) => format!("stuck at {ms} ms"),
            _ => String::new(),
        };
        writeln!(
            out,
            "incident: {} {what} from {} s to {} s",
            incident.target,
            incident.start_s,
            incident.start_s + incident.duration_s
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>11} {:>12} {:>10}",
        "policy", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "attainment", "window att.", "flaps"
    )?;
    for r in results {
        writeln!(
            out,
            "{:<12} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.2}% {:>11.2}% {:>10}",
            r.policy,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.p999_ms,
            100.0 * r.attainment,
            100.0 * r.window_attainment,
            r.reversals_after_recovery
        )?;
    }
    writeln!(
        out,
        "\nattainment: requests within the p95 target ({} ms); window att.: 10 s windows in \
         which a target's p95 met it; flaps: reversals of a recovered target's traffic share",
        scenario.slo.p95_ms
    )?;
    print_shares(out, scenario, results)
}

/// Traffic share per target over time, in at most 10 columns.
fn print_shares(
    out: &mut impl Write,
    scenario: &Scenario,
    results: &[PolicyResult],
) -> std::io::Result<()> {
    let windows = results.first().map_or(0, |r| r.series.share.len());
    if windows == 0 {
        return Ok(());
    }
    let per_column = windows.div_ceil(10);
    let window_s = results[0].series.window_s;
    writeln!(
        out,
        "\ntraffic share per target (%), {} s per column:",
        per_column as f64 * window_s
    )?;
    let width = scenario
        .targets
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(6);
    for r in results {
        writeln!(out, "{}", r.policy)?;
        for (t, target) in scenario.targets.iter().enumerate() {
            write!(out, "  {:<width$}", target.name)?;
            for chunk in r.series.share.chunks(per_column) {
                let mean = chunk.iter().map(|s| s[t]).sum::<f64>() / chunk.len() as f64;
                write!(out, " {:>5.1}", 100.0 * mean)?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}
