//! The command line: `simulate` (the default), `analyze` and `accuracy`.

mod analyze;
mod report;
mod simulate;

use clap::{Parser, Subcommand};

/// SLO-aware health routing: simulate routing policies, analyze latency logs.
#[derive(Debug, Parser)]
#[command(name = "slo-router", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare routing policies on a scenario, in virtual time through the real engine
    /// (the default command: `slo-router` alone runs `simulate` on degraded-dc).
    Simulate(simulate::SimulateArgs),
    /// Percentiles and SLO compliance per (target, kind) of a latency log.
    Analyze(analyze::AnalyzeArgs),
    /// Accuracy of every sketch against exact quantiles on 1 M samples of each stream.
    Accuracy,
}

/// Parses the arguments and runs the command.
pub(crate) fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    match cli.command {
        // No subcommand: the default simulation, exactly as `slo-router simulate`.
        None => match Cli::parse_from(["slo-router", "simulate"]).command {
            Some(Command::Simulate(args)) => simulate::run(args),
            _ => unreachable!("parsed as simulate"),
        },
        Some(Command::Simulate(args)) => simulate::run(args),
        Some(Command::Analyze(args)) => analyze::run(args),
        Some(Command::Accuracy) => {
            report::accuracy_report(&mut std::io::stdout().lock(), 1_000_000, 42)?;
            Ok(())
        }
    }
}
